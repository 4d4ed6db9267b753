"""A store's soundness: checked before it is read, copied safely, repaired when damaged.

A store copied by hand while a probe or an import was writing can hold half of an
uncommitted transaction (its ``-journal`` left behind); SQLite's ``PRAGMA quick_check``
finds such pages ("row N missing from index", "page N never used"). Every store is
checked when it is opened, and the result remembered (``.NAME.checked`` beside it, written
by commands that write the store: size, modification time and SQLite's file change
counter), so an unchanged store is not read twice. ``copy_store`` uses SQLite's online backup API, which copies a consistent
snapshot while a probe keeps writing, and ``repair_store`` copies every row SQLite can
still read into a new store (both in :mod:`.maintenance`).
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from phusong.errors import StoreError

# What a checked store looked like: (size, mtime_ns, change counter) by resolved path.
_CHECKED: dict[str, tuple[int, int, bytes]] = {}
COPY_ADVICE = ("copy stores with 'phusong store copy SRC DST' (safe while a probe writes), "
               "or recover what SQLite can with 'phusong store repair {path} --out NEW.gpkg'")


def _state(path: Path) -> tuple[int, int, bytes]:
    stat = path.stat()
    with open(path, "rb") as handle:
        handle.seek(24)
        counter = handle.read(4)
    return stat.st_size, stat.st_mtime_ns, counter


def _sidecar(path: Path) -> Path:
    return path.parent / f".{path.name}.checked"


def _remembered(path: Path, state: tuple[int, int, bytes]) -> bool:
    if _CHECKED.get(str(path.resolve())) == state:
        return True
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record == [state[0], state[1], state[2].hex()]


def _remember(path: Path, state: tuple[int, int, bytes], beside: bool) -> None:
    _CHECKED[str(path.resolve())] = state
    if not beside:
        return
    try:
        _sidecar(path).write_text(json.dumps([state[0], state[1], state[2].hex()]),
                                  encoding="utf-8")
    except OSError:
        pass  # a read-only folder: the store is checked again next time


def problems(conn: sqlite3.Connection, full: bool = False) -> list[str]:
    """What SQLite finds wrong in an open database (empty when sound)."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    if rows == ["ok"]:
        return []
    lines = [line.strip() for row in rows for line in str(row).splitlines()]
    return [line for line in lines if line and not line.startswith("***")]


def check_open_store(conn: sqlite3.Connection, path: Path, writable: bool) -> None:
    """Refuse a damaged store with one line saying what to do; remember a sound one (beside
    it only when it is open for writing: a read-only open writes nothing)."""
    try:
        state = _state(path)
    except OSError:
        return
    if _remembered(path, state):
        return
    found = problems(conn)
    if found:
        raise StoreError(f"{path} is damaged ({found[0]}): it may be a copy made while a probe "
                         "or an import was writing; " + COPY_ADVICE.format(path=path))
    _remember(path, state, writable)


def remember_written(path: Path) -> None:
    """Record a store as sound after this process's own transactions closed it cleanly."""
    try:
        _remember(path, _state(path), beside=True)
    except OSError:
        pass


def finish_unfinished_write(path: Path) -> None:
    """Roll back a write a killed process left in ``NAME-journal`` (SQLite does it when the
    store is opened for writing), so that a read-only open reads what was committed."""
    journal = Path(f"{path}-journal")
    if not journal.exists() or journal.stat().st_size == 0:
        return
    if not os.access(path.parent, os.W_OK) or not os.access(path, os.W_OK):
        raise StoreError(f"{path} has an unfinished write ({journal.name}) in a read-only "
                         "folder: copy both files to a writable folder and open them there")
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} has an unfinished write that SQLite cannot undo ({exc}); "
                         + COPY_ADVICE.format(path=path)) from exc
    finally:
        conn.close()
