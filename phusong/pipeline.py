"""The pipeline as a library: one typed configuration and one function per stage.

The CLI, the benchmarks and a server call these; they parse nothing and print nothing.
Each stage reads what the previous one wrote (a readings store, an estimate folder) and
writes all-or-nothing, refusing to replace what it did not write unless ``force``::

    from phusong.pipeline import EstimateConfig, MapConfig, estimate, map
    result = estimate(EstimateConfig(store="campaign.gpkg"), out="estimate")
    map(MapConfig(estimates="estimate", out="map.html"))

``progress`` arguments take ``(step_key, fraction_done)``; the step keys are the
``step.*`` messages of :mod:`phusong.i18n`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from .config import DEFAULT_CRS, DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from .errors import ConfigError
from .outputs import (atomic_file, check_output_file, check_output_folder, spreadsheet_safe,
                      staged_folder)

Progress = Callable[[str, float], None]
Region = Optional[object]  # "country", None (anywhere) or (west, south, east, north)


def _silent(_step: str, _done: float) -> None:
    """A progress callback that reports nowhere."""


def stage_progress(progress: Progress, key: str) -> Callable[[str, float], None]:
    """A stage-level callback reporting every step of a library call as step ``key``."""
    return lambda _step, done: progress(key, done)


@dataclass
class BoundaryConfig:
    """A boundary file and how to read it (the shipped 2025 communes by default)."""

    path: Optional[Path] = None
    id_field: Optional[str] = None
    name_field: Optional[str] = None
    population_field: Optional[str] = None
    encoding: Optional[str] = None
    region: Region = "country"
    work_crs: Optional[str] = None

    def load(self, progress: Progress = _silent):
        from phusong.coverage import load_boundaries

        progress("step.load_boundaries", 0.0)
        units = load_boundaries(self.path, self.id_field, self.name_field,
                                self.population_field, encoding=self.encoding,
                                region=self.region, crs=self.work_crs)
        progress("step.load_boundaries", 1.0)
        return units


@dataclass
class EstimateConfig:
    """Everything ``phusong estimate`` takes (see its ``--help``)."""

    store: Path
    boundaries: BoundaryConfig = field(default_factory=BoundaryConfig)
    resolution_m: float = DEFAULT_RESOLUTION_M
    threshold_dbm: Optional[float] = None
    targets: Optional[Path] = None
    declarations: Optional[Path] = None
    population: Optional[Path] = None
    site_list: Optional[Path] = None
    input_crs: Optional[str] = None  # of the site list's and declarations' coordinates
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    max_position_error_m: Optional[float] = None
    method: str = "pathloss"
    technology: str = "nr"
    vehicle_loss_db: float = 0.0
    locate_sites: bool = False
    unseen_sites: bool = False

    def __post_init__(self) -> None:
        from phusong.coverage.methods import METHOD_NAMES

        if self.method != "auto" and self.method not in METHOD_NAMES:
            raise ConfigError(f"{self.method!r} is not valid; choose one of "
                              f"{', '.join((*METHOD_NAMES, 'auto'))}")


@dataclass
class EvaluateConfig:
    """Everything ``phusong evaluate`` takes."""

    store: Path
    methods: tuple[str, ...] = ("pathloss", "kriging", "idw", "gp")
    block_size_m: float = 1000.0
    folds: int = 5
    threshold_dbm: float = DEFAULT_NR_THRESHOLD_DBM
    region: Region = "country"
    work_crs: Optional[str] = None
    site_list: Optional[Path] = None
    technology: str = "nr"
    locate_sites: bool = False
    nested_calibration: bool = False


@dataclass
class ReaggregateConfig:
    """An estimate folder summarised over another boundary set."""

    estimates: Path
    boundaries: BoundaryConfig = field(default_factory=BoundaryConfig)
    targets: Optional[Path] = None


@dataclass
class MapConfig:
    """The planner's map of an estimate folder (with a store's measurements if given)."""

    estimates: Path
    out: Path
    store: Optional[Path] = None
    force: bool = False


@dataclass
class ReportConfig:
    """The province's report of an estimate folder."""

    estimates: Path
    out: Path
    formats: tuple[str, ...] = ("xlsx", "html", "csv")


@dataclass
class DemoConfig:
    """The whole pipeline on one campaign (simulated on the shipped province by the CLI)."""

    out: Path
    boundaries: BoundaryConfig = field(default_factory=BoundaryConfig)
    site_list: bool = True
    force: bool = False


# -- stages ---------------------------------------------------------------------------------
def estimate(config: EstimateConfig, out: Optional[Path] = None, units=None,
             progress: Progress = _silent):
    """Per-commune coverage and gigabit figures (an :class:`~phusong.coverage.Estimate`),
    written all-or-nothing into ``out`` when given. ``units`` overrides the configured
    boundaries (already loaded)."""
    from phusong.coverage import write_estimate

    if out is not None:
        check_output_folder(out, "estimate")
    _check_options(config)
    units = config.boundaries.load(progress) if units is None else units
    result = _estimate(config, units, progress)
    if out is not None:
        progress("step.report", 0.0)
        write_estimate(result, out)
        progress("step.report", 1.0)
    return result


def _check_options(config: EstimateConfig) -> None:
    """Refuse, before the boundaries and readings are read, what no input can mend: options
    out of range, a period that ends before it starts."""
    from phusong.coverage.checks import (check_position_error, check_resolution_range,
                                         check_vehicle_loss, reading_filter)

    check_resolution_range(config.resolution_m)
    check_vehicle_loss(config.vehicle_loss_db)
    check_position_error(config.max_position_error_m)
    reading_filter(config.since, config.until)


def _estimate(config: EstimateConfig, units, progress: Progress):
    from phusong.coverage import estimate_coverage, load_targets
    from phusong.coverage.gigabit import declarations_from_store, read_declarations
    from phusong.coverage.methods import make_interpolator
    from phusong.coverage.sites import read_sites

    targets = load_targets(config.targets)
    sites = read_sites(config.site_list, crs=config.input_crs) if config.site_list else None
    method, scores = config.method, None
    if method == "auto":
        method, scores = _choose_method(config, units, targets, sites, progress)
    declarations = (read_declarations(config.declarations, crs=config.input_crs)
                    if config.declarations else declarations_from_store(config.store))
    result = estimate_coverage(
        config.store, units, resolution=config.resolution_m, targets=targets,
        threshold_dbm=config.threshold_dbm, interpolator=make_interpolator(method),
        declarations=declarations, population_raster=config.population, sites=sites,
        since=config.since, until=config.until,
        max_position_error_m=config.max_position_error_m, technology=config.technology,
        vehicle_loss_db=config.vehicle_loss_db, locate_sites=config.locate_sites,
        unseen_sites=config.unseen_sites, progress=stage_progress(progress, "step.interpolate"))
    if scores is not None:
        from phusong.coverage.evaluate import scores_table

        result.summary["cross_validation"] = {
            "block_size_m": 1000.0, "chosen": method,
            "scores": scores_table(scores).round(4).to_dict(orient="records")}
    return result


def _choose_method(config: EstimateConfig, units, targets, sites, progress: Progress):
    from phusong.coverage.evaluate import choose_method

    progress("step.evaluate", 0.0)
    chosen = choose_method(config.store, units.crs.to_string(),
                           threshold=config.threshold_dbm or targets.threshold_dbm,
                           sites=sites, technology=config.technology,
                           locate_sites=config.locate_sites)
    progress("step.evaluate", 1.0)
    return chosen


def evaluate(config: EvaluateConfig):
    """Spatial-block cross-validation scores of the configured methods."""
    from phusong.coverage.evaluate import evaluate_store
    from phusong.coverage.sites import read_sites

    crs = config.work_crs or (DEFAULT_CRS if config.region == "country" else None)
    return evaluate_store(config.store, crs, config.methods, config.block_size_m, config.folds,
                          config.threshold_dbm,
                          sites=read_sites(config.site_list) if config.site_list else None,
                          technology=config.technology, locate_sites=config.locate_sites,
                          nested=config.nested_calibration)


def reaggregate(config: ReaggregateConfig, out: Optional[Path] = None, force: bool = False,
                progress: Progress = _silent):
    """The estimate's figures over the configured units (a table), written to ``out`` (CSV)
    when given; the units' warnings are in ``table.attrs["warnings"]``."""
    from phusong.coverage import load_targets
    from phusong.coverage.estimate_folder import with_status_labels
    from phusong.coverage.reaggregate import reaggregate as over_units

    if out is not None:
        check_output_file(out, "reaggregate", force)
    units = config.boundaries.load(progress)
    progress("step.aggregate", 0.0)
    table = with_status_labels(over_units(config.estimates, units, load_targets(config.targets)))
    table.attrs["warnings"] = list(units.attrs.get("warnings", []))
    if out is not None:
        with atomic_file(out, "reaggregate", force) as partial:
            spreadsheet_safe(table).to_csv(partial, index=False, float_format="%.2f",
                                           encoding="utf-8")
    progress("step.aggregate", 1.0)
    return table


def map(config: MapConfig, progress: Progress = _silent) -> Path:  # noqa: A001 - the stage's name
    """Write the planner's map; its path."""
    from phusong.coverage import check_estimate_folder
    from phusong.maps import read_estimates, read_store_layers, write_map

    check_output_file(config.out, "map", config.force)
    progress("step.map", 0.0)
    summary = check_estimate_folder(config.estimates)
    readings, speed = (read_store_layers(config.store) if config.store is not None
                       else (None, None))
    with atomic_file(config.out, "map", config.force) as partial:
        write_map(read_estimates(config.estimates), partial,
                  synthetic=bool(summary.get("synthetic", False)), run_id=summary.get("run_id"),
                  estimates_dir=config.estimates, readings=readings, speed=speed,
                  summary=summary)
    progress("step.map", 1.0)
    return config.out


make_map = map


def report(config: ReportConfig) -> Path:
    """Write the province's report folder; its path."""
    from phusong.coverage import check_estimate_folder
    from phusong.maps.report import FORMATS, write_report

    unknown = [f for f in config.formats if f not in FORMATS]
    if unknown or not config.formats:
        raise ConfigError(f"{','.join(unknown) or config.formats!r} is not valid; choose one "
                          f"of {', '.join(FORMATS)}")
    check_estimate_folder(config.estimates)
    with staged_folder(config.out, "report", force=False) as (staging, _):
        write_report(config.estimates, staging, config.formats)
    return config.out


@dataclass
class Campaign:
    """A campaign's files: its readings store, and optionally the operators' declarations
    and site list."""

    store: Path
    declarations: Optional[Path] = None
    site_list: Optional[Path] = None


CampaignMaker = Callable[[Path, Progress], Campaign]


def demo(config: DemoConfig, make_campaign: CampaignMaker, progress: Progress = _silent):
    """A campaign made by ``make_campaign(folder, progress)`` (the CLI passes the
    simulator's: this library never imports it), estimated, mapped and reported into one
    folder; the estimate."""
    from phusong.coverage.estimate_folder import write_estimate_files
    from phusong.maps import read_store_layers, write_map
    from phusong.maps.report import write_report

    check_output_folder(config.out, "demo", config.force)
    with staged_folder(config.out, "demo", force=config.force) as (staging, run_id):
        campaign = make_campaign(staging / "simulation", progress)
        shipped = config.boundaries.path is None
        estimate_config = EstimateConfig(
            campaign.store, config.boundaries,
            declarations=campaign.declarations if shipped else None,
            site_list=campaign.site_list if config.site_list else None)
        result = estimate(estimate_config, progress=progress)
        progress("step.report", 0.0)
        write_estimate_files(result, staging, run_id)
        progress("step.report", 1.0)
        progress("step.map", 0.0)
        signal, speed = read_store_layers(campaign.store)
        write_map(result.communes, staging / "map.html", synthetic=True, run_id=run_id,
                  estimates_dir=staging, readings=signal, speed=speed, summary=result.summary)
        progress("step.map", 1.0)
        write_report(staging, staging / "report")
    return result


def inside_units(boundaries: Optional[Path]):
    """A test of (lon, lat) points against the units of a boundary file, for importers that
    flag readings outside them."""
    import shapely

    from phusong.coverage import load_boundaries

    area = shapely.union_all(load_boundaries(boundaries).to_crs("EPSG:4326").geometry.to_numpy())
    shapely.prepare(area)
    return lambda lon, lat: shapely.contains_xy(area, lon, lat).tolist() if lon else []
