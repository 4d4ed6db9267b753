"""Re-aggregation of an estimate to another boundary set.

Boundaries change (the 2025 merger replaced 232 Bắc Giang communes by 58): the
per-cell probability of coverage (``p_covered.tif``), the readings per cell
(``readings.tif``) and the simulated coverage fields (``realisations.npz``) are the
estimate's, and any set of units can be summarised from them without re-running
the model, under the same evidence rules (readings, sampled area), with the same
intervals, P(target met) and statuses as ``estimate``.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage

from phusong.config import DEFAULT_MIN_READINGS, DEFAULT_MIN_SAMPLED_AREA_PCT, SAMPLED_RADIUS_M
from phusong.errors import EstimationError

from .unit_figures import (add_status_columns, fill_unsupported, supported_fraction,
                           unit_extra_std_pp)
from .grid import Grid, Membership, membership
from .estimate_folder import (P_COVERED_MODEL_TIF, READINGS_TIF, REALISATIONS_NPZ, check_estimate_folder,
                      load_realisations, public_names)
from .rasters import read_band
from .targets import Targets
from .uncertainty import ShareDistribution, realised_shares

# A unit whose area is less than this share inside the raster's coverage gets no figure.
MIN_COVERED_AREA_SHARE = 0.5


def grid_of_raster(path: str | Path) -> tuple[Grid, np.ndarray]:
    """The grid of a north-up single-band raster and its values, flattened."""
    values, transform, crs = read_band(path)
    if transform.b != 0 or transform.d != 0 or transform.a != -transform.e:
        raise EstimationError(f"{Path(path).name} is not a north-up raster with square cells")
    grid = Grid(transform.c, transform.f, transform.a, values.shape[1], values.shape[0], crs)
    return grid, values.ravel()


def _readings_per_unit(member: Membership, readings: np.ndarray) -> np.ndarray:
    """Readings per unit, each cell's counted in the unit holding most of it (as
    ``estimate`` counts each reading in the unit of its cell)."""
    unit = member.dominant_unit()
    inside = (unit >= 0) & (readings > 0)
    return np.round(np.bincount(unit[inside], readings[inside], member.n_units)).astype(int)


def _sampled_pct(member: Membership, readings: np.ndarray) -> np.ndarray:
    """Share of each unit's area within ``SAMPLED_RADIUS_M`` of a cell with readings."""
    grid = member.grid
    empty = ~(np.nan_to_num(readings) > 0).reshape(grid.shape)
    if empty.all():
        return np.zeros(member.n_units)
    distance = ndimage.distance_transform_edt(empty) * grid.resolution
    return 100 * member.weighted_mean((distance.ravel() <= SAMPLED_RADIUS_M).astype(float))


def reaggregate(estimates_dir: str | Path, units: gpd.GeoDataFrame, targets: Targets,
                min_readings: int = DEFAULT_MIN_READINGS,
                min_sampled_area_pct: float = DEFAULT_MIN_SAMPLED_AREA_PCT) -> pd.DataFrame:
    """Per-unit expected 5G share (area; population spread uniformly), with its 90 %
    interval, P(target met) and status, from an estimate folder.

    Units with too few readings, too little sampled area, or less than half inside
    the estimate's rasters are ``insufficient_data``.
    """
    estimates_dir = Path(estimates_dir)
    summary = check_estimate_folder(estimates_dir,
                                    needs=(P_COVERED_MODEL_TIF, READINGS_TIF,
                                           REALISATIONS_NPZ))
    grid, p_covered = grid_of_raster(estimates_dir / P_COVERED_MODEL_TIF)
    _, readings = grid_of_raster(estimates_dir / READINGS_TIF)
    drawn_grid, cells, covered, reliable, _ = load_realisations(estimates_dir / REALISATIONS_NPZ)
    if drawn_grid != grid:
        raise EstimationError(f"{estimates_dir}: {REALISATIONS_NPZ} and {P_COVERED_MODEL_TIF} are on "
                              "different grids: run phusong estimate again")
    units = units.to_crs(grid.crs)
    member = membership(grid, units)
    with_data = member.weighted_mean((~np.isnan(p_covered)).astype(float))
    counts = _readings_per_unit(member, readings)
    sampled = _sampled_pct(member, readings)
    sufficient = ((counts >= min_readings) & (sampled >= min_sampled_area_pct)
                  & (with_data >= MIN_COVERED_AREA_SHARE))
    listed = bool(summary.get("site_list_used"))
    supported = supported_fraction(sampled)
    distribution = ShareDistribution.around(
        100 * member.mean_within(p_covered, reliable),
        realised_shares(member, cells, covered, within=reliable),
        unit_extra_std_pp(sufficient, supported, member.weighted_mean(reliable.astype(float)),
                          listed))
    if not listed and summary.get("small_area_fill", True):
        density = units["population"].to_numpy(dtype=float) / (member.unit_area_m2() / 1e6)
        distribution, = fill_unsupported(distribution, supported, sufficient, density)
    point = distribution.point
    table = pd.DataFrame({
        "code": units["code"].to_numpy(),
        "name": units["name"].to_numpy(),
        "population": units["population"].to_numpy(),
        "area_km2": member.unit_area_m2() / 1e6,
        "area_with_data_pct": 100 * with_data,
        "n_readings": counts,
        "sampled_area_pct": sampled,
        "share_5g_area_pct": np.where(sufficient, point, np.nan),
        "share_5g_pop_pct": np.where(sufficient, point, np.nan),
    })
    add_status_columns(table, distribution, sufficient, targets.coverage_5g_min_pct)
    table["estimate_run_id"] = summary.get("run_id")
    return table.rename(columns=public_names(table.columns, summary.get("technology", "nr")))
