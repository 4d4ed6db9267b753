"""``simulate``, ``estimate``, ``evaluate``, ``reaggregate`` and ``demo``: parsing and printing
around the stages of :mod:`phusong.pipeline`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from phusong import pipeline
from phusong.config import DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from phusong.i18n import t

from ._common import (BoundariesOpt, EncodingOpt, ForceFileOpt, ForceOpt, IdFieldOpt,
                      LocateSitesOpt, NameFieldOpt, PopFieldOpt, RegionOpt, WorkCrsOpt, app,
                      console, parse_date, parse_region, print_summary, progress_bars, warn)


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder for campaign.gpkg and truth/."),
    seed: int = typer.Option(2025, "--seed", min=0, help="Random seed (same seed, same campaign)."),
    readings: int = typer.Option(150_000, "--readings", min=100, max=20_000_000,
                                 help="Number of signal readings."),
    variant: str = typer.Option(
        "default", "--variant",
        help="What the estimator does not model: default, roads (drives along a road network), "
             "sectorised (three sectors per site), traffic (NR added only with traffic), "
             "hysteresis, device-offsets (3 dB per probe), or misspecified (all but sectors, "
             "plus 6 dB car loss: estimate it with --vehicle-loss-db 6)."),
    force: bool = ForceOpt,
) -> None:
    """Simulate a synthetic measurement campaign with known ground truth."""
    from phusong.sim import variant_config

    from phusong.outputs import check_output_folder, staged_folder

    config = variant_config(variant, seed=seed, n_readings=readings)  # fails before any folder
    check_output_folder(out, "simulation", force)
    with progress_bars() as report, staged_folder(out, "simulation", force=force) as (staging, _):
        simulated_campaign(config)(staging, report)
    console.print(t("done.simulate", store=out / "campaign.gpkg"))
    console.print(t("done.truth", path=out / "truth"))


def simulated_campaign(simulation) -> pipeline.CampaignMaker:
    """The simulator as the demo's campaign maker, on the shipped communes."""
    def make(folder: Path, report) -> pipeline.Campaign:
        from phusong.coverage import load_boundaries
        from phusong.sim import DECLARATIONS_CSV, SITES_DECLARED_CSV
        from phusong.sim import simulate as run_simulation

        store = run_simulation(folder, load_boundaries(), simulation,
                               progress=pipeline.stage_progress(report, "step.simulate")
                               ).store_path
        return pipeline.Campaign(store, store.parent / DECLARATIONS_CSV,
                                 store.parent / SITES_DECLARED_CSV)
    return make


@app.command()
def estimate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    resolution: float = typer.Option(DEFAULT_RESOLUTION_M, "--resolution", help="Grid cell size in metres (5–5000)."),
    threshold_dbm: Optional[float] = typer.Option(None, "--threshold-dbm", help="NR SS-RSRP coverage threshold, −156…−31 dBm (default: the targets file's)."),
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
    declarations: Optional[Path] = typer.Option(None, "--declarations", help="Fixed-broadband availability declarations CSV (schema: phusong.coverage.gigabit)."),
    population: Optional[Path] = typer.Option(None, "--population", help="Population-count raster (GeoTIFF, any CRS); default: uniform within each commune."),
    sites: Optional[Path] = typer.Option(None, "--site-list", "--sites", help="Operators' base-station list CSV (operator, technology, lon, lat; NR rows are the 5G sites): the model then stands for every cell. (--sites: the former name.)"),
    crs: Optional[str] = typer.Option(None, "--crs", help="CRS of the coordinates in the --site-list and --declarations CSVs when not WGS 84 longitude/latitude, e.g. EPSG:9214 (VN-2000 / TM-3 107-00)."),
    since: Optional[str] = typer.Option(None, "--since", help="Use readings taken from this date or time (YYYY-MM-DD[THH:MM], Vietnam time unless an offset is given)."),
    until: Optional[str] = typer.Option(None, "--until", help="Use readings taken before this date or time."),
    max_position_error: Optional[float] = typer.Option(None, "--max-position-error", help="Leave out readings whose stated position error exceeds this (metres)."),
    method: str = typer.Option("pathloss", "--method", help="Interpolator: pathloss (default), kriging, idw, gp, pykrige, or auto (best by spatial-block cross-validation)."),
    technology: str = typer.Option("nr", "--technology", help="nr (5G, the targets' figure) or lte (4G coverage)."),
    vehicle_loss: float = typer.Option(0.0, "--vehicle-loss-db", help="Penetration loss of the vehicle the readings were taken in (0 with a roof antenna; about 9 dB for a phone or modem inside a car), added back to every reading."),
    region: str = RegionOpt,
    work_crs: Optional[str] = WorkCrsOpt,
    locate_sites: bool = LocateSitesOpt,
    unseen_sites: bool = typer.Option(False, "--unseen-sites", help="With --locate-sites: also model the sites no reading names (off by default: on real drives it claimed coverage the held-out drives did not find)."),
) -> None:
    """Estimate per-commune 5G coverage and gigabit availability from a readings store."""
    from phusong.coverage.estimate_folder import COMMUNES_CSV
    from phusong.i18n import technology_labels

    config = pipeline.EstimateConfig(
        store, pipeline.BoundaryConfig(boundaries, id_field, name_field, population_field,
                                       encoding, parse_region(region), work_crs),
        resolution_m=resolution, threshold_dbm=threshold_dbm, targets=targets,
        declarations=declarations, population=population, site_list=sites, input_crs=crs,
        since=parse_date(since, "--since"), until=parse_date(until, "--until"),
        max_position_error_m=max_position_error, method=_check_method(method),
        technology=technology, vehicle_loss_db=vehicle_loss, locate_sites=locate_sites,
        unseen_sites=unseen_sites)
    with progress_bars() as report, technology_labels(technology):
        result = pipeline.estimate(config, out, progress=report)
    _print_chosen_method(result.summary)
    print_summary(result.summary)
    console.print(t("done.estimate", path=(out / COMMUNES_CSV).absolute()))


def _print_chosen_method(summary: dict) -> None:
    chosen = summary.get("cross_validation", {}).get("chosen")
    if chosen:
        console.print(t("evaluate.best", method=chosen))


def _check_method(method: str) -> str:
    from phusong.coverage.methods import METHOD_NAMES

    if method != "auto" and method not in METHOD_NAMES:
        raise typer.BadParameter(t("error.bad_choice", value=method,
                                   choices=", ".join((*METHOD_NAMES, "auto"))),
                                 param_hint="--method")
    return method


@app.command()
def evaluate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    block_size: float = typer.Option(1000.0, "--block-size", min=10, help="Side of the held-out squares in metres."),
    methods: str = typer.Option("pathloss,kriging,idw,gp", "--methods", help="Comma-separated: pathloss, kriging, idw, gp, pykrige."),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of folds."),
    threshold_dbm: float = typer.Option(DEFAULT_NR_THRESHOLD_DBM, "--threshold-dbm", help="Coverage threshold for the covered/not-covered call."),
    crs: Optional[str] = typer.Option(None, "--crs", hidden=True, help="Old name of --work-crs."),
    region: str = RegionOpt,
    work_crs: Optional[str] = WorkCrsOpt,
    locate_sites: bool = LocateSitesOpt,
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scores as JSON."),
    sites: Optional[Path] = typer.Option(None, "--site-list", "--sites", help="Operators' base-station list CSV (operator, technology, lon, lat), given to the methods that take one. (--sites: the former name.)"),
    technology: str = typer.Option("nr", "--technology", help="nr (5G) or lte (4G)."),
    nested_calibration: bool = typer.Option(False, "--nested-calibration", help="Calibrate the default inside every fold, as estimate does (slower), instead of learning each fold's calibration from the other folds' held-out readings."),
) -> None:
    """Spatial-block cross-validation of the interpolators; names the best."""
    from phusong.coverage.evaluate import best_method, scores_table

    config = pipeline.EvaluateConfig(
        store, tuple(m.strip() for m in methods.split(",") if m.strip()), block_size, folds,
        threshold_dbm, parse_region(region), work_crs or crs, sites, technology, locate_sites,
        nested_calibration)
    scores = pipeline.evaluate(config)
    frame = scores_table(scores)
    _print_scores(frame, block_size)
    best = best_method(scores)
    console.print(t("evaluate.best", method=best))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"block_size_m": block_size, "folds": folds,
                                        "site_list": str(sites) if sites else None,
                                        "threshold_dbm": threshold_dbm, "best": best,
                                        "nested_calibration": nested_calibration,
                                        "scores": frame.to_dict(orient="records")}, indent=2),
                            encoding="utf-8")


def _print_scores(frame, block_size: float) -> None:
    from rich.table import Table

    table = Table(title=t("evaluate.title", block=f"{block_size:g}"))
    for column in frame.columns:
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@app.command()
def reaggregate(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
    region: str = RegionOpt,
    force: bool = ForceFileOpt,
) -> None:
    """Summarise an estimate over another boundary set, with the same evidence rules,
    intervals and statuses."""
    config = pipeline.ReaggregateConfig(estimates, pipeline.BoundaryConfig(
        boundaries, id_field, name_field, population_field, encoding, parse_region(region)),
        targets)
    with progress_bars() as report:
        table = pipeline.reaggregate(config, out, force, report)
    warn(table.attrs.get("warnings", []))
    console.print(t("done.estimate", path=out))


@app.command()
def demo(
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    seed: int = typer.Option(2025, "--seed", min=0, help="Random seed of the simulated campaign."),
    readings: int = typer.Option(150_000, "--readings", min=100, max=20_000_000,
                                 help="Number of simulated readings."),
    site_list: bool = typer.Option(True, "--site-list/--no-site-list", help="Use the operators' simulated site list (sites_declared.csv), or locate the cells from the readings alone."),
    force: bool = ForceOpt,
) -> None:
    """Simulate a campaign on the shipped province, estimate, map and report."""
    from phusong.sim import SimulationConfig

    config = pipeline.DemoConfig(out, pipeline.BoundaryConfig(
        boundaries, id_field, name_field, population_field, encoding), site_list, force)
    with progress_bars() as report:
        result = pipeline.demo(config, simulated_campaign(
            SimulationConfig(seed=seed, n_readings=readings)), report)
    print_summary(result.summary)
    from phusong.coverage.estimate_folder import COMMUNES_CSV

    console.print(t("done.estimate", path=out / COMMUNES_CSV))
    console.print(t("done.map", path=out / "map.html"))
    console.print(t("done.demo", out=out))
