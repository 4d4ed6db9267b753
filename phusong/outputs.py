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


def check_output_file(path: str | Path) -> None:
    """Fail before any work if ``path`` cannot be written as a file."""
    if Path(path).is_dir():
        raise OutputError(f"{path} is a folder; give a file name")


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
        files = sorted(p.name for p in staging.iterdir())
        (staging / MARKER).write_text(json.dumps(
            {"kind": kind, "run_id": run_id, "files": files}, indent=2), encoding="utf-8")
        _swap(staging, out, run_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out: Path, run_id: str) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old-{run_id}"
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``, moved onto it once written."""
    path = Path(path).absolute()
    check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
        temporary.touch()
    except PermissionError as exc:
        raise OutputError(f"cannot write in {path.parent}: permission denied") from exc
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
