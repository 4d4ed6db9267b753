"""Neighbour cells: the cells a modem heard beside its serving one, stored with the reading
they were measured with (a table without geometry, keyed by the reading's id)."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from .schema import NEIGHBOUR_COLUMNS, NEIGHBOUR_TABLE


def neighbour_row(reading_id: str, neighbour: Mapping[str, Any]) -> tuple:
    """A neighbour cell as a row of the neighbour table (values outside their column's range
    left empty)."""
    row = [reading_id]
    for column in NEIGHBOUR_COLUMNS[1:]:
        value = neighbour.get(column.name)
        in_range = value is None or column.sql_type == "TEXT" or (
            (column.low is None or value >= column.low)
            and (column.high is None or value <= column.high))
        row.append(value if in_range else None)
    return tuple(row)


def neighbour_insert(placeholder: str = "?") -> str:
    """The statement inserting one row of :func:`neighbour_row`, in the driver's
    ``placeholder`` style (``?`` for SQLite, ``%s`` for psycopg)."""
    names = ", ".join(f'"{c.name}"' for c in NEIGHBOUR_COLUMNS)
    return (f'INSERT INTO "{NEIGHBOUR_TABLE}" ({names}) VALUES '
            f'({", ".join([placeholder] * len(NEIGHBOUR_COLUMNS))})')


def insert_neighbours(conn: sqlite3.Connection,
                       neighbours: Mapping[str, Iterable[Mapping[str, Any]]]) -> int:
    """Insert each reading's neighbour cells unless it has some stored already."""
    rows = []
    for reading_id, cells in neighbours.items():
        if not conn.execute(f'SELECT 1 FROM "{NEIGHBOUR_TABLE}" WHERE reading_id = ? LIMIT 1',
                            (reading_id,)).fetchone():
            rows += [neighbour_row(reading_id, cell) for cell in cells]
    conn.executemany(neighbour_insert(), rows)
    return len(rows)


def checked_neighbour(record: Mapping[str, Any]) -> dict[str, Any]:
    """A neighbour cell received from elsewhere (a probe's upload), its columns checked:
    a reading id, numbers where the table holds numbers, text where it holds text. Raises
    :class:`~phusong.errors.InputFormatError` naming the first wrong value."""
    from phusong.errors import InputFormatError

    known = {c.name: c for c in NEIGHBOUR_COLUMNS}
    unknown = sorted(set(record) - set(known))
    if unknown:
        raise InputFormatError(f"neighbour cell: unknown column(s) {', '.join(unknown)}")
    if not isinstance(record.get("reading_id"), str) or not record["reading_id"]:
        raise InputFormatError("neighbour cell: reading_id (text) is required")
    for name, value in record.items():
        column = known[name]
        numeric = column.sql_type in ("INTEGER", "REAL")
        if value is None:
            continue
        if numeric and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputFormatError(f"neighbour cell: {name} must be a number, not {value!r}")
        if not numeric and not isinstance(value, str):
            raise InputFormatError(f"neighbour cell: {name} must be text, not {value!r}")
    return dict(record)
