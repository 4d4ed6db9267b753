"""Writing and reading single-band rasters on a :class:`~phusong.coverage.grid.Grid`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.shutil import copy as raster_copy

from .grid import Grid


def write_cog(path: str | Path, values: np.ndarray, grid: Grid, description: str,
              units: str = "") -> Path:
    """Write a float32 cloud-optimised GeoTIFF (deflate, NaN as nodata)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(values, dtype=np.float32).reshape(grid.shape)
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1,
                   dtype="float32", crs=grid.crs, transform=grid.transform, nodata=np.nan)
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(data, 1)
            dataset.set_band_description(1, description)
            if units:
                dataset.set_band_unit(1, units)
        with memory.open() as dataset:
            raster_copy(dataset, path, driver="COG", compress="DEFLATE", predictor="3",
                        overview_resampling="average")
    return path


def read_band(path: str | Path) -> tuple[np.ndarray, rasterio.Affine, str]:
    """The first band (float, NaN for nodata), its transform and CRS."""
    with rasterio.open(path) as dataset:
        data = dataset.read(1, masked=True).astype(float).filled(np.nan)
        return data, dataset.transform, dataset.crs.to_string()
