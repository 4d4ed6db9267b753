"""Writing and reading single-band rasters on a :class:`~phusong.coverage.grid.Grid`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.shutil import copy as raster_copy

from phusong.errors import InputFormatError

from .grid import Grid


RUN_ID_TAG = "PHUSONG_RUN_ID"


def write_cog(path: str | Path, values: np.ndarray, grid: Grid, description: str,
              units: str = "", run_id: str | None = None) -> Path:
    """Write a float32 cloud-optimised GeoTIFF (deflate, NaN as nodata), tagged with the
    run id when given."""
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
            if run_id:
                dataset.update_tags(**{RUN_ID_TAG: run_id})
        with memory.open() as dataset:
            raster_copy(dataset, path, driver="COG", compress="DEFLATE", predictor="3",
                        overview_resampling="average", num_threads="ALL_CPUS")
    return path


def read_band(path: str | Path) -> tuple[np.ndarray, rasterio.Affine, str]:
    """The first band (float, NaN for nodata), its transform and CRS.

    Raises
    ------
    InputFormatError
        When the file cannot be read as a raster or holds no value at all.
    """
    path = Path(path)
    try:
        with rasterio.open(path) as dataset:
            data = dataset.read(1, masked=True).astype(float).filled(np.nan)
            transform, crs = dataset.transform, dataset.crs
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise InputFormatError(f"cannot read raster {path}: {exc}") from exc
    if crs is None:
        raise InputFormatError(f"{path.name} has no CRS")
    if np.isnan(data).all():
        raise InputFormatError(f"{path.name} holds no value (every cell is nodata): "
                               "it may be damaged or half-written")
    return data, transform, crs.to_string()


def read_run_id(path: str | Path) -> str | None:
    """The run id a raster was tagged with, if any."""
    try:
        with rasterio.open(path) as dataset:
            return dataset.tags().get(RUN_ID_TAG)
    except (rasterio.errors.RasterioError, OSError):
        return None
