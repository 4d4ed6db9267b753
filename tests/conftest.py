"""Shared fixtures: one demo run per test session, shared by the xdist workers."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from helpers import DEMO_COMMAND, cli_argv

DEMO_TIMEOUT_S = 1800


def _session_root(tmp_path_factory) -> Path:
    """The folder every worker of this session sees (the session's own with one worker)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _run_demo(folder: Path) -> None:
    proc = subprocess.run(cli_argv(DEMO_COMMAND), cwd=folder, capture_output=True,
                          timeout=DEMO_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{DEMO_COMMAND} exited {proc.returncode}\n"
                           + proc.stderr.decode(errors="replace")[-4000:])


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The README's ``phusong demo`` command, run as written once per session: the first
    worker to claim the folder runs it, the others wait for its outcome."""
    folder = _session_root(tmp_path_factory) / "readme-demo"
    argv = shlex.split(DEMO_COMMAND)
    out = folder / argv[argv.index("--out") + 1]
    done, failed = folder / "done", folder / "failed"
    try:
        folder.mkdir()  # atomic: one worker claims the run
    except FileExistsError:
        deadline = time.monotonic() + DEMO_TIMEOUT_S
        while not (done.exists() or failed.exists()) and time.monotonic() < deadline:
            time.sleep(0.5)
    else:
        try:
            _run_demo(folder)
        except BaseException as exc:
            failed.write_text(str(exc), encoding="utf-8")
            raise
        done.touch()
    if failed.exists():
        raise RuntimeError("the demo failed in another worker:\n"
                           + failed.read_text(encoding="utf-8"))
    if not done.exists():
        raise RuntimeError(f"the demo did not finish within {DEMO_TIMEOUT_S} s")
    return out
