"""From readings to per-commune 5G coverage shares, their intervals and their status
against targets, in stages that pass one :class:`EstimateRun` forward:

readings (:func:`read_evidence`) → operator predictions on the grid (:func:`predict_fields`)
→ unit shares (:func:`unit_shares`) → their simulated intervals (:func:`share_intervals`)
→ the unit table (:func:`unit_table`) → the summary (:func:`summarise`).

Each operator's model is in :mod:`~phusong.coverage.operators`, the input checks in
:mod:`~phusong.coverage.checks`, the unit figures in :mod:`~phusong.coverage.unit_figures`."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong.config import (
    DEFAULT_MIN_READINGS,
    DEFAULT_MIN_SAMPLED_AREA_PCT,
    DEFAULT_RESOLUTION_M,
    RELIABLE_RADIUS_M,
    SAMPLED_RADIUS_M,
)
from phusong.errors import EstimationError

from .checks import DEFAULT_LTE_THRESHOLD_DBM, LTE_RSRP_RANGE_DBM, NR_RSRP_RANGE_DBM, \
    check_position_error, check_resolution, check_threshold, check_vehicle_loss, reading_filter
from .evidence import attribute_operators, evidence_for, load_signal_xy
from .gigabit import add_gigabit
from .grid import Grid, Membership, grid_for, membership
from .interpolate import default_interpolator
from .operators import predict_operators, project_sites, site_list_warnings, \
    sites_cover_operators, without_unwanted_cell_ids
from .population import population_on_grid
from .speed_basis import add_speed_basis
from .targets import INSUFFICIENT, MET, NOT_MET, P_MET, P_NOT_MET, UNCERTAIN, Targets, \
    load_targets
from .uncertainty import ShareDistribution, realised_shares, simulate_coverage
from .unit_figures import (add_status_columns, fill_unsupported, province_figure,
                           supported_fraction, unit_extra_std_pp)
from .unseen import add_unseen_sites

# Standard deviation (dB) of the path-loss trend's error in the interval simulations
# (:func:`~phusong.coverage.uncertainty.simulate_coverage`), calibrated on the simulator
# (from the readings alone 1.5 and 3 dB held the same share of communes within 1 point).
MODEL_STD_DB = 1.5
# Standard deviation (dB) of an offset of each operator's whole trend in the interval
# simulations: the error that no average over a province removes.
LISTED_GLOBAL_STD_DB = 0.5
LOCATED_GLOBAL_STD_DB = 2.0
# Measured by benchmarks/calibration.py (five simulated campaigns of the default variant,
# readings alone): the province figure came out between 4.3 points below the truth and 1.6
# above.
WITHOUT_SITE_LIST_WARNING = (
    "no site list: the communes' shares rest on the cells near the measured roads, and sites "
    "that no reading names are not modelled (on simulated campaigns the province figure came "
    "out between 4 points below the truth and 2 above); give the operators' site list with "
    "--site-list")


@dataclass
class Estimate:
    """Per-commune results and the grids behind them: ``p_covered`` where the readings
    support it (``reliable``; NaN elsewhere, not measured), ``p_covered_model`` the
    model's figure on every cell."""

    communes: gpd.GeoDataFrame
    grid: Grid
    membership: Membership
    rsrp: np.ndarray
    rsrp_std: np.ndarray
    p_covered: np.ndarray
    summary: dict
    readings_per_cell: np.ndarray
    covered_draws: np.ndarray
    cells: np.ndarray
    reliable: np.ndarray
    declarations_quarantine: pd.DataFrame | None = None
    p_covered_model: np.ndarray | None = None


@dataclass
class EstimateRun:
    """The data an estimate passes from stage to stage: its settings, then what each stage
    adds (the readings, the operators' predictions on the grid, the unit shares, their
    simulated intervals, the unit table and the summary)."""

    store_path: Path
    units: gpd.GeoDataFrame
    targets: Targets
    threshold: float
    value_range: tuple[float, float]
    resolution: float
    interpolator: Any
    technology: str = "nr"
    vehicle_loss_db: float = 0.0
    since: datetime | None = None
    until: datetime | None = None
    max_position_error_m: float | None = None
    min_readings: int = DEFAULT_MIN_READINGS
    min_sampled_area_pct: float = DEFAULT_MIN_SAMPLED_AREA_PCT
    n_realisations: int = 100
    declarations: pd.DataFrame | None = None
    population_raster: str | Path | None = None
    sites: pd.DataFrame | None = None
    operators: Sequence[str] | None = None
    unseen_sites: bool = False
    locate_sites: bool = False
    small_area_fill: bool = True
    warnings: list[str] = field(default_factory=list)
    # read_evidence
    grid: Grid | None = None
    member: Membership | None = None
    evidence: pd.DataFrame | None = None
    points: np.ndarray | None = None
    counts: np.ndarray | None = None
    # predict_fields
    nr_sites: pd.DataFrame | None = None
    cells: np.ndarray | None = None
    rsrp: np.ndarray | None = None
    rsrp_std: np.ndarray | None = None
    p_covered: np.ndarray | None = None
    per_operator: list = field(default_factory=list)
    distance: np.ndarray | None = None
    everywhere: bool = False
    reliable: np.ndarray | None = None
    # unit_shares
    people: np.ndarray | None = None
    share_area: np.ndarray | None = None
    share_pop: np.ndarray | None = None
    sampled: np.ndarray | None = None
    sufficient: np.ndarray | None = None
    # share_intervals
    covered: np.ndarray | None = None
    distribution: ShareDistribution | None = None
    p_model: np.ndarray | None = None
    # unit_table, summarise
    communes: gpd.GeoDataFrame | None = None
    gigabit: Any = None
    summary: dict = field(default_factory=dict)

    @property
    def crs(self) -> str:
        return self.units.crs.to_string()

    @property
    def by_population(self) -> bool:
        return self.targets.coverage_5g_basis == "population"

    @property
    def reading_filter(self) -> str | None:
        return reading_filter(self.since, self.until)


def _filters(run: "EstimateRun") -> str:
    """The options that select readings, as the user gave them (empty when none did)."""
    parts = [f"--since {run.since:%Y-%m-%d %H:%M}" if run.since else "",
             f"--until {run.until:%Y-%m-%d %H:%M}" if run.until else "",
             f"--max-position-error {run.max_position_error_m:g}"
             if run.max_position_error_m else ""]
    return ", ".join(p for p in parts if p)


def _unit_counts(member: Membership, xy: np.ndarray) -> np.ndarray:
    units = member.unit_of(xy)
    return np.bincount(units[units >= 0], minlength=member.n_units)


def estimate_coverage(
    store_path: str | Path,
    units: gpd.GeoDataFrame,
    resolution: float = DEFAULT_RESOLUTION_M,
    targets: Targets | None = None,
    threshold_dbm: float | None = None,
    interpolator=None,
    min_readings: int = DEFAULT_MIN_READINGS,
    min_sampled_area_pct: float = DEFAULT_MIN_SAMPLED_AREA_PCT,
    n_realisations: int = 100,
    declarations: pd.DataFrame | None = None,
    population_raster: str | Path | None = None,
    sites: pd.DataFrame | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    max_position_error_m: float | None = None,
    technology: str = "nr",
    vehicle_loss_db: float = 0.0,
    operators: Sequence[str] | None = None,
    unseen_sites: bool = False,
    locate_sites: bool = False,
    small_area_fill: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> Estimate:
    """Estimate each unit's 5G coverage share from the readings in a store.

    Parameters
    ----------
    store_path
        The readings store (GeoPackage); opened read-only.
    units
        Boundaries from :func:`~phusong.coverage.load_boundaries`.
    resolution
        Grid cell size in metres.
    targets
        Targets to report against (the shipped file when omitted).
    threshold_dbm
        NR SS-RSRP at or above which a cell is covered (the targets' value when omitted).
    interpolator
        An unfitted scikit-learn-style regressor with ``predict(X, return_std=True)``;
        :func:`~phusong.coverage.default_interpolator` when omitted.
    min_readings, min_sampled_area_pct
        Below either, a unit is reported as insufficient data.
    n_realisations
        Simulated error fields behind the 90 % intervals and P(target met).
    sites
        The operators' site list (:func:`~phusong.coverage.sites.read_sites`): when it names
        NR sites for every operator the model stands for every cell; otherwise the cells
        near the readings stand for the rest of their unit.
    population_raster
        People per cell (any CRS); without it population is uniform in each unit.
    declarations
        Fixed-broadband declarations (:func:`~phusong.coverage.gigabit.read_declarations`).
    since, until, max_position_error_m
        Use readings taken in ``[since, until)`` whose position error is at most this.
    technology
        ``nr`` (5G, the targets' figure) or ``lte`` (4G, LTE RSRP).
    vehicle_loss_db
        The vehicle's penetration loss, added back to every measured value (TR 38.901
        §7.4.3.2: 9 dB for a car); nothing in the readings reveals it.
    unseen_sites, locate_sites, small_area_fill
        Model the sites no reading names; locate the serving sites from the readings' cell
        ids; fill units without enough data by the small-area regression. The first two are
        off by default: on real drives they predicted held-out drives worse
        (benchmarks/real_end_to_end.py; docs/real_drives.md).
    operators
        Use only the readings of these operators (MCC-MNC or name); all when omitted.

    Raises
    ------
    EstimationError
        When no reading tells about 5G, or none lies inside the boundaries.
    """
    report = progress or (lambda step, done: None)
    run = prepare_run(
        store_path, units, resolution, targets, threshold_dbm, interpolator,
        technology=technology, vehicle_loss_db=vehicle_loss_db, since=since, until=until,
        max_position_error_m=max_position_error_m, min_readings=min_readings,
        min_sampled_area_pct=min_sampled_area_pct, n_realisations=n_realisations,
        declarations=declarations, population_raster=population_raster, sites=sites,
        operators=operators, unseen_sites=unseen_sites, locate_sites=locate_sites,
        small_area_fill=small_area_fill)
    report("grid", 0.0)
    read_evidence(run, report)
    report("interpolate", 0.4)
    predict_fields(run)
    unit_shares(run)
    report("aggregate", 0.7)
    share_intervals(run)
    report("aggregate", 0.95)
    unit_table(run)
    summarise(run)
    report("done", 1.0)
    return to_estimate(run)


def prepare_run(store_path: str | Path, units: gpd.GeoDataFrame, resolution: float,
                targets: Targets | None, threshold_dbm: float | None, interpolator,
                technology: str = "nr", vehicle_loss_db: float = 0.0,
                **settings) -> EstimateRun:
    """The checked settings of an estimate (see :func:`estimate_coverage`)."""
    targets = targets or load_targets()
    default = targets.threshold_dbm if technology == "nr" else DEFAULT_LTE_THRESHOLD_DBM
    value_range = LTE_RSRP_RANGE_DBM if technology == "lte" else NR_RSRP_RANGE_DBM
    threshold = check_threshold(default if threshold_dbm is None else threshold_dbm, value_range)
    check_resolution(units, resolution)
    settings["max_position_error_m"] = check_position_error(
        settings.get("max_position_error_m"))
    return EstimateRun(
        Path(store_path), units, targets, threshold, value_range, resolution,
        interpolator if interpolator is not None else default_interpolator(),
        technology=technology, vehicle_loss_db=check_vehicle_loss(vehicle_loss_db),
        warnings=list(units.attrs.get("warnings", [])), **settings)


def read_evidence(run: EstimateRun, report: Callable[[str, float], None]) -> None:
    """The grid, its cells' units and the 5G evidence of the readings (operators attributed,
    the vehicle's loss added back), with their count per unit."""
    run.grid = grid_for(run.units, run.resolution)
    # the cells' communes (shapely) and the readings (GDAL) are computed side by side
    with ThreadPoolExecutor(max_workers=1) as pool:
        member_job = pool.submit(membership, run.grid, run.units)
        report("readings", 0.1)
        readings = load_signal_xy(run.store_path, run.crs, where=run.reading_filter,
                                  max_position_error_m=run.max_position_error_m)
        run.member = member_job.result()
    chosen_by = _filters(run)
    if readings.empty and chosen_by:
        raise EstimationError(f"{run.store_path.name}: no reading with a position is left by "
                              f"{chosen_by}")
    evidence, operator_warnings = attribute_operators(evidence_for(readings, run.technology))
    run.warnings += operator_warnings
    if run.operators:
        evidence = _of_operators(evidence, run.operators)
    evidence.loc[evidence["nr_measured"], "value"] += run.vehicle_loss_db
    if evidence.empty:
        raise EstimationError(f"{run.store_path.name}: none of its {len(readings)} readings "
                              "with a position tells whether 5G is present (NR readings, or "
                              "readings from a 5G-capable device with data active; a 5G "
                              "phone's log without a 5G row: import it with --device-5g)")
    run.evidence, run.points = evidence, evidence[["x", "y"]].to_numpy()
    run.counts = _unit_counts(run.member, run.points)
    if run.counts.sum() == 0:
        raise EstimationError(f"none of the {len(run.points)} readings lies inside the "
                              "boundaries: are these the right boundaries for this campaign?")
    outside = len(run.points) - int(run.counts.sum())
    if outside > 0.05 * len(run.points):
        run.warnings.append(f"{outside} of {len(run.points)} readings lie outside every unit "
                            "and count for none")


def predict_fields(run: EstimateRun) -> None:
    """Each operator's prediction on the grid's cells, the best RSRP and P(any operator
    covers), and which cells the readings (or the site list) support."""
    grid, member = run.grid, run.member
    run.nr_sites = project_sites(run.sites, run.crs)
    without_unwanted_cell_ids(run.evidence, run.nr_sites, run.locate_sites)
    run.cells = cells = member.cells()
    run.rsrp, run.rsrp_std, run.p_covered = (np.full(grid.size, np.nan) for _ in range(3))
    # the cells' distances to the readings (a k-d tree, GIL released) beside the models
    with ThreadPoolExecutor(max_workers=1) as pool:
        distance_job = pool.submit(member.distance_to, run.points,
                                   max(SAMPLED_RADIUS_M, RELIABLE_RADIUS_M), cells)
        run.rsrp[cells], run.rsrp_std[cells], run.p_covered[cells], run.per_operator = \
            predict_operators(run.evidence, grid.centres(cells), run.threshold,
                              run.interpolator, run.nr_sites)
        run.distance = distance_job.result()
    # a trend extrapolated far from its sites must not leave the range a device reports
    run.rsrp[cells] = np.clip(run.rsrp[cells], *run.value_range)
    run.warnings += [op.note for op in run.per_operator if op.note]
    if run.nr_sites is not None:
        run.warnings += site_list_warnings(run.nr_sites, run.per_operator)
    run.everywhere = bool("sites" in run.interpolator.get_params()
                          and sites_cover_operators(run.nr_sites, run.evidence))
    run.reliable = (np.isin(np.arange(grid.size), cells) if run.everywhere
                    else run.distance <= RELIABLE_RADIUS_M)
    if run.unseen_sites and not run.everywhere:
        run.p_covered[cells] = add_unseen_sites(run.per_operator, member, cells, run.evidence,
                                                run.threshold, run.p_covered[cells])


def unit_shares(run: EstimateRun) -> None:
    """Each unit's expected covered share by area and by population, its sampled area and
    whether it has enough data."""
    member = run.member
    run.people = (population_on_grid(run.population_raster, run.grid)
                  if run.population_raster else None)
    # Expected covered share: the mean of each cell's P(covered) over the unit's cells near
    # the readings, which stand for the rest of the unit (a ratio estimator).
    run.share_area = 100 * member.mean_within(run.p_covered, run.reliable)
    # Without a raster people are spread uniformly inside each unit: both bases agree.
    run.share_pop = run.share_area if run.people is None else \
        100 * member.mean_within(run.p_covered, run.reliable, run.people)
    run.sampled = 100 * member.weighted_mean((run.distance <= SAMPLED_RADIUS_M).astype(float))
    run.sufficient = (run.counts >= run.min_readings) & \
        (run.sampled >= run.min_sampled_area_pct)


def share_intervals(run: EstimateRun) -> None:
    """The units' shares drawn over simulated error fields (their 90 % intervals and
    P(target met)), the small-area fill where readings support too little, and the cells
    beyond the reliable radius set apart as not measured."""
    member, cells = run.member, run.cells
    run.covered = simulate_coverage(
        member, cells, run.per_operator, run.threshold, n_realisations=run.n_realisations,
        model_std_db=MODEL_STD_DB,
        global_std_db=LISTED_GLOBAL_STD_DB if run.everywhere else LOCATED_GLOBAL_STD_DB)
    supported = supported_fraction(run.sampled)
    basis = run.share_pop if run.by_population else run.share_area
    run.distribution = ShareDistribution.around(
        basis, realised_shares(member, cells, run.covered,
                               run.people if run.by_population else None, run.reliable),
        unit_extra_std_pp(run.sufficient, supported,
                          member.weighted_mean(run.reliable.astype(float)), run.everywhere))
    if run.small_area_fill and not run.everywhere:
        density = run.units["population"].to_numpy(dtype=float) / (member.unit_area_m2() / 1e6)
        run.distribution, run.share_area, run.share_pop = fill_unsupported(
            run.distribution, supported, run.sufficient, density, run.share_area, run.share_pop)
    # beyond the reliable radius a cell is not measured: the model's figure is kept apart
    run.p_model = run.p_covered.copy()
    run.p_covered[~run.reliable] = np.nan


def unit_table(run: EstimateRun) -> None:
    """One row per unit: readings, sampled area, shares (any operator and each), interval,
    status, and the speed-test and gigabit columns."""
    member, sufficient = run.member, run.sufficient
    communes = run.units[["code", "name", "population", "geometry"]].copy()
    communes["area_km2"] = member.unit_area_m2() / 1e6
    communes["n_readings"] = run.counts
    communes["sampled_area_pct"] = run.sampled
    communes["share_5g_area_pct"] = np.where(sufficient, run.share_area, np.nan)
    communes["share_5g_pop_pct"] = np.where(sufficient, run.share_pop, np.nan)
    for op in run.per_operator:
        p_op = np.full(run.grid.size, np.nan)
        p_op[run.cells] = op.p_covered
        share_op = 100 * member.mean_within(p_op, run.reliable, run.people)
        communes[f"share_5g_{op.operator}_pct"] = np.where(sufficient, share_op, np.nan)
    add_status_columns(communes, run.distribution, sufficient,
                       run.targets.coverage_5g_min_pct)
    speed_tests = _read_speed_tests(run.store_path, run.reading_filter)
    add_speed_basis(communes, member, speed_tests)
    run.gigabit = add_gigabit(communes, member, speed_tests, run.declarations, run.targets)
    run.warnings += run.gigabit.warnings
    run.communes = communes


def to_estimate(run: EstimateRun) -> Estimate:
    """The estimate's public result."""
    return Estimate(run.communes, run.grid, run.member, run.rsrp, run.rsrp_std, run.p_covered,
                    run.summary, counts_on_grid(run.grid, run.points), run.covered, run.cells,
                    run.reliable, run.gigabit.quarantined, run.p_model)


def summarise(run: EstimateRun) -> None:
    """The province's figures, the settings and every warning, for ``summary.json``."""
    weights = run.communes["population"] if run.by_population else run.communes["area_km2"]
    summary = _summary(run.communes, run.targets, run.threshold, run.resolution,
                       len(run.evidence),
                       province_figure(run.distribution, weights, run.sufficient, run.units,
                                       run.targets.coverage_5g_min_pct),
                       run.gigabit.province)
    if run.population_raster is not None:
        summary["population_basis"] = f"raster {Path(run.population_raster).name}"
    summary.update(_model_summary(run))
    summary.update(_readings_summary(run))
    if not run.everywhere:
        run.warnings.append(WITHOUT_SITE_LIST_WARNING)
    summary["warnings"] = run.warnings
    run.summary = summary


def _model_summary(run: EstimateRun) -> dict:
    per_operator, everywhere = run.per_operator, run.everywhere
    return {
        "method": type(run.interpolator).__name__,
        "site_list_used": bool(everywhere),
        "sites_located_from_readings": bool(run.nr_sites is None and run.locate_sites),
        "unseen_sites_modelled": bool(run.unseen_sites and not everywhere),
        "small_area_fill": bool(run.small_area_fill and not everywhere),
        "share_basis": ("site list: the model over every cell" if everywhere else
                        f"cells within {RELIABLE_RADIUS_M:g} m of a reading, extrapolated to "
                        "the commune"),
        "sites_added_from_readings": {op.operator: op.unlisted_sites
                                      for op in per_operator if op.unlisted_sites},
        "listed_sites_off_air": {op.operator: op.off_air_sites
                                 for op in per_operator if op.off_air_sites},
        "operators": sorted(op.operator for op in per_operator),
        "trend_calibration": {op.operator: op.calibration for op in per_operator
                              if op.calibration is not None},
        "nr_miss_rate": {op.operator: round(op.miss_rate, 3) for op in per_operator
                         if op.miss_rate is not None},
        "device_offsets": {op.operator: op.devices for op in per_operator
                           if op.devices is not None},
        "unseen_sites": {op.operator: op.unseen.summary() for op in per_operator
                         if op.unseen is not None},
    }


def _readings_summary(run: EstimateRun) -> dict:
    summary = {
        "synthetic": bool(run.evidence["synthetic"].fillna(False).astype(bool).any()),
        "readings_period_utc": _period(run.evidence),
        "readings_filter": run.reading_filter,
        "max_position_error_m": run.max_position_error_m,
        "n_realisations": run.n_realisations,
        "technology": run.technology,
        "vehicle_loss_db": run.vehicle_loss_db,
        "crs": run.crs,
        "boundaries": run.units.attrs.get("source"),
    }
    if run.technology != "nr":
        summary["plan"] = None  # the plan sets targets for 5G only: a comparison line here
    return summary


def _of_operators(evidence: pd.DataFrame, operators: Sequence[str]) -> pd.DataFrame:
    """The rows of ``operators``; an error naming the operators present when one has none."""
    present = set(evidence["operator"].dropna().astype(str).unique())
    missing = [op for op in operators if op not in present]
    if missing:
        raise EstimationError(f"no readings of operator {', '.join(missing)}; the store holds "
                              f"{', '.join(sorted(present)) or 'no operator'}")
    return evidence[evidence["operator"].isin(list(operators))].reset_index(drop=True)


def _period(evidence: pd.DataFrame) -> list[str] | None:
    if "time_utc" not in evidence or evidence["time_utc"].isna().all():
        return None
    return [str(evidence["time_utc"].min()), str(evidence["time_utc"].max())]


def counts_on_grid(grid: Grid, points: np.ndarray) -> np.ndarray:
    """Number of readings in each grid cell."""
    cells = grid.cell_of(points)
    return np.bincount(cells[cells >= 0], minlength=grid.size).astype(np.float32)


def _read_speed_tests(store_path: str | Path, when: str | None = None) -> pd.DataFrame:
    """Speed tests with a fix (taken in the ``when`` time window, the readings' filter):
    what the speed basis and the gigabit check use."""
    from phusong.store import SPEED_LAYER, ReadingStore

    where = "has_fix = 1" + (f" AND {when}" if when else "")
    with ReadingStore(store_path, readonly=True) as store:
        return store.read_table(SPEED_LAYER, where=where, columns=[
            "technology", "interface_kind", "plan_down_mbps", "link_speed_mbps",
            "download_bps", "upload_bps"])


def _summary(communes: gpd.GeoDataFrame, targets: Targets, threshold: float,
             resolution: float, n_evidence: int, province: dict, gigabit: dict) -> dict:
    status = communes["status"]
    sufficient = status != INSUFFICIENT
    population = communes["population"]
    summary = {
        **province,
        **gigabit,
        "threshold_dbm": threshold,
        "resolution_m": resolution,
        "population_basis": "uniform within each commune",
        "n_evidence_readings": int(n_evidence),
        "target_5g_pct": targets.coverage_5g_min_pct,
        "target_basis": targets.coverage_5g_basis,
        "target_gigabit_pct": targets.gigabit_min_pct,
        "p_met_threshold": P_MET,
        "p_not_met_threshold": P_NOT_MET,
        "plan": targets.plan,
        "plan_source": targets.source,
        "province_population_with_data": float(population[sufficient].fillna(0).sum()),
        "province_population_total": float(population.fillna(0).sum()),
        "communes": int(len(communes)),
        "communes_met": int((status == MET).sum()),
        "communes_not_met": int((status == NOT_MET).sum()),
        "communes_uncertain": int((status == UNCERTAIN).sum()),
        "communes_insufficient": int((status == INSUFFICIENT).sum()),
    }
    if targets.coverage_5g_basis == "population" and "province_share_5g_pct" in province:
        summary["province_share_5g_pop_pct"] = province["province_share_5g_pct"]
    return summary
