"""Shared fixtures: one simulated campaign and one demo run per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """``phusong demo`` on the shipped data, run once."""
    out = tmp_path_factory.mktemp("demo")
    run_cli("demo", "--out", str(out))
    return out
