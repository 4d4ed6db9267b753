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
    COUNTRY_BOUNDS,
    DEFAULT_CRS,
    DEFAULT_ID_FIELD,
    DEFAULT_NAME_FIELD,
    DEFAULT_POPULATION_FIELD,
    default_boundaries,
)
from phusong.errors import BoundaryError

from .grid import utm_crs_at



def normalise_name(name: object) -> str:
    """A name in Unicode NFC with surrounding spaces removed, for display and joins."""
    return unicodedata.normalize("NFC", str(name)).strip()


# Overlaps between units larger than this share of the smaller unit are an error (they
# would give one unit's readings and area to another); smaller ones, the slivers of
# digitising or of simplified boundaries (the shipped pre-2025 file has overlaps of up to
# 6 %), a warning. Gaps (holes between units) are reported above GAP_WARN_M2.
MAX_OVERLAP_SHARE = 0.10
OVERLAP_WARN_M2 = 100.0
GAP_WARN_M2 = 10_000.0
# Letters of Vietnamese (NFC, both cases) beyond ASCII: any other non-ASCII letter in a
# name suggests text decoded with the wrong encoding (mojibake).
VIETNAMESE_LETTERS = set(
    "àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
    "ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ")


def _read(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryError(f"boundary file not found: {path}")
    try:
        if encoding and path.suffix.lower() in (".shp", ".dbf"):
            return _read_shapefile_as(path, encoding)
        return gpd.read_file(path, encoding=encoding) if encoding else gpd.read_file(path)
    except LookupError as exc:
        raise BoundaryError(f"unknown encoding {encoding}") from exc
    except (DataSourceError, DataLayerError, ValueError, shapely.errors.GEOSException,
            OSError) as exc:
        raise BoundaryError(f"cannot read boundary file {path}: {exc}") from exc


def _read_shapefile_as(path: Path, encoding: str) -> gpd.GeoDataFrame:
    """A shapefile whose text is in ``encoding``, decoded by Python.

    GDAL's own recoding (iconv) drops the last character of CP1258 text, whose decoder
    waits for a combining tone mark; so the bytes are read as Latin-1 (one character
    per byte) and decoded here.
    """
    "".encode(encoding)  # LookupError for an unknown encoding
    frame = gpd.read_file(path, encoding="latin1")

    def decode(value: object) -> object:
        return value.encode("latin1").decode(encoding, errors="replace") \
            if isinstance(value, str) else value

    for column in frame.columns:
        if column != frame.geometry.name and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(decode)
    return frame.rename(columns={c: decode(c) for c in frame.columns
                                 if c != frame.geometry.name})


def suspicious_names(names: pd.Series) -> list[str]:
    """Names with characters no Vietnamese name has: signs of a wrong text encoding."""
    def odd(name: str) -> bool:
        return any(not c.isascii() and c not in VIETNAMESE_LETTERS and c.isprintable()
                   and not c.isspace() and c not in "–—‘’“”" or c == "\ufffd" for c in name)
    return [n for n in names if odd(n)]


def _check_encoding(names: pd.Series, path: Path, encoding: str | None) -> None:
    odd = suspicious_names(names)
    if odd and encoding is None:
        raise BoundaryError(
            f"{path.name}: {len(odd)} names look wrongly decoded (e.g. {', '.join(odd[:3])}): "
            "give the file's encoding with --encoding (cp1258 for old Vietnamese shapefiles, "
            "or add a .cpg file)")


def _repair(geometry: gpd.GeoSeries, codes: pd.Series, path: Path) -> tuple[gpd.GeoSeries,
                                                                             list[str]]:
    """Invalid polygons repaired, with a warning naming each and its area change."""
    invalid = ~geometry.is_valid & geometry.notna()
    warnings = []
    repaired = geometry.map(_polygonal)
    for i in np.flatnonzero(invalid.to_numpy()):
        before = abs(shapely.area(shapely.polygons(shapely.get_exterior_ring(
            shapely.get_parts(geometry.iloc[i])))).sum()) if geometry.iloc[i] is not None else 0
        after = repaired.iloc[i].area if repaired.iloc[i] is not None else 0
        change = 100 * (after - before) / before if before else float("nan")
        warnings.append(f"{path.name}: the polygon of unit {codes.iloc[i]} is invalid "
                        f"({shapely.is_valid_reason(geometry.iloc[i])}) and was repaired; "
                        f"its area changed by {change:+.1f} %")
    return repaired, warnings


def check_topology(units: gpd.GeoDataFrame, path_name: str) -> list[str]:
    """Overlaps and gaps between units (in a metric CRS): an error for overlaps above
    ``MAX_OVERLAP_SHARE`` of the smaller unit, warnings for the rest."""
    from concurrent.futures import ThreadPoolExecutor

    geometry = units.geometry.to_numpy()
    codes = units["code"].to_numpy()
    area = shapely.area(geometry)
    # the union (for the gaps) beside the overlaps: shapely releases the GIL
    with ThreadPoolExecutor(max_workers=1) as pool:
        union_job = pool.submit(shapely.union_all, geometry)
        left, right = shapely.STRtree(geometry).query(geometry, predicate="intersects")
        pairs = left < right
        # only units whose interiors meet can overlap; neighbours share just an edge
        pairs[pairs] = shapely.relate_pattern(geometry[left[pairs]], geometry[right[pairs]],
                                              "T********")
        left, right = left[pairs], right[pairs]
        overlap = shapely.area(shapely.intersection(geometry[left], geometry[right]))
        union = union_job.result()
    share = overlap / np.maximum(np.minimum(area[left], area[right]), 1e-9)
    bad = share > MAX_OVERLAP_SHARE
    if bad.any():
        listed = "; ".join(f"{codes[a]} and {codes[b]} share {o / 1e6:.3f} km² "
                           f"({100 * s:.1f} % of the smaller)"
                           for a, b, o, s in zip(left[bad], right[bad], overlap[bad],
                                                 share[bad]))
        raise BoundaryError(f"{path_name}: units overlap: {listed}: each place must belong "
                            "to one unit")
    warnings = []
    small = overlap > OVERLAP_WARN_M2
    if small.any():
        worst = np.argmax(np.where(small, share, 0))
        warnings.append(f"{path_name}: {small.sum()} pairs of units overlap slightly "
                        f"({overlap[small].sum() / 1e6:.2f} km² in all; the most, "
                        f"{codes[left[worst]]} and {codes[right[worst]]}, by "
                        f"{100 * share[worst]:.1f} % of the smaller): readings there count "
                        "for one of them")
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union)
             for ring in part.interiors]
    gaps = [h for h in holes if h.area > GAP_WARN_M2]
    if gaps:
        x, y = max(gaps, key=lambda g: g.area).representative_point().coords[0]
        warnings.append(f"{path_name}: {len(gaps)} gaps between units "
                        f"({sum(g.area for g in gaps) / 1e6:.2f} km² in all; the largest "
                        f"near x={x:.0f}, y={y:.0f} in {units.crs.to_string()}) belong to "
                        "no unit")
    return warnings


def _population(frame: gpd.GeoDataFrame, field: str, codes: pd.Series,
                path: Path) -> tuple[pd.Series, list[str]]:
    if field not in frame.columns:
        return pd.Series(np.nan, index=frame.index), [
            f"{path.name} has no population field {field!r}: figures by population and the "
            "province figure are not available (give --population-field)"]
    raw = frame[field]
    population = pd.to_numeric(raw, errors="coerce").astype(float)
    negative = population < 0
    if negative.any():
        raise BoundaryError(f"{path.name}: negative population for "
                            f"{', '.join(codes[negative].head(10))}")
    unreadable = population.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if unreadable.any():
        raise BoundaryError(f"{path.name}: population {raw[unreadable].iloc[0]!r} of "
                            f"{codes[unreadable].iloc[0]} is not a number")
    warnings = []
    if population.isna().any():
        warnings.append(f"{path.name}: no population for "
                        f"{', '.join(codes[population.isna()].head(10))}")
    return population, warnings


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


Region = str | tuple[float, float, float, float] | None


def region_bounds(region: Region) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) in degrees of a region: ``"country"`` (Vietnam),
    ``"any"`` or ``None`` (no bounds), or the four numbers themselves."""
    if region == "country":
        return COUNTRY_BOUNDS
    if region is None or region == "any":
        return None
    return tuple(float(v) for v in region)


def _check_in_region(frame: gpd.GeoDataFrame, path: Path, region: Region) -> None:
    bounds = region_bounds(region)
    if bounds is None:
        return
    lon0, lat0, lon1, lat1 = frame.to_crs("EPSG:4326").total_bounds
    west, south, east, north = bounds
    if not (west <= lon0 and lon1 <= east and south <= lat0 and lat1 <= north):
        where = "outside Vietnam" if region == "country" else \
            f"outside the region {west:g},{south:g},{east:g},{north:g}"
        raise BoundaryError(
            f"{path.name} extends to lon {lon0:.3f}…{lon1:.3f}, lat {lat0:.3f}…{lat1:.3f}, "
            f"{where}: is its CRS declared correctly? (boundaries abroad: --region any)"
        )


def utm_crs(frame: gpd.GeoDataFrame) -> str:
    """The WGS 84 / UTM zone CRS (EPSG:326zz north, 327zz south) holding the centre of
    ``frame``'s extent: a metric CRS for boundaries anywhere."""
    lon0, lat0, lon1, lat1 = frame.to_crs("EPSG:4326").total_bounds
    return utm_crs_at((lon0 + lon1) / 2, (lat0 + lat1) / 2)


def working_crs(frame: gpd.GeoDataFrame, region: Region, crs: str | None) -> str:
    """``crs`` when given; else the province's grid (EPSG:9214) for Vietnam and the UTM
    zone of the boundaries elsewhere."""
    if crs:
        return crs
    return DEFAULT_CRS if region == "country" else utm_crs(frame)


def load_boundaries(
    path: str | Path | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    region: Region = "country",
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
        Metric CRS to work in; by default EPSG:9214 (VN-2000 / TM-3 107-00) for
        ``region="country"`` and the UTM zone of the boundaries otherwise.
    encoding
        Text encoding of the attributes, for files that do not declare it (a
        shapefile without ``.cpg``); names that look wrongly decoded are an error
        without it.
    region
        Where the units must lie: ``"country"`` (Vietnam, the default), ``"any"``, or
        (west, south, east, north) in degrees.

    Returns
    -------
    GeoDataFrame
        Columns ``code`` (str), ``name`` (NFC), ``population`` (float, NaN if unknown),
        ``geometry`` (valid polygons in ``crs``), in file order; ``attrs["warnings"]``
        lists what was repaired or looks doubtful (slight overlaps, gaps, missing
        population).

    Raises
    ------
    BoundaryError
        For a missing file or field, an empty file, no CRS, duplicate or empty codes,
        missing geometries, overlapping units, negative populations, wrongly decoded
        names, or units outside ``region``.
    """
    path = Path(path) if path is not None else default_boundaries()
    id_field = id_field or DEFAULT_ID_FIELD
    name_field = name_field or DEFAULT_NAME_FIELD
    frame = _read(path, encoding)
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
    names = frame[name_field].map(normalise_name)
    _check_encoding(names, path, encoding)
    geometry, warnings = _repair(frame.geometry, codes, path)
    empty = codes[geometry.isna() | geometry.map(lambda g: g is None or g.is_empty)]
    if len(empty):
        raise BoundaryError(f"{path.name}: units without a polygon: {', '.join(empty[:10])}")
    population, population_warnings = _population(
        frame, population_field or DEFAULT_POPULATION_FIELD, codes, path)
    units = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": names.to_numpy(),
            "population": population.to_numpy(),
        },
        geometry=gpd.GeoSeries(geometry.to_numpy(), crs=frame.crs),
    )
    _check_in_region(units, path, region)
    units = units.to_crs(working_crs(units, region, crs))
    units["geometry"] = units.geometry.map(_polygonal)
    warnings += check_topology(units, path.name) + population_warnings
    units.attrs["warnings"] = warnings
    units.attrs["source"] = path.name
    return units
