"""SQLite underneath the store: paths that can be a store, read-only connections that
never write beside the file, transactions, and the one-line errors of refused writes."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from phusong.errors import StoreError

class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn, self.path = conn, path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise write_error(self.path, exc) from exc
        return self.conn

    def __exit__(self, exc_type: object, exc: BaseException | None, *rest: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as error:
                exc = error
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolled back by itself (disk full, I/O error)
        if isinstance(exc, sqlite3.OperationalError):
            raise write_error(self.path, exc) from exc


def write_error(path: Path, exc: sqlite3.OperationalError) -> StoreError:
    """One clear line for a write SQLite refused: full disk, read-only file, busy store."""
    text = str(exc).lower()
    if "full" in text:
        return StoreError(f"the disk holding {path} is full: nothing of this write was stored; "
                          "free some space and run again")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only: copy it to a writable folder, or give "
                          "another --store")
    if "locked" in text or "busy" in text:
        return StoreError(f"{path} is being written by another program: wait for it to "
                          "finish and run again")
    return StoreError(f"cannot write to {path}: {exc}")


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_path(path: Path, must_exist: bool) -> bool:
    """Whether ``path`` holds a store to open; errors for what can never be one."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a readings store (.gpkg file)")
    if not path.exists():
        if must_exist:
            raise StoreError(f"no readings store at {path}")
        return False
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if not header:
        if must_exist:
            raise StoreError(f"{path} is an empty file, not a readings store")
        return False
    if header != SQLITE_HEADER:
        raise StoreError(f"{path} is not a GeoPackage (not an SQLite file)")
    return True


def _readonly_uri(path: Path, immutable: bool = False) -> str:
    from urllib.parse import quote

    flag = "immutable=1" if immutable else "mode=ro"
    return f"file:{quote(str(path.resolve()))}?{flag}"


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that never writes to ``path`` or creates files beside it.

    A store in WAL mode (left so by another GeoPackage tool) with no ``-wal`` file
    holds everything in the file and is opened as immutable, which needs no
    ``-shm`` and works in read-only folders; with a ``-wal`` file the log is read.
    """
    with open(path, "rb") as handle:
        header = handle.read(20)
    wal_mode = header[18:20] == b"\x02\x02"
    has_log = Path(f"{path}-wal").exists()
    if wal_mode and has_log and not os.access(path.parent, os.W_OK):
        raise StoreError(f"{path} has an unmerged log ({path.name}-wal) from a writer that "
                         "did not close, in a read-only folder: copy both files to a "
                         "writable folder and open them there")
    conn = sqlite3.connect(_readonly_uri(path, immutable=wal_mode and not has_log), uri=True,
                           isolation_level=None)
    return conn
