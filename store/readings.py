"""The readings store: one GeoPackage file per campaign.

Layers ``signal_readings`` and ``speed_tests`` hold points (EPSG:4326, null
where a reading had no fix); the table ``quarantine`` holds input rows that
failed validation, with the reason. Writes are append-only and each batch is
one SQLite transaction with a rollback journal and full sync (SQLite's
"Atomic Commit In SQLite" and PRAGMA synchronous=FULL): a
killed writer loses nothing it had committed, and after every commit the
``.gpkg`` alone holds every committed row, so it can be copied on its own.
A store opened with ``readonly=True`` is never written to, so archived and
read-only stores open too.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong.config import COUNTRY_BOUNDS
from phusong.errors import InputFormatError, SchemaVersionError, StoreError

from .gpkg import (create_core_tables, decode_points, decode_wkb_points, encode_point,
                   register_attributes)
from .migrations import LAYER_DESCRIPTIONS, MIGRATIONS, _create_layer, _create_neighbour_table, _table_sql
from .sqlite import _check_path, _connect_readonly, _readonly_uri, _Transaction, write_error  # noqa: F401
from .integrity import check_open_store, finish_unfinished_write, remember_written
from .neighbours import insert_neighbours
from .records import check_speed_figures, content_key, format_utc, normalise_record
from .results import WriteResult
from .schema import (
    ADDED_IN_VERSION_2,
    ADDED_IN_VERSION_3,
    DECLARATIONS_LAYER,
    NEIGHBOUR_COLUMNS,
    NEIGHBOUR_TABLE,
    LAYER_COLUMNS,
    META_TABLE,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    SCHEMA_VERSION,
    SIGNAL_LAYER,
    SIGNAL_LENIENT,
    SIGNAL_PRIMARY,
    SPEED_LAYER,
    Column,
)

# Where the content key sits in a prepared row (the point first, then the layer's columns).
KEY_AT = {layer: 1 + [c.name for c in columns].index("content_key")
          for layer, columns in LAYER_COLUMNS.items()}
# Per layer: the columns whose bad values are nulled, and the values that make a reading.
LENIENCY = {SIGNAL_LAYER: (SIGNAL_LENIENT, SIGNAL_PRIMARY)}
def _now_utc() -> str:
    return format_utc(datetime.now(timezone.utc))


class ReadingStore:
    """A GeoPackage of readings, opened for reading and appending.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created with the current schema when absent.
    create
        When false, a missing file is an error instead of being created.
    readonly
        Open for reading only: nothing is written to the file or beside it, and an
        older schema is read as it is instead of being upgraded.
    region
        West, south, east, north bounds (degrees) outside which a position is
        quarantined; Vietnam by default, ``None`` for anywhere.
    """

    def __init__(self, path: str | Path, create: bool = True, readonly: bool = False,
                 region: tuple[float, float, float, float] | None = COUNTRY_BOUNDS) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.region = region
        self._conn = None
        self._checked = False  # opened and found sound: may be remembered as sound on close
        exists = _check_path(self.path, must_exist=readonly or not create)
        if not exists:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if readonly:
                finish_unfinished_write(self.path)
                self._conn = _connect_readonly(self.path)
                check_open_store(self._conn, self.path, writable=False)
                self._schema_version()
                return
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            # A rollback journal keeps every commit inside the .gpkg itself; a GeoPackage
            # left in WAL mode by another tool is folded back into one file here.
            self._conn.execute("PRAGMA journal_mode = DELETE")
            self._conn.execute("PRAGMA synchronous = FULL")
            if exists:
                check_open_store(self._conn, self.path, writable=True)
                self._check_and_migrate()
            else:
                self._create()
            self._checked = True
        except sqlite3.OperationalError as exc:
            self.close()
            if "readonly" in str(exc) or "unable to open" in str(exc):
                raise StoreError(f"cannot write to {self.path} ({exc}): the store or its folder "
                                 "is read-only, or the disk is full") from exc
            raise StoreError(f"{self.path} is not a readable GeoPackage: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path} is not a readable GeoPackage: {exc}") from exc
        except StoreError:
            self.close()
            raise

    # -- schema ------------------------------------------------------------------------------
    def _create(self) -> None:
        with self._transaction() as conn:
            create_core_tables(conn)
            for layer, columns in LAYER_COLUMNS.items():
                _create_layer(conn, layer, columns)
            conn.execute(_table_sql(QUARANTINE_TABLE, QUARANTINE_COLUMNS, geometry=False))
            register_attributes(conn, QUARANTINE_TABLE, "Input rows refused, with reasons")
            _create_neighbour_table(conn)
            conn.execute(f'CREATE TABLE "{META_TABLE}" (key TEXT PRIMARY KEY, value TEXT)')
            conn.execute(
                f'INSERT INTO "{META_TABLE}" VALUES (?, ?), (?, ?)',
                ("schema_version", str(SCHEMA_VERSION), "created_utc", _now_utc()),
            )

    def _schema_version(self) -> int:
        try:
            row = self._conn.execute(
                f'SELECT value FROM "{META_TABLE}" WHERE key = ?', ("schema_version",)
            ).fetchone()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path} is a GeoPackage but not a phusong store") from exc
        return int(row[0])

    def _check_and_migrate(self) -> None:
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} has schema version {version}; this phusong reads up to "
                f"{SCHEMA_VERSION}: upgrade phusong"
            )
        while version < SCHEMA_VERSION:
            if version not in MIGRATIONS:
                raise StoreError(f"no migration from schema version {version}")
            with self._transaction() as conn:
                MIGRATIONS[version](conn)
                version += 1
                conn.execute(
                    f'UPDATE "{META_TABLE}" SET value = ? WHERE key = ?',
                    (str(version), "schema_version"),
                )

    @property
    def schema_version(self) -> int:
        return self._schema_version()

    # -- writing -------------------------------------------------------------------------------
    def _transaction(self) -> "_Transaction":
        return _Transaction(self._conn, self.path)

    def add(
        self,
        layer: str,
        records: Iterable[Mapping[str, Any]],
        source_kind: str | None = None,
        source_file: str | None = None,
        refused: Iterable[Mapping[str, Any]] = (),
        strict: bool = False,
    ) -> WriteResult:
        """Validate and append ``records`` to ``layer`` in one transaction.

        Invalid records go to the quarantine table with their reason, with the rows an
        importer could not parse (``refused``: mappings with ``raw_record``, ``reason``
        and ``record_locator``). A record whose ``reading_id`` is stored with the same
        values is a duplicate; with other values it is quarantined as a conflict.

        Raises
        ------
        InputFormatError
            With ``strict``, when any row would be quarantined: nothing is written.
        """
        return self.add_batches({layer: (records, refused)}, source_kind, source_file,
                                strict)[layer]

    def add_batches(
        self,
        batches: Mapping[str, tuple[Iterable[Mapping[str, Any]], Iterable[Mapping[str, Any]]]],
        source_kind: str | None = None,
        source_file: str | None = None,
        strict: bool = False,
        neighbours: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    ) -> dict[str, WriteResult]:
        """:meth:`add` for several layers at once (``{layer: (records, refused)}``), in one
        transaction: an importer writes a whole file, or nothing. ``neighbours`` (by
        reading id) are stored with the signal readings this call inserts."""
        self._require_writable()
        imported = _now_utc()
        prepared = {layer: self._prepare(layer, records, refused, source_kind, source_file,
                                         imported)
                    for layer, (records, refused) in batches.items()}
        results = {}
        with self._transaction() as conn:
            for layer, (rows, records_by_id, quarantined, result) in prepared.items():
                for reading_id, stored in self._stored_keys(conn, layer, list(rows)).items():
                    row = rows.pop(reading_id)
                    self._same_or_conflict(stored, row[KEY_AT[layer]], records_by_id[reading_id], layer,
                                           reading_id, imported, result, quarantined)
            refused_all = [q for _, _, quarantined, _ in prepared.values() for q in quarantined]
            if strict and refused_all:
                reasons = "; ".join(f"{q['record_locator']}: {q['reason']}"
                                    for q in refused_all[:5])
                raise InputFormatError(f"{len(refused_all)} row(s) refused ({reasons}"
                                       f"{'; …' if len(refused_all) > 5 else ''}): nothing "
                                       "was imported (--strict)")
            for layer, (rows, _, quarantined, result) in prepared.items():
                columns = LAYER_COLUMNS[layer]
                names = ", ".join(["geom"] + [f'"{c.name}"' for c in columns])
                marks = ", ".join("?" * (len(columns) + 1))
                before = conn.total_changes
                conn.executemany(f'INSERT INTO "{layer}" ({names}) VALUES ({marks})',
                                 list(rows.values()))
                result.inserted = conn.total_changes - before
                if layer == SIGNAL_LAYER:
                    _count_technologies(rows.values(), result)
                    if neighbours:
                        insert_neighbours(conn, {i: neighbours[i]
                                                 for i in neighbours.keys() & rows.keys()})
                self._insert_quarantine(conn, quarantined)
                result.quarantined = len(quarantined)
                result.reasons = [q["reason"] for q in quarantined]
                if rows:
                    conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?",
                                 (imported, layer))
                results[layer] = result
        return results

    def _prepare(self, layer: str, records: Iterable[Mapping[str, Any]],
                 refused: Iterable[Mapping[str, Any]], source_kind: str | None,
                 source_file: str | None, imported: str):
        """Validated rows by reading_id, their records, the quarantined rows, a result."""
        columns = LAYER_COLUMNS.get(layer)
        if columns is None:
            raise StoreError(f"unknown layer {layer!r}; layers are {', '.join(LAYER_COLUMNS)}")
        quarantined = [self._refused_row(layer, r, source_kind, source_file, imported)
                       for r in refused]
        rows: dict[str, tuple] = {}
        records_by_id: dict[str, dict] = {}
        result = WriteResult()
        for index, record in enumerate(records):
            record = dict(record)
            if source_kind is not None:
                record.setdefault("source_kind", source_kind)
            if source_file is not None:
                record.setdefault("source_file", source_file)
            try:
                row, position = normalise_record(record, columns, imported, self.region,
                                                 *LENIENCY.get(layer, ()))
                if layer == SPEED_LAYER:
                    check_speed_figures(row)
            except InputFormatError as exc:
                quarantined.append(_quarantine_row(layer, record, str(exc), index, imported))
                continue
            row["content_key"] = content_key(row)
            reading_id = row["reading_id"]
            if reading_id in rows:
                self._same_or_conflict(rows[reading_id][KEY_AT[layer]], row["content_key"], record, layer,
                                       index, imported, result, quarantined)
                continue
            rows[reading_id] = (encode_point(*position) if position else None,
                                *row.values())
            records_by_id[reading_id] = record
        return rows, records_by_id, quarantined, result

    @staticmethod
    def _stored_keys(conn: sqlite3.Connection, layer: str, ids: list[str]) -> dict[str, str]:
        """Content keys of the ``ids`` already in ``layer``."""
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(conn.execute(
                f'SELECT reading_id, content_key FROM "{layer}" WHERE reading_id IN '
                f'({", ".join("?" * len(chunk))})', chunk).fetchall())
        return found

    @staticmethod
    def _same_or_conflict(stored_key: str | None, key: str, record: dict, layer: str,
                          locator: object, imported: str, result: "WriteResult",
                          quarantined: list) -> None:
        """Count a repeated reading_id as a duplicate, or quarantine it as a conflict."""
        if stored_key is None or stored_key == key:
            result.duplicates += 1
            return
        quarantined.append(_quarantine_row(
            layer, record, f"conflict: reading_id {record.get('reading_id')} is already stored "
            "with other values", locator, imported))

    @staticmethod
    def _refused_row(layer: str, refused: Mapping[str, Any], source_kind: str | None,
                     source_file: str | None, received: str) -> dict[str, Any]:
        raw, locator = str(refused.get("raw_record", "")), refused.get("record_locator")
        return {"record_key": _record_key(source_file, locator, raw), "target_layer": layer,
                "received_utc": received, "source_kind": source_kind,
                "source_file": source_file, "record_locator": locator, "raw_record": raw,
                "reason": refused["reason"]}

    def add_neighbours(self, reading_id: str, neighbours: Iterable[Mapping[str, Any]]) -> int:
        """Append the neighbour cells measured with a stored reading (once: a second call
        for the same reading adds nothing)."""
        self._require_writable()
        with self._transaction() as conn:
            return insert_neighbours(conn, {reading_id: neighbours})

    def layers(self) -> set[str]:
        """The tables the store's GeoPackage declares."""
        return {row[0] for row in self._conn.execute("SELECT table_name FROM gpkg_contents")}

    def read_neighbours(self, reading_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The neighbour cells, with the reading each belongs to (of ``reading_ids`` only,
        when given)."""
        if reading_ids is None:
            return pd.read_sql_query(f'SELECT * FROM "{NEIGHBOUR_TABLE}" ORDER BY fid',
                                     self._conn)
        ids = json.dumps(list(reading_ids))
        return pd.read_sql_query(f'SELECT * FROM "{NEIGHBOUR_TABLE}" WHERE reading_id IN '
                                 "(SELECT value FROM json_each(?)) ORDER BY fid", self._conn,
                                 params=(ids,))

    def add_signal(self, records: Iterable[Mapping[str, Any]], **provenance: str) -> WriteResult:
        """Append signal readings; see :meth:`add`."""
        return self.add(SIGNAL_LAYER, records, **provenance)

    def add_speed_tests(
        self, records: Iterable[Mapping[str, Any]], **provenance: str
    ) -> WriteResult:
        """Append speed tests; see :meth:`add`."""
        return self.add(SPEED_LAYER, records, **provenance)

    def quarantine(
        self,
        layer: str,
        raw_record: str,
        reason: str,
        source_kind: str | None = None,
        source_file: str | None = None,
        locator: str | None = None,
    ) -> None:
        """Keep an input row an importer could not parse, with the reason."""
        row = self._refused_row(layer, {"raw_record": raw_record, "reason": reason,
                                        "record_locator": locator},
                                source_kind, source_file, _now_utc())
        self._require_writable()
        with self._transaction() as conn:
            self._insert_quarantine(conn, [row])

    @staticmethod
    def _insert_quarantine(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = [c.name for c in QUARANTINE_COLUMNS]
        conn.executemany(
            f'INSERT OR IGNORE INTO "{QUARANTINE_TABLE}" ({", ".join(names)}) '
            f'VALUES ({", ".join("?" * len(names))})',
            [tuple(row.get(n) for n in names) for row in rows],
        )

    def merge_from(self, other: str | Path) -> dict[str, int]:
        """Copy every reading of another store that this one lacks (same UUID = same reading);
        a reading whose UUID is here with other values is quarantined as a conflict."""
        self._require_writable()
        other = ReadingStore(other, readonly=True)
        if other.schema_version != SCHEMA_VERSION:
            other.close()
            raise StoreError(f"{other.path} has schema version {other.schema_version}; open it "
                             f"once with this phusong to upgrade it before merging")
        other.close()
        added = {}
        self._conn.execute("ATTACH DATABASE ? AS other", (_readonly_uri(other.path),))
        try:
            with self._transaction() as conn:
                for layer, columns in LAYER_COLUMNS.items():
                    self._quarantine_conflicts(conn, layer, other.path)
                    names = ", ".join(["geom"] + [f'"{c.name}"' for c in columns])
                    added[layer] = self._copy_rows(conn, layer, names)
                names = ", ".join(f'"{c.name}"' for c in QUARANTINE_COLUMNS)
                added[QUARANTINE_TABLE] = self._copy_rows(conn, QUARANTINE_TABLE, names)
                names = ", ".join(f'"{c.name}"' for c in NEIGHBOUR_COLUMNS)
                before = conn.total_changes
                conn.execute(f'INSERT INTO main."{NEIGHBOUR_TABLE}" ({names}) SELECT {names} '
                             f'FROM other."{NEIGHBOUR_TABLE}" WHERE reading_id NOT IN '
                             f'(SELECT reading_id FROM main."{NEIGHBOUR_TABLE}") ORDER BY fid')
                added[NEIGHBOUR_TABLE] = conn.total_changes - before
        finally:
            self._conn.execute("DETACH DATABASE other")
        return added

    def _quarantine_conflicts(self, conn: sqlite3.Connection, layer: str, source: Path) -> None:
        columns = [c.name for c in LAYER_COLUMNS[layer]]
        found = conn.execute(
            f'SELECT {", ".join(f"o.{c}" for c in columns)} FROM other."{layer}" o '
            f'JOIN main."{layer}" m ON m.reading_id = o.reading_id '
            "WHERE o.content_key IS NOT NULL AND m.content_key IS NOT NULL "
            "AND o.content_key != m.content_key").fetchall()
        received = _now_utc()
        self._insert_quarantine(conn, [self._refused_row(
            layer, {"raw_record": json.dumps(dict(zip(columns, row)), ensure_ascii=False),
                    "record_locator": f"reading_id {row[0]}",
                    "reason": f"conflict: reading_id {row[0]} is already stored with other "
                              "values"}, "merge", str(source), received) for row in found])

    @staticmethod
    def _copy_rows(conn: sqlite3.Connection, table: str, names: str) -> int:
        before = conn.total_changes
        conn.execute(
            f'INSERT OR IGNORE INTO main."{table}" ({names}) '
            f'SELECT {names} FROM other."{table}" ORDER BY fid'
        )
        return conn.total_changes - before

    # -- reading -------------------------------------------------------------------------------
    def count(self, layer: str) -> int:
        """Number of rows in a layer or the quarantine table."""
        if layer not in LAYER_COLUMNS and layer != QUARANTINE_TABLE:
            raise StoreError(f"unknown layer {layer!r}")
        return self._conn.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]

    def read_table(self, layer: str, where: str | None = None,
                   columns: Iterable[str] | None = None) -> pd.DataFrame:
        """A layer as a DataFrame with ``lon``/``lat`` in degrees (NaN where there was no fix).

        ``columns`` limits the attributes read (all when omitted); large campaigns
        read much faster without the raw source records.
        """
        if layer not in LAYER_COLUMNS:
            raise StoreError(f"unknown layer {layer!r}")
        known = {c.name: c for c in LAYER_COLUMNS[layer]}
        names = list(known) if columns is None else list(columns)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise StoreError(f"{layer} has no column(s) {', '.join(unknown)}")
        present = {row[1] for row in self._conn.execute(f'PRAGMA table_info("{layer}")')}
        # a read-only store of an older schema lacks the newer columns: read them as null
        selected = ", ".join(["geom"] + [f'"{n}"' if n in present else f'NULL AS "{n}"'
                                         for n in names])
        frame = None
        if where is None and set(names) <= present:
            frame = self._read_columnar(layer, names)
        if frame is None:
            frame = self._read_rows(layer, selected, where)
        for column in (known[n] for n in names):
            if column.sql_type == "BOOLEAN":
                frame[column.name] = frame[column.name].astype("boolean")
        return frame

    def _read_rows(self, layer: str, selected: str, where: str | None) -> pd.DataFrame:
        """The ``selected`` SQL columns of ``layer`` through SQLite, points decoded."""
        sql = (f'SELECT {selected} FROM "{layer}"' + (f" WHERE {where}" if where else "")
               + " ORDER BY fid")
        try:
            frame = pd.read_sql_query(sql, self._conn)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise StoreError(f"cannot read {layer} from {self.path}: {exc}") from exc
        try:
            frame["lon"], frame["lat"] = decode_points(frame.pop("geom").tolist())
        except (struct.error, IndexError, TypeError) as exc:
            raise StoreError(f"{self.path}: a damaged geometry in {layer} ({exc}); "
                             "repair or remove that row (e.g. in QGIS)") from exc
        return frame

    def _read_columnar(self, layer: str, names: list[str]) -> pd.DataFrame | None:
        """``names`` of ``layer`` read by GDAL into Arrow columns (several times faster
        than row by row for a large campaign), or ``None`` when GDAL cannot read it, so
        the caller reads it through SQLite and reports what is wrong."""
        import pyarrow as pa
        import pyogrio
        import shapely

        try:
            meta, table = pyogrio.read_arrow(self.path, layer=layer, columns=names,
                                             datetime_as_string=True)
            wkb = table.column(meta["geometry_name"] or "wkb_geometry")
            points = decode_wkb_points(wkb)
            if points is None:
                geometry = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
                points = shapely.get_x(geometry), shapely.get_y(geometry)
            frame = table.select(names).to_pandas(
                types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        except Exception:  # noqa: BLE001 - any failure falls back to the SQLite reader
            return None
        # GDAL reads a damaged blob as no geometry: let the SQLite reader name it
        stored_null = self._conn.execute(
            f'SELECT count(*) FROM "{layer}" WHERE geom IS NULL').fetchone()[0]
        if int(wkb.null_count) != stored_null:
            return None
        frame["lon"], frame["lat"] = points
        return frame

    def read(self, layer: str, where: str | None = None,
             columns: Iterable[str] | None = None) -> gpd.GeoDataFrame:
        """A layer as a GeoDataFrame in EPSG:4326 (no geometry where there was no fix);
        see :meth:`read_table`."""
        frame = self.read_table(layer, where, columns)
        lon, lat = frame.pop("lon").to_numpy(), frame.pop("lat").to_numpy()
        geometry = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
        geometry[np.isnan(lon)] = None
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")

    def read_quarantine(self) -> pd.DataFrame:
        """The quarantined input rows with their reasons."""
        return pd.read_sql_query(f'SELECT * FROM "{QUARANTINE_TABLE}" ORDER BY fid', self._conn)

    def _require_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path} was opened read-only")

    def close(self) -> None:
        """Close the file (every commit is already in it); a store this process wrote and
        closed cleanly is remembered as sound."""
        if self._conn is None:
            return
        clean = self._checked and not self.readonly and not self._conn.in_transaction
        self._conn.close()
        self._conn = None
        if clean and self.path.exists() and not Path(f"{self.path}-journal").exists():
            remember_written(self.path)

    def __enter__(self) -> "ReadingStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SIGNAL_NAMES = [c.name for c in LAYER_COLUMNS[SIGNAL_LAYER]]
_TECHNOLOGY_AT = 1 + _SIGNAL_NAMES.index("technology")
_NR_RSRP_AT = 1 + _SIGNAL_NAMES.index("nr_ss_rsrp_dbm")


def _count_technologies(rows: Iterable[tuple], result: WriteResult) -> None:
    """Signal readings per technology and with an NR value, from prepared rows."""
    counts: dict[str, int] = {}
    for row in rows:
        name = row[_TECHNOLOGY_AT] or "unknown"
        counts[name] = counts.get(name, 0) + 1
        result.nr_values += row[_NR_RSRP_AT] is not None
    result.technologies = counts


def _record_key(source_file: str | None, locator: str | None, raw: str | None) -> str:
    digest = hashlib.sha256(f"{source_file}\x1f{locator}\x1f{raw}".encode()).hexdigest()
    return digest[:32]


def _quarantine_row(
    layer: str, record: Mapping[str, Any], reason: str, index: int, received: str
) -> dict[str, Any]:
    raw = record.get("source_record")
    if raw is None:
        raw = json.dumps(record, default=str, ensure_ascii=False, sort_keys=True)
    locator = str(record.get("record_locator", index))
    source_file = record.get("source_file")
    return {
        "record_key": _record_key(source_file, locator, str(raw)),
        "target_layer": layer,
        "received_utc": received,
        "source_kind": record.get("source_kind"),
        "source_file": source_file,
        "record_locator": locator,
        "raw_record": str(raw),
        "reason": reason,
    }
