"""The offline installer bundle: built from the package index for each platform, complete
by the target's own markers, and installed on Linux with no network at all."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_bundle  # noqa: E402

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _build(platform: str, python: str, out: Path) -> Path:
    try:
        return build_bundle.build(platform, python, out)
    except build_bundle.BundleError as exc:
        if "pip download failed" in str(exc) and ("No matching distribution" in str(exc)
                                                  or "connection" in str(exc).lower()):
            pytest.skip(f"no package index reachable: {exc}")
        raise


def test_the_windows_bundle_holds_a_windows_wheel_for_every_dependency(tmp_path):
    out = _build("win_amd64", "3.12", tmp_path / "win")
    wheels = list((out / "wheels").glob("*.whl"))
    environment = build_bundle.target_environment("win_amd64", "3.12")
    assert build_bundle.unmet_requirements(out / "wheels", environment, ["phusong"]) == []
    names = {parse_wheel_filename(w.name)[0] for w in wheels}
    assert {"colorama", "tzdata", "numpy", "rasterio", "pyogrio"} <= names  # Windows-only deps too
    for wheel in wheels:
        platforms = {tag.platform for tag in parse_wheel_filename(wheel.name)[3]}
        assert platforms <= {"any", "win_amd64"}, wheel.name
    assert (out / "install.bat").read_bytes().count(b"\r\n") > 5
    assert "Python 3.12" in (out / "README.txt").read_text(encoding="utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle")
def test_the_linux_bundle_installs_with_no_network(tmp_path):
    out = _build("linux_x86_64", PYTHON, tmp_path / "linux")
    env = {**os.environ, "PHUSONG_HOME": str(tmp_path / "home"),
           "PHUSONG_BIN": str(tmp_path / "bin"), "PIP_CONFIG_FILE": os.devnull,
           "PIP_FIND_LINKS": "", "PYTHON": sys.executable}
    no_network = ["unshare", "-n"] if shutil.which("unshare") and os.geteuid() == 0 else []
    if no_network and subprocess.run(no_network + ["true"]).returncode != 0:
        no_network = []  # no permission for a network namespace: --no-index alone
    install = subprocess.run(no_network + ["sh", str(out / "install.sh")], env=env,
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    phusong = tmp_path / "bin" / "phusong"
    version = subprocess.run(no_network + [str(phusong), "--version"], capture_output=True,
                             text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("phusong ")
    init = subprocess.run(no_network + [str(phusong), "probe", "init", "--out",
                                        str(tmp_path / "probe.toml")], capture_output=True,
                          timeout=120)
    assert init.returncode == 0 and (tmp_path / "probe.toml").is_file()


def test_a_requirement_no_wheel_meets_is_named(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(next(_project_wheel(tmp_path).glob("phusong-*.whl")), wheels)
    unmet = build_bundle.unmet_requirements(
        wheels, build_bundle.target_environment("win_amd64", "3.12"))
    names = {r.name for r in unmet}
    assert {"numpy", "tzdata"} <= names  # tzdata: only on win32, by the target's markers
    linux = build_bundle.unmet_requirements(
        wheels, build_bundle.target_environment("linux_x86_64", "3.12"))
    assert "tzdata" not in {r.name for r in linux}


def _project_wheel(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    build_bundle.build_project_wheel(folder)
    return folder
