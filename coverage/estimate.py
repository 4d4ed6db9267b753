"""From readings to per-commune 5G coverage shares and their status against targets."""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import norm
from sklearn.base import clone

from phusong.config import (
    DEFAULT_MIN_READINGS,
    DEFAULT_MIN_SAMPLED_AREA_PCT,
    DEFAULT_RESOLUTION_M,
    RELIABLE_RADIUS_M,
    SAMPLED_RADIUS_M,
)
from phusong.errors import EstimationError

from .evidence import NR_TECHNOLOGIES, load_signal_xy, nr_evidence
from .grid import Grid, Membership, grid_for, membership
from .interpolate import default_interpolator
from .population import population_on_grid
from .rasters import write_cog
from .uncertainty import OperatorPrediction, share_intervals
from .targets import INSUFFICIENT, MET, NOT_MET, Targets, load_targets, status

COMMUNES_CSV = "communes.csv"
COMMUNES_GPKG = "communes.gpkg"
SUMMARY_JSON = "summary.json"
RSRP_TIF = "rsrp.tif"
RSRP_STD_TIF = "rsrp_std.tif"
P_COVERED_TIF = "p_covered.tif"
# Speed-based definition of 5G service: FCC BDC's "5G-NR (7/1 Mbps)" tier (GUIDE §2).
# Standard deviation (dB) of the path-loss trend's error in the interval simulations
# (:func:`~phusong.coverage.uncertainty.share_intervals`), calibrated on the simulator:
# smaller when the sites come from a list than when they are located from the readings.
LISTED_MODEL_STD_DB = 1.5
LOCATED_MODEL_STD_DB = 4.5
SPEED_5G_DOWN_BPS = 7e6
SPEED_5G_UP_BPS = 1e6
MIN_SPEED_TESTS = 10


@dataclass
class Estimate:
    """Per-commune results and the grids behind them."""

    communes: gpd.GeoDataFrame
    grid: Grid
    membership: Membership
    rsrp: np.ndarray
    rsrp_std: np.ndarray
    p_covered: np.ndarray
    summary: dict


def fit_kwargs(model, rows: pd.DataFrame) -> dict:
    """Serving cell ids for models whose ``fit`` takes them."""
    if "cell_ids" in inspect.signature(model.fit).parameters:
        return {"cell_ids": rows["cell_id"].where(rows["nr_measured"]).to_numpy(dtype=object)}
    return {}


def with_operator_sites(model, sites: pd.DataFrame | None, operator: str):
    """``model`` given the operator's listed sites, if it takes sites and there is a list."""
    if sites is not None and "sites" in model.get_params():
        model.set_params(sites=sites.loc[sites["operator"] == operator, ["x", "y"]].to_numpy())
    return model


def predict_operators(evidence: pd.DataFrame, cells_xy: np.ndarray, threshold: float,
                      interpolator, sites: pd.DataFrame | None = None,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Best-operator NR RSRP, its standard deviation, P(any operator covers) and
    each operator's prediction.

    Operators are modelled separately; a place is covered when any operator
    covers it, with operators' errors taken as independent. ``sites`` (columns
    ``operator``, ``x``, ``y`` in the evidence CRS) are given to models that take them.
    """
    best = np.full(len(cells_xy), -np.inf)
    best_std = np.zeros(len(cells_xy))
    not_covered = np.ones(len(cells_xy))
    per_operator = []
    for operator, rows in evidence.groupby(evidence["operator"].fillna("unknown")):
        model = with_operator_sites(clone(interpolator), sites, str(operator))
        model.fit(rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(),
                  **fit_kwargs(model, rows))
        mean, std = model.predict(cells_xy, return_std=True)
        p_covered = probability_above(mean, std, threshold)
        not_covered *= 1 - p_covered
        better = mean > best
        best = np.where(better, mean, best)
        best_std = np.where(better, std, best_std)
        variogram = getattr(model, "variogram_", None)
        per_operator.append(OperatorPrediction(
            str(operator), mean, std, p_covered,
            variogram.range_m if variogram is not None else 250.0,
            int(getattr(model, "n_unlisted_", 0)), int(getattr(model, "n_off_air_", 0))))
    return best, best_std, 1 - not_covered, per_operator


def project_sites(sites: pd.DataFrame | None, crs: str) -> pd.DataFrame | None:
    """NR sites of a site list (WGS 84) with projected ``x``/``y`` in ``crs``."""
    if sites is None:
        return None
    from pyproj import Transformer

    nr = sites[sites["technology"].str.startswith(("NR", "5G"))].copy()
    nr["x"], nr["y"] = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        nr["lon"].to_numpy(), nr["lat"].to_numpy())
    return nr


def _sites_cover_operators(nr_sites: pd.DataFrame | None, evidence: pd.DataFrame) -> bool:
    """Whether a site list (its NR rows, :func:`project_sites`) names sites for every
    operator in the evidence.

    Then the model stands for every cell; otherwise sites no route came near are
    unknown, and the cells near the readings stand for the rest of their commune.
    """
    if nr_sites is None or nr_sites.empty:
        return False
    return set(evidence["operator"].fillna("unknown")) <= set(nr_sites["operator"])


def probability_above(mean: np.ndarray, std: np.ndarray, threshold: float) -> np.ndarray:
    """P(value ≥ threshold) under a normal predictive distribution (a step where std = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (mean - threshold) / std
    return np.where(std > 0, norm.cdf(z), (mean >= threshold).astype(float))


def _distance_to_readings(member: Membership, points: np.ndarray, limit: float) -> np.ndarray:
    """Per grid cell, the distance to the nearest reading (inf beyond ``limit`` or outside)."""
    cells = member.cells()
    distance = np.full(member.grid.size, np.inf)
    if len(points):
        distance[cells], _ = cKDTree(points).query(member.grid.centres(cells),
                                                   distance_upper_bound=limit, workers=-1)
    return distance


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
    n_realisations: int = 60,
    declarations: pd.DataFrame | None = None,
    population_raster: str | Path | None = None,
    sites: pd.DataFrame | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Estimate:
    """Estimate each unit's 5G coverage share from the readings in a store.

    Parameters
    ----------
    store_path
        The readings store (GeoPackage).
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
        Simulated error fields behind the 90 % intervals.
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
    """
    report = progress or (lambda step, done: None)
    targets = targets or load_targets()
    threshold = targets.threshold_dbm if threshold_dbm is None else threshold_dbm
    interpolator = interpolator if interpolator is not None else default_interpolator()
    crs = units.crs.to_string()

    report("grid", 0.0)
    grid = grid_for(units, resolution)
    member = membership(grid, units)
    report("readings", 0.3)
    evidence = nr_evidence(load_signal_xy(store_path, crs))
    if evidence.empty:
        raise EstimationError(f"{store_path} holds no reading that tells whether 5G is present")
    report("interpolate", 0.4)
    nr_sites = project_sites(sites, crs)
    cells = member.cells()
    rsrp, rsrp_std, p_covered = (np.full(grid.size, np.nan) for _ in range(3))
    rsrp[cells], rsrp_std[cells], p_covered[cells], per_operator = predict_operators(
        evidence, grid.centres(cells), threshold, interpolator, nr_sites)
    points = evidence[["x", "y"]].to_numpy()
    distance = _distance_to_readings(member, points, max(SAMPLED_RADIUS_M, RELIABLE_RADIUS_M))
    everywhere = ("sites" in interpolator.get_params()
                  and _sites_cover_operators(nr_sites, evidence))
    reliable = np.isin(np.arange(grid.size), cells) if everywhere else distance <= RELIABLE_RADIUS_M
    people = population_on_grid(population_raster, grid) if population_raster else None
    # Expected covered share: the mean of each cell's P(covered) over the unit's cells near
    # the readings, which stand for the rest of the unit (a ratio estimator).
    share_area = 100 * member.mean_within(p_covered, reliable)
    # Without a raster people are spread uniformly inside each unit: both bases agree.
    share_pop = share_area if people is None else 100 * member.mean_within(p_covered, reliable,
                                                                            people)
    by_population = targets.coverage_5g_basis == "population"
    basis = share_pop if by_population else share_area
    report("aggregate", 0.7)
    spread_down, spread_up = share_intervals(
        member, cells, per_operator, threshold, weights=people if by_population else None,
        within=reliable, n_realisations=n_realisations,
        model_std_db=LISTED_MODEL_STD_DB if everywhere else LOCATED_MODEL_STD_DB)
    report("aggregate", 0.95)
    far = ~reliable & (member.dominant_unit() >= 0)
    p_covered[far] = share_area[member.dominant_unit()[far]] / 100
    counts = _unit_counts(member, points)
    sampled = 100 * member.weighted_mean((distance <= SAMPLED_RADIUS_M).astype(float))
    sufficient = (counts >= min_readings) & (sampled >= min_sampled_area_pct)

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
    # Intervals are given for every commune, including those with insufficient data.
    communes["share_5g_low_pct"] = np.clip(basis - spread_down, 0, 100)
    communes["share_5g_high_pct"] = np.clip(basis + spread_up, 0, 100)
    basis_share = np.where(sufficient, basis, np.nan)
    communes["target_pct"] = targets.coverage_5g_min_pct
    communes["status"] = status(basis_share, sufficient, targets.coverage_5g_min_pct)
    communes["gap_pp"] = np.where(sufficient,
                                  np.maximum(targets.coverage_5g_min_pct - basis_share, 0), np.nan)
    communes["gap_people"] = np.round(communes["gap_pp"] / 100 * communes["population"])
    speed_tests = _read_speed_tests(store_path)
    _add_speed_basis(communes, member, speed_tests)
    _add_gigabit(communes, member, speed_tests, declarations, targets)
    summary = _summary(communes, targets, threshold, resolution, len(evidence))
    if population_raster is not None:
        summary["population_basis"] = f"raster {Path(population_raster).name}"
    summary["method"] = type(interpolator).__name__
    summary["site_list_used"] = bool(everywhere)
    summary["share_basis"] = (
        "site list: the model over every cell" if everywhere else
        f"cells within {RELIABLE_RADIUS_M:g} m of a reading, extrapolated to the commune")
    summary["sites_added_from_readings"] = {op.operator: op.unlisted_sites
                                            for op in per_operator if op.unlisted_sites}
    summary["listed_sites_off_air"] = {op.operator: op.off_air_sites
                                       for op in per_operator if op.off_air_sites}
    summary["synthetic"] = bool(evidence["synthetic"].fillna(False).astype(bool).any())
    report("done", 1.0)
    return Estimate(communes, grid, member, rsrp, rsrp_std, p_covered, summary)


def _unit_of_lonlat(member: Membership, lon: np.ndarray,
                    lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projected positions of WGS 84 points and the unit each falls in."""
    from pyproj import Transformer

    to_grid = Transformer.from_crs("EPSG:4326", member.grid.crs, always_xy=True)
    xy = np.column_stack(to_grid.transform(lon, lat))
    return xy, member.unit_of(xy)


def _read_speed_tests(store_path: str | Path) -> pd.DataFrame:
    """Speed tests with a fix: what the speed basis and the gigabit check use."""
    from phusong.probes import SPEED_LAYER, ReadingStore

    with ReadingStore(store_path, create=False) as store:
        return store.read_table(SPEED_LAYER, where="has_fix = 1", columns=[
            "technology", "interface_kind", "plan_down_mbps", "link_speed_mbps",
            "download_bps", "upload_bps"])


def _add_gigabit(communes: gpd.GeoDataFrame, member: Membership, speed_tests: pd.DataFrame,
                 declarations: pd.DataFrame | None, targets: Targets) -> None:
    """Gigabit columns: declared share of households, verification and challenge."""
    from .gigabit import (HOUSEHOLD_SIZE, challenged_units, declared_gigabit_households,
                          verify_tests)

    n = member.n_units
    households = np.round(communes["population"].to_numpy() / HOUSEHOLD_SIZE)
    communes["households"] = households
    tests = verify_tests(speed_tests, targets.gigabit_min_down_mbps)
    xy, unit = _unit_of_lonlat(member, tests["lon"].to_numpy(), tests["lat"].to_numpy())
    inside = unit >= 0
    count = lambda mask: np.bincount(unit[inside & mask], minlength=n)  # noqa: E731
    communes["gigabit_tests"] = count(np.ones(len(unit), bool))
    communes["gigabit_confirmed_tests"] = count(tests["confirms"].to_numpy(bool))
    failing = tests["fails"].to_numpy(bool)
    communes["gigabit_failed_tests"] = count(failing)
    challenged = challenged_units(xy[failing], unit[failing], n)
    communes["gigabit_challenged"] = challenged
    if declarations is None or declarations.empty:
        communes["gigabit_declared_households"] = np.nan
        communes["gigabit_share_pct"] = np.nan
        communes["gigabit_verification"] = "no_declarations"
        communes["gigabit_status"] = INSUFFICIENT
        return
    point_rows = declarations["lon"].notna().to_numpy()
    point_units = np.full(len(declarations), -1)
    if point_rows.any():
        _, point_units[point_rows] = _unit_of_lonlat(
            member, declarations.loc[point_rows, "lon"].to_numpy(),
            declarations.loc[point_rows, "lat"].to_numpy())
    declared = declared_gigabit_households(declarations, point_units, communes["code"],
                                           targets.gigabit_min_down_mbps)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(households > 0, np.minimum(100 * declared / households, 100), np.nan)
    communes["gigabit_declared_households"] = declared
    communes["gigabit_share_pct"] = share
    communes["gigabit_verification"] = np.where(
        challenged, "challenged",
        np.where(communes["gigabit_confirmed_tests"] > 0, "verified", "unverified"))
    communes["gigabit_status"] = status(share, ~np.isnan(share), targets.gigabit_min_pct)


def wilson_interval(successes: np.ndarray, trials: np.ndarray,
                    z: float = 1.645) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (90 % by default) of a proportion, in percent; NaN for no trial."""
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return 100 * (centre - half), 100 * (centre + half)


def _add_speed_basis(communes: gpd.GeoDataFrame, member: Membership,
                     speed_tests: pd.DataFrame) -> None:
    """The speed-based alternative: share of cellular tests on NR at ≥ 7/1 Mbit/s.

    A design-based figure from the speed tests alone (FCC BDC's "5G-NR 7/1" tier),
    with a Wilson interval; blank where a commune has fewer than
    ``MIN_SPEED_TESTS`` cellular tests.
    """
    tests = speed_tests[speed_tests["interface_kind"] == "cellular"]
    _, unit = _unit_of_lonlat(member, tests["lon"].to_numpy(), tests["lat"].to_numpy())
    served = (tests["technology"].isin(NR_TECHNOLOGIES)
              & (tests["download_bps"] >= SPEED_5G_DOWN_BPS)
              & (tests["upload_bps"] >= SPEED_5G_UP_BPS)).to_numpy()
    inside = unit >= 0
    n = np.bincount(unit[inside], minlength=member.n_units)
    k = np.bincount(unit[inside & served], minlength=member.n_units)
    enough = n >= MIN_SPEED_TESTS
    low, high = wilson_interval(k, n)
    communes["speed_tests"] = n
    with np.errstate(invalid="ignore", divide="ignore"):
        communes["speed_share_5g_pct"] = np.where(enough, 100 * k / n, np.nan)
    communes["speed_share_5g_low_pct"] = np.where(enough, low, np.nan)
    communes["speed_share_5g_high_pct"] = np.where(enough, high, np.nan)


def _summary(communes: gpd.GeoDataFrame, targets: Targets, threshold: float,
             resolution: float, n_evidence: int) -> dict:
    known = communes[communes["status"] != INSUFFICIENT]
    pop = known["population"].fillna(0).to_numpy()
    share = known["share_5g_pop_pct"].to_numpy()
    province = float(np.sum(pop * share) / pop.sum()) if pop.sum() > 0 else None
    gigabit = {}
    if "gigabit_share_pct" in communes and communes["gigabit_share_pct"].notna().any():
        hh = communes["households"].to_numpy()
        declared = communes["gigabit_declared_households"].fillna(0).to_numpy()
        gigabit = {
            "province_gigabit_share_pct": float(100 * declared.sum() / hh.sum()),
            "target_gigabit_pct": targets.gigabit_min_pct,
            "communes_gigabit_met": int((communes["gigabit_status"] == MET).sum()),
            "communes_gigabit_challenged": int(communes["gigabit_challenged"].sum()),
        }
        gigabit["province_gigabit_status"] = (
            MET if gigabit["province_gigabit_share_pct"] >= targets.gigabit_min_pct else NOT_MET)
    return {
        **gigabit,
        "threshold_dbm": threshold,
        "resolution_m": resolution,
        "population_basis": "uniform within each commune",
        "n_evidence_readings": int(n_evidence),
        "target_5g_pct": targets.coverage_5g_min_pct,
        "target_basis": targets.coverage_5g_basis,
        "plan": targets.plan,
        "plan_source": targets.source,
        "province_share_5g_pop_pct": province,
        "province_5g_status": (INSUFFICIENT if province is None else
                               MET if province >= targets.coverage_5g_min_pct else NOT_MET),
        "province_population_with_data": float(pop.sum()),
        "province_population_total": float(communes["population"].fillna(0).sum()),
        "communes": int(len(communes)),
        "communes_met": int((communes["status"] == MET).sum()),
        "communes_not_met": int((communes["status"] == NOT_MET).sum()),
        "communes_insufficient": int((communes["status"] == INSUFFICIENT).sum()),
    }


def with_status_labels(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The table with ``status_label`` and ``gigabit_status_label`` beside the status codes,
    in the current language (the codes stay as they are for programs)."""
    from phusong.i18n import t

    table = table.copy()
    for column in ("status", "gigabit_status"):
        if column in table:
            labels = {code: t(f"status.{code}", lang) for code in (MET, NOT_MET, INSUFFICIENT)}
            position = table.columns.get_loc(column) + 1
            table.insert(position, f"{column}_label", table[column].map(labels))
    return table


def write_estimate(result: Estimate, out_dir: str | Path) -> dict[str, Path]:
    """Write ``communes.csv``, ``communes.gpkg``, ``rsrp.tif`` and ``summary.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out_dir / COMMUNES_CSV,
        "gpkg": out_dir / COMMUNES_GPKG,
        "rsrp": out_dir / RSRP_TIF,
        "rsrp_std": out_dir / RSRP_STD_TIF,
        "p_covered": out_dir / P_COVERED_TIF,
        "summary": out_dir / SUMMARY_JSON,
    }
    table = with_status_labels(pd.DataFrame(result.communes.drop(columns="geometry")))
    table.to_csv(paths["csv"], index=False, float_format="%.2f", encoding="utf-8")
    if paths["gpkg"].exists():
        paths["gpkg"].unlink()
    with_status_labels(result.communes).to_file(paths["gpkg"], layer="communes", driver="GPKG")
    write_cog(paths["rsrp"], result.rsrp, result.grid, "Estimated NR SS-RSRP, best operator",
              "dBm")
    write_cog(paths["rsrp_std"], result.rsrp_std, result.grid,
              "Standard deviation of the estimated NR SS-RSRP", "dB")
    extrapolated = ("" if result.summary.get("site_list_used") else
                    f" (beyond {RELIABLE_RADIUS_M:g} m of any reading: the commune's expected share)")
    write_cog(paths["p_covered"], result.p_covered, result.grid,
              "Probability that some operator's NR SS-RSRP is at or above the threshold"
              + extrapolated)
    paths["summary"].write_text(json.dumps(result.summary, ensure_ascii=False, indent=2),
                                encoding="utf-8")
    return paths
