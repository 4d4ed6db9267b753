"""The store's tables and their migrations: creating a new store's layers, and bringing an
older store to the current schema version, one version per transaction."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

from .gpkg import register_attributes, register_features
from .schema import (
    ADDED_IN_VERSION_2,
    ADDED_IN_VERSION_3,
    DECLARATIONS_LAYER,
    LAYER_COLUMNS,
    NEIGHBOUR_COLUMNS,
    NEIGHBOUR_TABLE,
    SIGNAL_LAYER,
    SPEED_LAYER,
    Column,
)

LAYER_DESCRIPTIONS = {
    SIGNAL_LAYER: "Cellular signal readings (RSRP/RSRQ/SINR) with position and provenance",
    SPEED_LAYER: "Speed tests (bits per second) with position, interface and provenance",
    DECLARATIONS_LAYER: "Operators' fixed-broadband availability declarations",
}

def _create_layer(conn: sqlite3.Connection, layer: str, columns: tuple[Column, ...]) -> None:
    conn.execute(_table_sql(layer, columns, geometry=True))
    if any(c.name == "time_utc" for c in columns):
        conn.execute(f'CREATE INDEX "{layer}_time" ON "{layer}" (time_utc)')
    register_features(conn, layer, LAYER_DESCRIPTIONS[layer])


def _add_cell_identity(conn: sqlite3.Connection) -> None:
    """Version 1 → 2: cell identity, speed-test outcome, content key, neighbour cells,
    declarations."""
    _add_columns(conn, ADDED_IN_VERSION_2)
    _create_neighbour_table(conn)
    _create_layer(conn, DECLARATIONS_LAYER, LAYER_COLUMNS[DECLARATIONS_LAYER])


def _create_neighbour_table(conn: sqlite3.Connection) -> None:
    conn.execute(_table_sql(NEIGHBOUR_TABLE, NEIGHBOUR_COLUMNS, geometry=False)
                 .replace(' UNIQUE', ''))
    conn.execute(f'CREATE INDEX "{NEIGHBOUR_TABLE}_reading" ON "{NEIGHBOUR_TABLE}" (reading_id)')
    register_attributes(conn, NEIGHBOUR_TABLE, "Neighbour cells measured beside a signal reading")


def _add_columns(conn: sqlite3.Connection, added: Mapping[str, tuple[Column, ...]]) -> None:
    for layer, columns in added.items():
        for column in columns:
            conn.execute(f'ALTER TABLE "{layer}" ADD COLUMN "{column.name}" {column.sql_type}')


def _add_names_and_throughput(conn: sqlite3.Connection) -> None:
    """Version 2 → 3: operator names, nulled fields, per-second throughput."""
    _add_columns(conn, ADDED_IN_VERSION_3)


# Migration from version N to N + 1: a function of the open connection, run in one transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _add_cell_identity, 2: _add_names_and_throughput}


def _table_sql(table: str, columns: tuple[Column, ...], geometry: bool) -> str:
    parts = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"]
    if geometry:
        parts.append("geom POINT")
    for column in columns:
        null = " NOT NULL" if column.required else ""
        unique = " UNIQUE" if column.name in ("reading_id", "record_key") else ""
        parts.append(f'"{column.name}" {column.sql_type}{null}{unique}')
    return f'CREATE TABLE "{table}" ({", ".join(parts)})'
