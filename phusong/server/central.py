"""Where the collection server keeps what probes send: the GeoPackage readings store (one
writer, the default) or PostgreSQL with PostGIS (``--database postgresql://…``, many writers).

Both validate every record by the store's own rules (:func:`phusong.store.records.
normalise_record`): a refused record is quarantined with its reason; a batch is one
transaction, idempotent on reading ids (a resent reading with the same content is a
duplicate, with other content a quarantined conflict), committed before the server answers.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from phusong.store import NEIGHBOUR_TABLE, SIGNAL_LAYER, SPEED_LAYER, WriteResult
from phusong.store.neighbours import neighbour_insert, neighbour_row
from phusong.store.schema import NEIGHBOUR_COLUMNS, QUARANTINE_COLUMNS

LAYERS = (SIGNAL_LAYER, SPEED_LAYER)


@dataclass
class BatchResult(WriteResult):
    """What a batch did (the store's counts), with the refused records' quarantine rows
    that the PostgreSQL store writes itself."""

    quarantine_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)


class GeoPackageCentral:
    """The central store as a GeoPackage file (written by one request at a time)."""

    def __init__(self, path: str | Path) -> None:
        from phusong.store import ReadingStore

        self.path = Path(path)
        ReadingStore(self.path).close()  # created, checked and upgraded before any request
        self.lock = threading.Lock()

    def add(self, probe_id: str, batches: dict[str, list[dict[str, Any]]],
            neighbours: dict[str, list[dict[str, Any]]] | None = None) -> BatchResult:
        """Store a probe's batch, the ``neighbours`` (by reading id) with the signal readings
        it inserts, in one transaction."""
        from phusong.store import ReadingStore

        batches = {layer: [{**r, "probe_id": probe_id} for r in records]
                   for layer, records in batches.items()}
        with self.lock, ReadingStore(self.path) as readings:
            results = readings.add_batches({layer: (batches.get(layer, []), [])
                                            for layer in LAYERS},
                                           source_kind="server",
                                           source_file=f"probe {probe_id}",
                                           neighbours=neighbours)
        return BatchResult.total(results.values())


SQL_TYPES = {"TEXT": "text", "REAL": "double precision", "INTEGER": "bigint",
             "BOOLEAN": "boolean", "DATETIME": "text"}


class PostgresCentral:
    """The central store in PostgreSQL/PostGIS: the store's layers as tables of the same
    columns (``geom`` a PostGIS point in EPSG:4326) and its quarantine table."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.dsn = dsn
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            for layer, columns in _layer_columns().items():
                names = ", ".join(f'"{c.name}" {SQL_TYPES[c.sql_type]}' for c in columns)
                conn.execute(f'CREATE TABLE IF NOT EXISTS "{layer}" ({names}, '
                             "geom geometry(Point, 4326), PRIMARY KEY (reading_id))")
            names = ", ".join(f'"{c.name}" text' for c in QUARANTINE_COLUMNS)
            conn.execute(f'CREATE TABLE IF NOT EXISTS quarantine ({names}, '
                         "PRIMARY KEY (record_key))")
            names = ", ".join(f'"{c.name}" {SQL_TYPES[c.sql_type]}' for c in NEIGHBOUR_COLUMNS)
            conn.execute(f'CREATE TABLE IF NOT EXISTS "{NEIGHBOUR_TABLE}" ({names})')
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{NEIGHBOUR_TABLE}_reading" '
                         f'ON "{NEIGHBOUR_TABLE}" (reading_id)')

    def add(self, probe_id: str, batches: dict[str, list[dict[str, Any]]],
            neighbours: dict[str, list[dict[str, Any]]] | None = None) -> BatchResult:
        """Store a probe's batch, the ``neighbours`` (by reading id) with the signal readings
        it inserts, in one transaction."""
        import psycopg

        stored = BatchResult()
        received = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        prepared = {layer: _validated(layer, batches.get(layer, []), probe_id, received, stored)
                    for layer in LAYERS}
        with psycopg.connect(self.dsn) as conn, conn.transaction():
            for layer, rows in prepared.items():
                new = self._insert(conn, layer, rows, received, probe_id, stored)
                if layer == SIGNAL_LAYER and neighbours:
                    _insert_neighbours(conn, {i: neighbours[i]
                                              for i in neighbours.keys() & set(new)})
            _quarantine(conn, stored.quarantine_rows)
        return stored

    @staticmethod
    def _insert(conn, layer: str, rows: dict[str, tuple[dict, Any, dict]], received: str,
                probe_id: str, stored: BatchResult) -> list[str]:
        """Insert the new readings; their ids."""
        if not rows:
            return []
        existing = dict(conn.execute(
            f'SELECT reading_id, content_key FROM "{layer}" WHERE reading_id = ANY(%s)',
            (list(rows),)).fetchall())
        columns = [c.name for c in _layer_columns()[layer]]
        insert = (f'INSERT INTO "{layer}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}'
                  f', geom) VALUES ({", ".join(["%s"] * len(columns))}, '
                  "ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ON CONFLICT (reading_id) DO NOTHING "
                  "RETURNING reading_id")
        new = []
        for reading_id, (row, position, record) in rows.items():
            if reading_id in existing:
                _duplicate_or_conflict(existing[reading_id], row, record, layer, received,
                                       probe_id, stored)
                continue
            lon, lat = position if position else (None, None)
            new.append([row[c] for c in columns] + [lon, lat])
        inserted = _inserted_ids(conn, insert, new)
        stored.inserted += len(inserted)
        # another writer's transaction stored the rest between our look and our insert
        stored.duplicates += len(new) - len(inserted)
        return inserted

    def count(self, layer: str) -> int:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            return conn.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]


def _layer_columns():
    from phusong.store.schema import LAYER_COLUMNS

    return {layer: LAYER_COLUMNS[layer] for layer in LAYERS}


def _validated(layer: str, records: list[dict[str, Any]], probe_id: str, received: str,
               stored: BatchResult) -> dict[str, tuple[dict, Any, dict]]:
    """Each record through the store's rules: the valid rows by reading id; the refused
    ones queued for the quarantine with their reason."""
    from phusong.config import COUNTRY_BOUNDS
    from phusong.errors import InputFormatError
    from phusong.store.readings import LENIENCY
    from phusong.store.records import content_key, normalise_record

    rows: dict[str, tuple[dict, Any, dict]] = {}
    for index, record in enumerate(records):
        record = {**record, "probe_id": probe_id, "source_kind": "server",
                  "source_file": f"probe {probe_id}"}
        try:
            row, position = normalise_record(record, _layer_columns()[layer], received,
                                             COUNTRY_BOUNDS, *LENIENCY.get(layer, ()))
        except InputFormatError as exc:
            _refuse(stored, layer, record, str(exc), index, received)
            continue
        for column in _layer_columns()[layer]:
            if column.sql_type == "BOOLEAN" and row[column.name] is not None:
                row[column.name] = bool(row[column.name])
        row["content_key"] = content_key(row)
        if row["reading_id"] in rows:
            _duplicate_or_conflict(rows[row["reading_id"]][0]["content_key"], row, record,
                                   layer, received, probe_id, stored)
            continue
        rows[row["reading_id"]] = (row, position, record)
    return rows


def _duplicate_or_conflict(stored_key: str | None, row: dict, record: dict, layer: str,
                           received: str, probe_id: str, stored: BatchResult) -> None:
    if stored_key is None or stored_key == row["content_key"]:
        stored.duplicates += 1
        return
    _refuse(stored, layer, record, f"conflict: reading_id {row['reading_id']} is already "
            "stored with other values", row["reading_id"], received)


def _refuse(stored: BatchResult, layer: str, record: dict, reason: str, locator: Any,
            received: str) -> None:
    import hashlib

    raw = json.dumps(record, default=str, ensure_ascii=False, sort_keys=True)
    key = hashlib.sha256(f"{record.get('source_file')}|{locator}|{raw}".encode()).hexdigest()
    stored.quarantine_rows.append({
        "record_key": key, "target_layer": layer, "received_utc": received,
        "source_kind": "server", "source_file": record.get("source_file"),
        "record_locator": str(locator), "raw_record": raw, "reason": reason})
    stored.quarantined += 1
    stored.reasons.append(reason)


def _inserted_ids(conn, insert: str, rows: list[list]) -> list[str]:
    """Run ``insert`` (``… RETURNING reading_id``) for each row; the ids it inserted."""
    if not rows:
        return []
    inserted = []
    with conn.cursor() as cursor:
        cursor.executemany(insert, rows, returning=True)
        while True:
            row = cursor.fetchone()
            if row is not None:
                inserted.append(row[0])
            if not cursor.nextset():
                return inserted


def _insert_neighbours(conn, neighbours: dict[str, list[dict[str, Any]]]) -> None:
    rows = [neighbour_row(reading_id, cell) for reading_id, cells in neighbours.items()
            for cell in cells]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany(neighbour_insert("%s"), rows)


def _quarantine(conn, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = [c.name for c in QUARANTINE_COLUMNS]
    with conn.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO quarantine ({", ".join(names)}) VALUES '
            f'({", ".join(["%s"] * len(names))}) ON CONFLICT (record_key) DO NOTHING',
            [[row.get(n) for n in names] for row in rows])


def central_store(store: str | Path | None = None, database: str | None = None):
    """The central store: PostgreSQL when ``database`` is given, else the GeoPackage file."""
    if database:
        return PostgresCentral(database)
    return GeoPackageCentral(store)
