"""Loading administrative boundaries from any vector file GDAL reads."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyogrio.errors import DataLayerError, DataSourceError
import shapely

from phusong.config import (
    DEFAULT_CRS,
    DEFAULT_ID_FIELD,
    DEFAULT_NAME_FIELD,
    DEFAULT_POPULATION_FIELD,
    default_boundaries,
)
from phusong.errors import BoundaryError

# Vietnam's extent in degrees (mainland and islands), with a margin of about 0.5°.
VIETNAM_BOUNDS = (101.5, 8.0, 110.0, 24.0)


def normalise_name(name: object) -> str:
    """A name in Unicode NFC with surrounding spaces removed, for display and joins."""
    return unicodedata.normalize("NFC", str(name)).strip()


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryError(f"boundary file not found: {path}")
    try:
        return gpd.read_file(path)
    except (DataSourceError, DataLayerError, ValueError) as exc:
        raise BoundaryError(f"cannot read boundary file {path}: {exc}") from exc


def _require_field(frame: gpd.GeoDataFrame, field: str, option: str, path: Path) -> None:
    if field not in frame.columns:
        fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise BoundaryError(
            f"{path.name} has no field {field!r} (given by {option}); its fields are: {fields}"
        )


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Repair an invalid geometry and keep only its polygonal parts."""
    if geometry is None or geometry.is_empty:
        return geometry
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _check_in_vietnam(frame: gpd.GeoDataFrame, path: Path) -> None:
    lon0, lat0, lon1, lat1 = frame.to_crs("EPSG:4326").total_bounds
    west, south, east, north = VIETNAM_BOUNDS
    if not (west <= lon0 and lon1 <= east and south <= lat0 and lat1 <= north):
        raise BoundaryError(
            f"{path.name} extends to lon {lon0:.3f}…{lon1:.3f}, lat {lat0:.3f}…{lat1:.3f}, "
            "outside Vietnam: is its CRS declared correctly?"
        )


def load_boundaries(
    path: str | Path | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
    crs: str = DEFAULT_CRS,
) -> gpd.GeoDataFrame:
    """Read administrative units and make them ready for estimation.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile or any format GDAL reads; the shipped 2025
        Bắc Ninh communes when omitted.
    id_field, name_field
        Fields holding each unit's code and name (defaults: ``ward_code``, ``full_name``).
    population_field
        Field with each unit's population; used when present (default ``population``).
    crs
        Metric CRS to project to (default EPSG:9214, VN-2000 / TM-3 107-00).

    Returns
    -------
    GeoDataFrame
        Columns ``code`` (str), ``name`` (NFC), ``population`` (float, NaN if unknown),
        ``geometry`` (valid polygons in ``crs``), in file order.

    Raises
    ------
    BoundaryError
        For a missing file or field, an empty file, no CRS, duplicate or empty codes,
        missing geometries, or units outside Vietnam.
    """
    path = Path(path) if path is not None else default_boundaries()
    id_field = id_field or DEFAULT_ID_FIELD
    name_field = name_field or DEFAULT_NAME_FIELD
    frame = _read(path)
    if frame.empty:
        raise BoundaryError(f"{path.name} holds no features")
    if frame.crs is None:
        raise BoundaryError(
            f"{path.name} declares no CRS; add one (e.g. a .prj file) or convert it to GeoPackage"
        )
    _require_field(frame, id_field, "--id-field", path)
    _require_field(frame, name_field, "--name-field", path)
    codes = frame[id_field]
    if codes.isna().any() or (codes.astype(str).str.strip() == "").any():
        raise BoundaryError(f"{path.name}: some units have no {id_field!r}")
    codes = codes.astype(str).map(normalise_name)
    duplicated = sorted(set(codes[codes.duplicated()]))
    if duplicated:
        raise BoundaryError(f"{path.name}: {id_field!r} repeats for {', '.join(duplicated[:10])}")
    geometry = frame.geometry.map(_polygonal)
    empty = codes[geometry.isna() | geometry.map(lambda g: g is None or g.is_empty)]
    if len(empty):
        raise BoundaryError(f"{path.name}: units without a polygon: {', '.join(empty[:10])}")
    population_field = population_field or DEFAULT_POPULATION_FIELD
    population = (
        pd.to_numeric(frame[population_field], errors="coerce").astype(float)
        if population_field in frame.columns
        else pd.Series(np.nan, index=frame.index)
    )
    units = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": frame[name_field].map(normalise_name).to_numpy(),
            "population": population.to_numpy(),
        },
        geometry=gpd.GeoSeries(geometry.to_numpy(), crs=frame.crs),
    )
    _check_in_vietnam(units, path)
    units = units.to_crs(crs)
    units["geometry"] = units.geometry.map(_polygonal)
    return units
