"""Population weights per grid cell: from a raster, or spread uniformly in each unit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import reproject

from phusong.errors import InputFormatError

from .grid import Grid


def population_on_grid(path: str | Path, grid: Grid) -> np.ndarray:
    """People per grid cell from a population-count raster in any CRS (e.g. WorldPop).

    Resampled with GDAL's ``sum`` so that counts are conserved; then rescaled so
    the grid total equals the raster's total over the same area.
    """
    path = Path(path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputFormatError(f"{path.name} has no CRS")
            counts = src.read(1, masked=True).astype(float).filled(0)
            counts[~np.isfinite(counts) | (counts < 0)] = 0
            target = np.zeros(grid.shape)
            reproject(counts, target, src_transform=src.transform, src_crs=src.crs,
                      dst_transform=grid.transform, dst_crs=grid.crs,
                      resampling=Resampling.sum, src_nodata=None, dst_nodata=0)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFormatError(f"cannot read population raster {path}: {exc}") from exc
    return target.ravel()
