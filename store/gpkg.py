"""The small part of the OGC GeoPackage 1.4 standard the readings store needs.

Point geometries are written as GeoPackageBinary (standard §2.1.3): the header
``GP``, version 0, flags (little-endian, no envelope), the SRS id, then WKB.
"""
from __future__ import annotations

import sqlite3
import struct

import numpy as np

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4.0
WGS84_SRS_ID = 4326

_HEADER = struct.Struct("<2sBBi")
_WKB_POINT = struct.Struct("<BIdd")
_POINT_BLOB_SIZE = _HEADER.size + _WKB_POINT.size
_FLAGS_LITTLE_ENDIAN_NO_ENVELOPE = 0b0000_0001

CORE_TABLES_SQL = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL
    DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)


def create_core_tables(conn: sqlite3.Connection) -> None:
    """Write the GeoPackage identity and its three mandatory tables."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    for statement in CORE_TABLES_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
            ("WGS 84 geodetic", WGS84_SRS_ID, "EPSG", 4326, WGS84_WKT, "longitude/latitude"),
        ],
    )


def register_features(conn: sqlite3.Connection, table: str, description: str) -> None:
    """Declare ``table`` as a point feature layer in EPSG:4326."""
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES (?, 'features', ?, ?, ?)",
        (table, table, description, WGS84_SRS_ID),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', ?, 0, 0)",
        (table, WGS84_SRS_ID),
    )


def register_attributes(conn: sqlite3.Connection, table: str, description: str) -> None:
    """Declare ``table`` as a non-spatial (attributes) table."""
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (table, table, description),
    )


def encode_point(lon: float, lat: float, srs_id: int = WGS84_SRS_ID) -> bytes:
    """GeoPackageBinary for a 2D point."""
    return _HEADER.pack(b"GP", 0, _FLAGS_LITTLE_ENDIAN_NO_ENVELOPE, srs_id) + _WKB_POINT.pack(
        1, 1, lon, lat
    )


def decode_points(blobs: list[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of point blobs; NaN where the geometry is null.

    Handles any envelope and byte order the standard allows, so stores edited
    by other GeoPackage tools still read.
    """
    lon = np.full(len(blobs), np.nan)
    lat = np.full(len(blobs), np.nan)
    plain = _decode_plain_points(blobs, lon, lat)
    envelope_sizes = (0, 32, 48, 48, 64)
    for i, blob in enumerate(blobs):
        if blob is None or plain[i]:
            continue
        flags = blob[3]
        if flags & 0b1_0000:
            continue
        envelope = envelope_sizes[(flags >> 1) & 0b111]
        wkb = blob[8 + envelope :]
        order = "<" if wkb[0] == 1 else ">"
        lon[i], lat[i] = struct.unpack_from(order + "dd", wkb, 5)
    return lon, lat


def decode_wkb_points(array) -> tuple[np.ndarray, np.ndarray] | None:
    """Longitudes and latitudes of an Arrow binary array of WKB points (as GDAL reads a
    layer), NaN where null; ``None`` unless every one is a 2-D little-endian point, so
    the caller decodes the rest another way."""
    import pyarrow as pa

    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    if not pa.types.is_binary(array.type) and not pa.types.is_large_binary(array.type):
        return None
    offset_type = np.int64 if pa.types.is_large_binary(array.type) else np.int32
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, offset_type)[array.offset: array.offset + len(array) + 1]
    sizes = np.diff(offsets)
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    if not (sizes[valid] == _WKB_POINT.size).all() or (sizes[~valid] != 0).any():
        return None
    data = np.frombuffer(data_buffer, np.uint8)[offsets[0]: offsets[-1]]
    points, coordinates = _little_endian_points(data.reshape(-1, _WKB_POINT.size))
    if not points.all():
        return None
    lon = np.full(len(array), np.nan)
    lat = np.full(len(array), np.nan)
    lon[valid], lat[valid] = coordinates[:, 0], coordinates[:, 1]
    return lon, lat


def _little_endian_points(wkb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of ``wkb`` (n × 21 bytes) are 2-D little-endian WKB points, and the
    (n, 2) coordinates read from every row."""
    points = (wkb[:, 0] == 1) & (wkb[:, 1:5].view("<u4").ravel() == 1)
    return points, wkb[:, 5:].copy().view("<f8")


def _decode_plain_points(blobs: list[bytes | None], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Decode at once the blobs in the form :func:`encode_point` writes; mark them done."""
    sizes = np.fromiter((len(b) if b is not None else 0 for b in blobs), np.int64, len(blobs))
    plain = sizes == _POINT_BLOB_SIZE
    if not plain.any():
        return plain
    raw = np.frombuffer(b"".join(b for b, p in zip(blobs, plain) if p), dtype=np.uint8)
    raw = raw.reshape(-1, _POINT_BLOB_SIZE)
    points, coords = _little_endian_points(raw[:, _HEADER.size:])
    header_ok = (raw[:, 0] == ord("G")) & (raw[:, 1] == ord("P")) & \
        (raw[:, 3] == _FLAGS_LITTLE_ENDIAN_NO_ENVELOPE) & points
    index = np.flatnonzero(plain)
    lon[index[header_ok]] = coords[header_ok, 0]
    lat[index[header_ok]] = coords[header_ok, 1]
    plain[index[~header_ok]] = False
    return plain
