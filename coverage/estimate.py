"""From readings to per-commune 5G coverage shares, their intervals and their status
against targets: the orchestration (each operator's model is in
:mod:`~phusong.coverage.operators`, the input checks in :mod:`~phusong.coverage.checks`)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

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
from .small_area import synthetic_draws
from .speed_basis import add_speed_basis
from .targets import INSUFFICIENT, MET, NOT_MET, P_MET, P_NOT_MET, UNCERTAIN, Targets, \
    load_targets, status_from_interval
from .uncertainty import ShareDistribution, realised_shares, simulate_coverage
from .unseen import add_unseen_sites

# Standard deviation (dB) of the path-loss trend's error in the interval simulations
# (:func:`~phusong.coverage.uncertainty.simulate_coverage`), calibrated on the simulator
# (from the readings alone 1.5 and 3 dB held the same share of communes within 1 point).
MODEL_STD_DB = 1.5
# Standard deviation (percentage points) added to the share of a unit without enough
# data where no reading supports the model, falling with the square of the supported
# share; calibrated on five simulated campaigns in each of seven variants
# (benchmarks/calibration.py: 4.0 held 96-99 % of these units, 2.0 holds 92-97 %).
LISTED_EXTRAPOLATION_STD_PP = 2.0
LOCATED_EXTRAPOLATION_STD_PP = 0.0
# Without a site list a unit's share is that of its cells near the readings; the rest of
# the unit may differ by this many points (standard deviation) times its share of the unit,
# measured on simulated campaigns, where the whole unit's truth is known
# (benchmarks/calibration.py); real drives see only their roads.
UNMEASURED_STD_PP = 12.0
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


def _unit_counts(member: Membership, xy: np.ndarray) -> np.ndarray:
    units = member.unit_of(xy)
    return np.bincount(units[units >= 0], minlength=member.n_units)


def extrapolation_std_pp(supported_fraction: np.ndarray, site_list_used: bool) -> np.ndarray:
    """Per-unit standard deviation (percentage points) of the error of extending the
    model from the area near readings to the rest of a unit."""
    scale = LISTED_EXTRAPOLATION_STD_PP if site_list_used else LOCATED_EXTRAPOLATION_STD_PP
    return scale * (1 - np.clip(np.nan_to_num(supported_fraction), 0, 1)) ** 2


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
        The operators' site list (:func:`~phusong.coverage.sites.read_sites`). When it
        names NR sites for every operator and the model takes sites, the model stands
        for every cell; otherwise the default model locates the serving cells from
        the readings and the cells near them stand for the rest of their unit.
    population_raster
        People per cell (any CRS); without it population is spread uniformly in each unit.
    declarations
        Fixed-broadband availability declarations
        (:func:`~phusong.coverage.gigabit.read_declarations`); without them the
        gigabit columns report insufficient data.
    since, until, max_position_error_m
        Use only readings taken in ``[since, until)`` (naive times are Vietnam's) and
        whose stated position error is at most this many metres.
    technology
        ``nr`` (5G, the targets' figure) or ``lte`` (4G coverage, with LTE RSRP and
        ``DEFAULT_LTE_THRESHOLD_DBM`` unless ``threshold_dbm`` is given).
    vehicle_loss_db
        Penetration loss of the vehicle the probes measured from (0 with a roof antenna;
        TR 38.901 §7.4.3.2 puts a car's at 9 dB, σ 5 dB), added back to every measured
        value so that coverage is that of a person outdoors. Nothing in the readings
        reveals it: a campaign measured inside cars without it reads low by that much.
    unseen_sites
        With ``locate_sites``, add the coverage of sites no reading names
        (:mod:`~phusong.coverage.unseen`). Off by default: on real drives it raised
        P(covered) near the roads to 1 where the held-out drives found 64-89 %
        (benchmarks/real_end_to_end.py).
    locate_sites
        Without a site list, locate the serving sites from the readings' cell ids and
        fit the path-loss trend from them. Off by default: on real drives the trend
        from located sites predicted held-out drives worse than the model without it
        (benchmarks/real_end_to_end.py, benchmarks/real_campaigns.py).
    small_area_fill
        Without a site list, the units without enough data take the small-area
        regression's share over the part of them no reading supports
        (:func:`fill_unsupported`); units with enough data keep their readings' figure
        (blending them too put one operator above the any-operator share, and did not
        help on real drives, benchmarks/real_end_to_end.py).
    operators
        Use only the readings of these operators (MCC-MNC or name, as stored); all when
        omitted.

    Raises
    ------
    EstimationError
        When no reading tells about 5G, or none lies inside the boundaries.
    """
    report = progress or (lambda step, done: None)
    targets = targets or load_targets()
    default = targets.threshold_dbm if technology == "nr" else DEFAULT_LTE_THRESHOLD_DBM
    value_range = LTE_RSRP_RANGE_DBM if technology == "lte" else NR_RSRP_RANGE_DBM
    threshold = check_threshold(default if threshold_dbm is None else threshold_dbm, value_range)
    check_resolution(units, resolution)
    vehicle_loss_db = check_vehicle_loss(vehicle_loss_db)
    interpolator = interpolator if interpolator is not None else default_interpolator()
    crs = units.crs.to_string()
    warnings: list[str] = list(units.attrs.get("warnings", []))

    report("grid", 0.0)
    grid = grid_for(units, resolution)
    # the cells' communes (shapely) and the readings (GDAL) are computed side by side
    with ThreadPoolExecutor(max_workers=1) as pool:
        member_job = pool.submit(membership, grid, units)
        report("readings", 0.1)
        readings = load_signal_xy(store_path, crs, where=reading_filter(since, until),
                                  max_position_error_m=check_position_error(max_position_error_m))
        member = member_job.result()
    evidence, operator_warnings = attribute_operators(evidence_for(readings, technology))
    warnings += operator_warnings
    if operators:
        evidence = _of_operators(evidence, operators)
    evidence.loc[evidence["nr_measured"], "value"] += vehicle_loss_db
    if evidence.empty:
        raise EstimationError(f"{Path(store_path).name}: none of its {len(readings)} readings "
                              "with a position tells whether 5G is present (NR readings, or "
                              "readings from a 5G-capable device with data active)")
    points = evidence[["x", "y"]].to_numpy()
    counts = _unit_counts(member, points)
    if counts.sum() == 0:
        raise EstimationError(f"none of the {len(points)} readings lies inside the boundaries: "
                              "are these the right boundaries for this campaign?")
    outside = len(points) - int(counts.sum())
    if outside > 0.05 * len(points):
        warnings.append(f"{outside} of {len(points)} readings lie outside every unit "
                        "and count for none")
    report("interpolate", 0.4)
    nr_sites = project_sites(sites, crs)
    without_unwanted_cell_ids(evidence, nr_sites, locate_sites)
    cells = member.cells()
    rsrp, rsrp_std, p_covered = (np.full(grid.size, np.nan) for _ in range(3))
    rsrp[cells], rsrp_std[cells], p_covered[cells], per_operator = predict_operators(
        evidence, grid.centres(cells), threshold, interpolator, nr_sites)
    # a trend extrapolated far from its sites must not leave the range a device reports
    rsrp[cells] = np.clip(rsrp[cells], *value_range)
    warnings += [op.note for op in per_operator if op.note]
    if nr_sites is not None:
        warnings += site_list_warnings(nr_sites, per_operator)
    distance = member.distance_to(points, max(SAMPLED_RADIUS_M, RELIABLE_RADIUS_M))
    everywhere = ("sites" in interpolator.get_params()
                  and sites_cover_operators(nr_sites, evidence))
    reliable = np.isin(np.arange(grid.size), cells) if everywhere else distance <= RELIABLE_RADIUS_M
    if unseen_sites and not everywhere:
        p_covered[cells] = add_unseen_sites(per_operator, member, cells, evidence, threshold,
                                            p_covered[cells])
    people = population_on_grid(population_raster, grid) if population_raster else None
    # Expected covered share: the mean of each cell's P(covered) over the unit's cells near
    # the readings, which stand for the rest of the unit (a ratio estimator).
    share_area = 100 * member.mean_within(p_covered, reliable)
    # Without a raster people are spread uniformly inside each unit: both bases agree.
    share_pop = share_area if people is None else 100 * member.mean_within(p_covered, reliable,
                                                                            people)
    by_population = targets.coverage_5g_basis == "population"
    basis = share_pop if by_population else share_area
    sampled = 100 * member.weighted_mean((distance <= SAMPLED_RADIUS_M).astype(float))
    sufficient = (counts >= min_readings) & (sampled >= min_sampled_area_pct)
    report("aggregate", 0.7)
    covered = simulate_coverage(
        member, cells, per_operator, threshold, n_realisations=n_realisations,
        model_std_db=MODEL_STD_DB,
        global_std_db=LISTED_GLOBAL_STD_DB if everywhere else LOCATED_GLOBAL_STD_DB)
    supported = supported_fraction(sampled)
    distribution = ShareDistribution.around(
        basis, realised_shares(member, cells, covered, people if by_population else None,
                               reliable),
        unit_extra_std_pp(sufficient, supported, member.weighted_mean(reliable.astype(float)),
                          everywhere))
    if small_area_fill and not everywhere:
        density = units["population"].to_numpy(dtype=float) / (member.unit_area_m2() / 1e6)
        distribution, share_area, share_pop = fill_unsupported(
            distribution, supported, sufficient, density, share_area, share_pop)
    report("aggregate", 0.95)
    # beyond the reliable radius a cell is not measured: the model's figure is kept apart
    p_model = p_covered.copy()
    p_covered[~reliable] = np.nan

    communes = units[["code", "name", "population", "geometry"]].copy()
    communes["area_km2"] = member.unit_area_m2() / 1e6
    communes["n_readings"] = counts
    communes["sampled_area_pct"] = sampled
    communes["share_5g_area_pct"] = np.where(sufficient, share_area, np.nan)
    communes["share_5g_pop_pct"] = np.where(sufficient, share_pop, np.nan)
    for op in per_operator:
        p_op = np.full(grid.size, np.nan)
        p_op[cells] = op.p_covered
        share_op = 100 * member.mean_within(p_op, reliable, people)
        communes[f"share_5g_{op.operator}_pct"] = np.where(sufficient, share_op, np.nan)
    add_status_columns(communes, distribution, sufficient, targets.coverage_5g_min_pct)
    speed_tests = _read_speed_tests(store_path, reading_filter(since, until))
    add_speed_basis(communes, member, speed_tests)
    gigabit = add_gigabit(communes, member, speed_tests, declarations, targets)
    warnings += gigabit.warnings
    weights = communes["population"] if by_population else communes["area_km2"]
    summary = _summary(communes, targets, threshold, resolution, len(evidence),
                       province_figure(distribution, weights, sufficient, units,
                                       targets.coverage_5g_min_pct),
                       gigabit.province)
    if population_raster is not None:
        summary["population_basis"] = f"raster {Path(population_raster).name}"
    summary["method"] = type(interpolator).__name__
    summary["site_list_used"] = bool(everywhere)
    summary["sites_located_from_readings"] = bool(nr_sites is None and locate_sites)
    summary["unseen_sites_modelled"] = bool(unseen_sites and not everywhere)
    summary["small_area_fill"] = bool(small_area_fill and not everywhere)
    summary["share_basis"] = (
        "site list: the model over every cell" if everywhere else
        f"cells within {RELIABLE_RADIUS_M:g} m of a reading, extrapolated to the commune")
    summary["sites_added_from_readings"] = {op.operator: op.unlisted_sites
                                            for op in per_operator if op.unlisted_sites}
    summary["listed_sites_off_air"] = {op.operator: op.off_air_sites
                                       for op in per_operator if op.off_air_sites}
    summary["synthetic"] = bool(evidence["synthetic"].fillna(False).astype(bool).any())
    summary["readings_period_utc"] = _period(evidence)
    summary["readings_filter"] = reading_filter(since, until)
    summary["max_position_error_m"] = max_position_error_m
    summary["n_realisations"] = n_realisations
    summary["technology"] = technology
    if technology != "nr":
        summary["plan"] = None  # the plan sets targets for 5G only: a comparison line here
    summary["vehicle_loss_db"] = vehicle_loss_db
    summary["crs"] = crs
    summary["boundaries"] = units.attrs.get("source")
    summary["operators"] = sorted(op.operator for op in per_operator)
    summary["trend_calibration"] = {op.operator: op.calibration for op in per_operator
                                    if op.calibration is not None}
    summary["nr_miss_rate"] = {op.operator: round(op.miss_rate, 3) for op in per_operator
                               if op.miss_rate is not None}
    summary["device_offsets"] = {op.operator: op.devices for op in per_operator
                                 if op.devices is not None}
    summary["unseen_sites"] = {op.operator: op.unseen.summary() for op in per_operator
                               if op.unseen is not None}
    if not everywhere:
        warnings.append(WITHOUT_SITE_LIST_WARNING)
    summary["warnings"] = warnings
    report("done", 1.0)
    return Estimate(communes, grid, member, rsrp, rsrp_std, p_covered, summary,
                    counts_on_grid(grid, points), covered, cells, reliable,
                    gigabit.quarantined, p_model)


def _of_operators(evidence: pd.DataFrame, operators: Sequence[str]) -> pd.DataFrame:
    """The rows of ``operators``; an error naming the operators present when one has none."""
    present = set(evidence["operator"].dropna().astype(str))
    missing = [op for op in operators if op not in present]
    if missing:
        raise EstimationError(f"no readings of operator {', '.join(missing)}; the store holds "
                              f"{', '.join(sorted(present)) or 'no operator'}")
    return evidence[evidence["operator"].isin(list(operators))].reset_index(drop=True)


def fill_unsupported(distribution: ShareDistribution, supported: np.ndarray,
                     sufficient: np.ndarray, density: np.ndarray, *shares: np.ndarray
                     ) -> tuple[ShareDistribution, ...]:
    """Each unit's share: for units with enough data (``sufficient``) their own; for the
    others the model's over the part readings support and the small-area regression's
    (:mod:`~phusong.coverage.small_area`) over the rest; the same for each of ``shares``
    (other bases of the same figure)."""
    synthetic = synthetic_draws(distribution.point, sufficient, density,
                                len(distribution.draws))
    if synthetic is None:
        return (distribution, *shares)
    point, draws = synthetic
    w = np.where(sufficient, 1.0, np.clip(np.nan_to_num(supported), 0, 1))
    return (distribution.blended(ShareDistribution(point, draws), w),
            *(w * np.nan_to_num(share) + (1 - w) * point for share in shares))


def unit_extra_std_pp(sufficient: np.ndarray, supported: np.ndarray,
                      near_fraction: np.ndarray, site_list_used: bool) -> np.ndarray:
    """Per unit, the standard deviation (points) added to its simulated shares: for a
    unit without enough data, the error of extending the model to the part no reading
    supports; without a site list, for a unit with enough data, the error of standing
    for the whole unit with its cells near the readings (``near_fraction`` of its area)."""
    extrapolation = np.where(sufficient, 0, extrapolation_std_pp(supported, site_list_used))
    if site_list_used:
        return extrapolation
    unmeasured = UNMEASURED_STD_PP * (1 - np.clip(np.nan_to_num(near_fraction), 0, 1))
    return np.hypot(extrapolation, np.where(sufficient, unmeasured, 0))


def supported_fraction(sampled_pct: np.ndarray) -> np.ndarray:
    """Per unit, the share of its area the readings support: sampled (within
    ``SAMPLED_RADIUS_M`` of a reading), with a site list or without; the small-area
    regression (:func:`fill_unsupported`) stands for the rest."""
    return np.asarray(sampled_pct, float) / 100


def add_status_columns(communes: pd.DataFrame, distribution: ShareDistribution,
                       sufficient: np.ndarray, target_pct: float) -> None:
    """Model share, 90 % interval, P(target met), status and gap of every unit."""
    low, high = distribution.interval()
    p_met = distribution.p_at_least(target_pct)
    share = np.where(sufficient, distribution.point, np.nan)
    communes["share_5g_model_pct"] = distribution.point
    communes["share_5g_low_pct"] = low
    communes["share_5g_high_pct"] = high
    communes["target_pct"] = target_pct
    communes["p_target_met"] = p_met
    communes["status"] = status_from_interval(low, high, target_pct, sufficient)
    communes["gap_pp"] = np.where(sufficient, np.maximum(target_pct - share, 0), np.nan)
    communes["gap_people"] = np.round(communes["gap_pp"] / 100 * communes["population"])


def province_figure(distribution: ShareDistribution, weights: pd.Series,
                    sufficient: np.ndarray, units: gpd.GeoDataFrame,
                    target_pct: float) -> dict:
    """The province's share over all its units (those without enough data through the
    model, with their wider intervals), its 90 % interval, P(target met) and status."""
    w = weights.to_numpy(dtype=float)
    if np.isnan(w).any() or w.sum() <= 0:
        missing = units["code"].to_numpy()[np.isnan(w)]
        return {"province_5g_status": INSUFFICIENT,
                "province_5g_note": "population unknown for " + ", ".join(missing[:10])}
    total = distribution.weighted_total(w)
    low, high = total.interval()
    p_met = float(total.p_at_least(target_pct)[0])
    return {
        "province_share_5g_pct": float(total.point[0]),
        "province_share_5g_low_pct": float(low[0]),
        "province_share_5g_high_pct": float(high[0]),
        "province_p_target_met": p_met,
        "province_5g_status": str(status_from_interval(low, high, target_pct,
                                                       np.array([sufficient.any()]))[0]),
        "province_weight_with_data_pct": float(100 * w[sufficient].sum() / w.sum()),
    }


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
