"""Re-aggregation of an estimate's rasters to another boundary set.

Boundaries change (the 2025 merger replaced 232 Bắc Giang communes by 58): the
per-cell probability of coverage (``p_covered.tif``) is the estimate's, and any
set of units can be summarised from it without re-running the model.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .grid import Grid, membership
from .rasters import read_band
from .targets import Targets, status

# A unit whose area is less than this share inside the raster's coverage gets no figure.
MIN_COVERED_AREA_SHARE = 0.5


def grid_of_raster(path: str | Path) -> tuple[Grid, np.ndarray]:
    """The grid of a north-up single-band raster and its values, flattened."""
    values, transform, crs = read_band(path)
    if transform.b != 0 or transform.d != 0 or transform.a != -transform.e:
        raise ValueError(f"{Path(path).name} is not a north-up raster with square cells")
    grid = Grid(transform.c, transform.f, transform.a, values.shape[1], values.shape[0], crs)
    return grid, values.ravel()


def reaggregate(p_covered_path: str | Path, units: gpd.GeoDataFrame,
                targets: Targets) -> pd.DataFrame:
    """Per-unit expected 5G share (area; population spread uniformly) from ``p_covered.tif``.

    Units less than half inside the raster's data are ``insufficient_data``.
    """
    grid, p_covered = grid_of_raster(p_covered_path)
    units = units.to_crs(grid.crs)
    member = membership(grid, units)
    with_data = member.weighted_mean((~np.isnan(p_covered)).astype(float))
    share = 100 * member.weighted_mean(p_covered)
    sufficient = with_data >= MIN_COVERED_AREA_SHARE
    share = np.where(sufficient, share, np.nan)
    table = pd.DataFrame({
        "code": units["code"].to_numpy(),
        "name": units["name"].to_numpy(),
        "population": units["population"].to_numpy(),
        "area_km2": member.unit_area_m2() / 1e6,
        "area_with_data_pct": 100 * with_data,
        "share_5g_area_pct": share,
        "share_5g_pop_pct": share,
        "target_pct": targets.coverage_5g_min_pct,
    })
    table["status"] = status(share, sufficient, targets.coverage_5g_min_pct)
    table["gap_pp"] = np.where(sufficient, np.maximum(targets.coverage_5g_min_pct - share, 0),
                               np.nan)
    table["gap_people"] = np.round(table["gap_pp"] / 100 * table["population"])
    return table
