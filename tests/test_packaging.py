"""Installation: one distribution, three sub-packages, no top-level ``coverage``."""
from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_bundle  # noqa: E402


def test_import_coverage_is_not_ours(tmp_path):
    code = ("import importlib.util, phusong.coverage as c;"
            "s = importlib.util.find_spec('coverage');"
            "print(c.__file__);"
            "print(s.origin if s else 'none')")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0].endswith(str(Path("coverage", "__init__.py")))
    assert out[1] == "none" or "site-packages" in out[1]


@pytest.mark.parametrize("folder, forbidden", [
    ("probes", ("phusong.coverage", "phusong.maps")),
    ("coverage", ("phusong.maps", "phusong.sim")),
])
def test_data_flows_one_way(folder, forbidden):
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


def test_wheel_contents(tmp_path):
    wheel = build_bundle.build_project_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("phusong/maps/assets/leaflet.js", "phusong/data/targets.toml",
                   "phusong/data/boundaries/bacninh_2025_communes.geojson",
                   "phusong/data/README.md"):
        assert needed in names, needed
    missing = [module for module in _source_modules() if module not in names]
    assert not missing, f"modules left out of the wheel (pyproject's packages): {missing}"
    assert not any(n.startswith(("coverage/", "probes/", "maps/", "tests/")) for n in names)


def _source_modules() -> list[str]:
    """Every module of the source tree as the wheel names it (folders mapped as in pyproject)."""
    folders = {"phusong": "phusong", "store": "phusong/store", "probes": "phusong/probes",
               "coverage": "phusong/coverage", "maps": "phusong/maps"}
    modules = []
    for folder, installed in folders.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" not in path.parts:
                modules.append(f"{installed}/{path.relative_to(ROOT / folder).as_posix()}")
    assert len(modules) > 50
    return modules
