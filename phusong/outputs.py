"""All-or-nothing outputs: a folder holds one complete run, or the previous one.

A run writes its files into a hidden sibling folder and moves it into place when
every file is written; a killed run leaves the previous folder as it was. Every
run has an id, recorded in the folder's ``.phusong-run`` marker (with the kind of
run and its files) and in each file, so a reader can tell a complete folder from
one assembled by hand out of several runs.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import OutputError

MARKER = ".phusong-run"


def new_run_id() -> str:
    """A sortable, unique id: UTC time and a random suffix."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def read_marker(folder: Path) -> dict | None:
    """The run marker of ``folder``, or ``None`` when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _holds_only_a_run_of(folder: Path, kind: str) -> bool:
    marker = read_marker(folder)
    if marker is None or marker.get("kind") != kind:
        return False
    listed = set(marker.get("files", [])) | {MARKER}
    return {p.name for p in folder.iterdir()} <= listed


def _recover(out: Path) -> None:
    """Put back the previous run if a swap was interrupted between its two renames."""
    if out.exists():
        return
    old = sorted(out.parent.glob(f".{out.name}.old-*"))
    if old:
        os.replace(old[-1], out)


# Kinds of run whose folder a new run of the same kind replaces without --force: an
# estimate is re-run as data arrive; a simulation or demo folder holds a campaign.
REPLACEABLE_KINDS = ("estimate", "export", "report")


def _check_target(out: Path, kind: str, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder")
    replaceable = kind in REPLACEABLE_KINDS and _holds_only_a_run_of(out, kind)
    if out.is_dir() and any(out.iterdir()) and not force and not replaceable:
        raise OutputError(f"{out} already holds other files: choose a new or empty folder, "
                          "or add --force to replace it")


def check_output_folder(out: str | Path, kind: str, force: bool = False) -> None:
    """Fail before any work if ``out`` cannot receive a run of ``kind`` (see
    :func:`staged_folder`)."""
    out = Path(out).absolute()
    _recover(out)
    _check_target(out, kind, force)


SQLITE_HEADER = b"SQLite format 3\x00"
# OWASP "CSV Injection": a spreadsheet reads a cell beginning with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """A text value a spreadsheet shows as text: a leading apostrophe before a formula
    start (OWASP's rule); numbers and other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _map_text_columns(frame, function):
    """A copy of a DataFrame with ``function`` applied to each value of its text columns."""
    import pandas as pd

    mapped = frame.copy()
    for column in mapped.columns:
        if pd.api.types.is_object_dtype(mapped[column]) or pd.api.types.is_string_dtype(
                mapped[column]):
            mapped[column] = mapped[column].map(function)
    return mapped


def spreadsheet_safe(frame):
    """A copy of a DataFrame whose text columns are :func:`spreadsheet_text`."""
    return _map_text_columns(frame, spreadsheet_text)


def _as_written(value: object) -> object:
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def spreadsheet_read(frame):
    """A DataFrame read from a :func:`spreadsheet_safe` CSV, with its text as written."""
    return _map_text_columns(frame, _as_written)


def text_cells(sheet) -> None:
    """Store every text cell of an openpyxl sheet as text: a value beginning with ``=``
    is shown as written, never evaluated as a formula or a link."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"


def is_readings_store(path: str | Path) -> bool:
    """Whether ``path`` is a phusong readings store, by its content (a SQLite file with
    the store's metadata table or its layers), whatever its name."""
    import sqlite3

    path = Path(path)
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != SQLITE_HEADER:
                return False
    except OSError:
        return False
    try:
        conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
        try:
            names = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return True  # a damaged SQLite file: never written over either
    return "phusong_meta" in names or "signal_readings" in names


def _sidecar(path: Path) -> Path:
    return path.parent / f".{path.name}.phusong"


def _digest(path: Path) -> str | None:
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def written_by_phusong(path: Path, kind: str) -> bool:
    """Whether ``path`` is unchanged since phusong wrote it as a ``kind`` output (its
    sidecar ``.NAME.phusong`` records the kind and the content's hash)."""
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("kind") == kind and record.get("sha256") == _digest(path)


def check_output_file(path: str | Path, kind: str | None = None, force: bool = False) -> None:
    """Fail before any work if ``path`` cannot be written as a ``kind`` output: a folder, or
    an existing file that is not this kind's unchanged earlier output: refused unless
    ``force``, and never when it is a readings store."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if kind is None or not path.exists() or written_by_phusong(path, kind):
        return
    if is_readings_store(path):
        raise OutputError(f"{path} is a readings store: phusong never writes over one; give "
                          "another file name")
    if not force:
        raise OutputError(f"{path} already exists and was not written by this command: give "
                          "another file name, or add --force to replace it")


@contextmanager
def staged_folder(out: str | Path, kind: str, run_id: str | None = None,
                  force: bool = False) -> Iterator[tuple[Path, str]]:
    """Write a run into a temporary folder beside ``out`` and move it into place.

    Yields the temporary folder and the run id. ``out`` may be absent, empty, or
    hold a previous estimate when ``kind`` is ``estimate`` (replaced); anything else
    is refused unless ``force``. On any error the temporary folder is removed and ``out`` is
    left as it was.
    """
    out = Path(out).absolute()
    run_id = run_id or new_run_id()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _recover(out)
        _check_target(out, kind, force)
        staging = out.parent / f".{out.name}.partial-{run_id}"
        staging.mkdir()
    except PermissionError as exc:
        raise OutputError(f"cannot write in {exc.filename or out.parent}: permission denied") \
            from exc
    try:
        yield staging, run_id
        _fsync_folder(staging)
        files = sorted(p.name for p in staging.iterdir())
        (staging / MARKER).write_text(json.dumps(
            {"kind": kind, "run_id": run_id, "files": files}, indent=2), encoding="utf-8")
        _swap(staging, out, run_id)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if _disk_full(exc):
            raise OutputError(f"the disk holding {out} is full: nothing was written; free some "
                              "space and run again") from exc
        raise


def _disk_full(exc: BaseException) -> bool:
    """Whether an error (from Python, GDAL or SQLite) says the disk is full."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk is full" in text or "disk full" in text


def _fsync_folder(folder: Path) -> None:
    """Flush every file of a finished run to the disk before the run is moved into place."""
    for path in folder.iterdir():
        if path.is_file():
            _fsync(path)


def _swap(staging: Path, out: Path, run_id: str) -> None:
    """``staging`` moved onto ``out``; the previous ``out`` stays whole if that fails."""
    if not out.exists():
        _replace(staging, out, out)
        return
    old = out.parent / f".{out.name}.old-{run_id}"
    _replace(out, old, out)
    try:
        _replace(staging, out, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _replace(source: Path, target: Path, output: Path) -> None:
    """``os.replace``, saying what to do when a program holds ``output`` (Windows refuses
    to move a file, or a folder with a file, that another program has open: Excel locks the
    CSV files it shows)."""
    try:
        os.replace(source, target)
    except PermissionError as exc:
        raise OutputError(f"cannot replace {output}: it, or a file in it, is open in another "
                          "program (Excel, QGIS…) or not yours to change; close it and run "
                          "again (nothing was changed)") from exc


@contextmanager
def atomic_file(path: str | Path, kind: str | None = None,
                force: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``, moved onto it once written; with ``kind``, an
    existing file is replaced only as :func:`check_output_file` allows, and the written
    file is recorded as phusong's (its sidecar)."""
    path = Path(path).absolute()
    check_output_file(path, kind, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
        temporary.touch()
    except PermissionError as exc:
        raise OutputError(f"cannot write in {path.parent}: permission denied") from exc
    try:
        yield temporary
        _fsync(temporary)
        check_output_file(path, kind, force)  # nothing took its place meanwhile
        _replace(temporary, path, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if kind is not None:
        try:
            _sidecar(path).write_text(json.dumps({"kind": kind, "sha256": _digest(path)}),
                                      encoding="utf-8")
        except OSError:
            pass  # without its sidecar the file is only protected from the next run


def _fsync(path: Path) -> None:
    """Flush a written file to the disk before it is moved into place."""
    try:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError:
        pass
