"""A safe copy of a store, and the repair of a damaged one (see :mod:`.integrity`)."""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from phusong.errors import StoreError

from .integrity import problems
from .readings import ReadingStore


def copy_store(source: str | Path, target: str | Path) -> Path:
    """A consistent copy of a store, even while a probe writes to it (SQLite's backup API),
    checked before it is put in place; never over an existing file."""
    source, target = Path(source), Path(target)
    if target.exists():
        raise StoreError(f"{target} already exists: copy to a new file name")
    with ReadingStore(source, readonly=True) as store:
        partial = target.parent / f".{target.name}.partial"
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            store._conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
            found = problems(copy, full=True)
        finally:
            copy.close()
    if found:
        partial.unlink(missing_ok=True)
        raise StoreError(f"the copy of {source} is not sound ({found[0]}); nothing was written")
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return target


@dataclass
class RepairReport:
    """What a repair kept and lost, per table."""

    copied: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)


# Tables a repair copies, in an order that keeps readings before what refers to them.
TABLES = ("signal_readings", "speed_tests", "declarations", "neighbour_cells", "quarantine")


def repair_store(source: str | Path, target: str | Path) -> RepairReport:
    """Copy every row SQLite can read from a damaged store into a new one at ``target``;
    each row it cannot read is recorded in the new store's quarantine."""
    source, target = Path(source), Path(target)
    if target.exists():
        raise StoreError(f"{target} already exists: repair into a new file name")
    report = RepairReport()
    damaged = sqlite3.connect(f"file:{source.resolve().as_posix()}?immutable=1", uri=True)
    try:
        with ReadingStore(target, region=None) as repaired:
            conn = repaired._conn
            for table in TABLES:
                copied, lost = _copy_table(damaged, conn, table)
                report.copied[table], report.unreadable[table] = copied, len(lost)
                for rowid, reason in lost:
                    conn.execute(
                        'INSERT INTO quarantine (record_key, target_layer, received_utc, '
                        'source_kind, source_file, record_locator, raw_record, reason) '
                        "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'repair', ?, ?, "
                        "'', ?)", (f"repair:{source.name}:{table}:{rowid}", table, source.name,
                                   f"{table} row {rowid}",
                                   f"unreadable in the damaged store ({reason})"))
    finally:
        damaged.close()
    return report


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.DatabaseError:
        return []


def _copy_table(damaged: sqlite3.Connection, repaired: sqlite3.Connection,
                table: str) -> tuple[int, list[tuple[int, str]]]:
    """Rows copied, and the rowids (or ranges) that could not be read, with the reason.

    Rows are read by rowid range, a range that fails split in halves down to single
    rows, so a damaged branch of the table loses only the rows under it.
    """
    names = [n for n in _columns(damaged, table) if n in set(_columns(repaired, table))
             and n != "fid"]
    if not names:
        return 0, []
    quoted = ", ".join(f'"{n}"' for n in names)
    insert = (f'INSERT OR IGNORE INTO "{table}" ({quoted}) VALUES '
              f'({", ".join("?" * len(names))})')
    top = _highest_rowid(damaged, table)
    copied, lost = 0, []
    repaired.execute("BEGIN IMMEDIATE")
    try:
        ranges = [(low, min(low + 999, top)) for low in range(1, top + 1, 1000)]
        while ranges:
            low, high = ranges.pop()
            try:
                rows = damaged.execute(f'SELECT {quoted} FROM "{table}" WHERE rowid BETWEEN ? '
                                       "AND ?", (low, high)).fetchall()
            except sqlite3.DatabaseError as exc:
                if low == high:
                    lost.append((low, str(exc)))
                else:
                    middle = (low + high) // 2
                    ranges += [(low, middle), (middle + 1, high)]
                continue
            for row in rows:
                copied += repaired.execute(insert, row).rowcount
    except BaseException:
        repaired.execute("ROLLBACK")
        raise
    repaired.execute("COMMIT")
    return copied, _merge_lost(lost)


def _highest_rowid(conn: sqlite3.Connection, table: str) -> int:
    """The table's highest rowid, or a bound from the file's size when SQLite cannot say."""
    try:
        value = conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
        return int(value or 0)
    except sqlite3.DatabaseError:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * 64


def _merge_lost(lost: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Single unreadable rowids, one entry per reason (a damaged branch loses many)."""
    if len(lost) <= 100:
        return sorted(lost)
    by_reason: dict[str, list[int]] = {}
    for rowid, reason in lost:
        by_reason.setdefault(reason, []).append(rowid)
    return [(min(ids), f"{reason}; rowids {min(ids)}–{max(ids)}, {len(ids)} in all")
            for reason, ids in by_reason.items()]
