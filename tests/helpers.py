"""Helpers shared by the tests."""
from __future__ import annotations

import functools
import importlib.util
import os
import random
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    """Every ``phusong`` command in the README's bash blocks, comments removed."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            for part in line.split("#", 1)[0].split("&&"):
                if part.strip().startswith("phusong "):
                    commands.append(part.strip())
    return commands


DEMO_COMMAND = next(c for c in readme_commands() if c.startswith("phusong demo"))


def cli_argv(command: str) -> list[str]:
    """A README command line as the argument list that runs it with this Python."""
    return [sys.executable, "-m", "phusong.cli", *shlex.split(command)[1:]]


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


def free_port() -> int:
    """A free loopback port below Linux's ephemeral range (32768-60999) for a server that a
    test kills and restarts on the same port: a port the kernel hands out for ``bind(0)`` or
    an outgoing connection in another test could be taken during the restart."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


@functools.cache
def load_benchmark(name: str):
    """The script ``benchmarks/NAME.py`` as a module (loaded once), to run its parts."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# A column mapping of a made-up table (columns when, network, rat, rsrp_centi, ecgi, x_deg,
# y_deg) to the signal layer, for the tests of import table.
TABLE_MAPPING = """
[source]
layer = "signal_readings"
kind = "test-table"
time_zone = "Asia/Ho_Chi_Minh"

[columns]
time_utc = { column = "when", format = "%d/%m/%Y %H:%M:%S" }
operator = { column = "network" }
technology = { column = "rat", values = { "4G LTE" = "LTE" } }
lte_rsrp_dbm = { column = "rsrp_centi", scale = 0.01 }
cell = "ecgi"
lon = "x_deg"
lat = "y_deg"
"""
