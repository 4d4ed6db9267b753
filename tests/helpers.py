"""Helpers shared by the tests."""
from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed ``phusong`` CLI in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "phusong.cli", *args], capture_output=True,
                          env=full_env, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"phusong {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout.decode(errors='replace')}\n"
            f"stderr:\n{proc.stderr.decode(errors='replace')}"
        )
    return proc
