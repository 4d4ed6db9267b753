"""Build an offline installer bundle of phusong for one platform and Python version.

    python tools/build_bundle.py --platform win_amd64 --python 3.12 --out dist/bundle-win
    python tools/build_bundle.py --platform linux_x86_64 --python 3.12 --out dist/bundle-linux

The bundle holds phusong's wheel and a wheel of every dependency for that platform
(``pip download --only-binary=:all: --platform …``), at the versions installed where it runs
(where the tests passed; ``--no-pin`` for the newest), the install scripts (``install.bat`` and
``install.ps1`` on Windows, ``install.sh`` on Linux: a virtual environment installed with
``--no-index --find-links``, and a ``phusong`` command on the user's path) and a
``README.txt`` naming the Python it needs and where to get it.

pip evaluates environment markers (``tzdata; sys_platform == "win32"``) against the machine
it runs on, not the target, so the bundle is then checked by reading every wheel's own
requirements with the target's markers (PEP 508): each must be met by a wheel in the bundle,
and a missing one is downloaded, or named when no wheel exists for the platform.
"""
from __future__ import annotations

import argparse
import email.parser
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = {
    "win_amd64": {"tags": ["win_amd64"], "sys_platform": "win32", "platform_system": "Windows",
                  "os_name": "nt", "platform_machine": "AMD64"},
    "linux_x86_64": {"tags": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64",
                              "manylinux2014_x86_64", "linux_x86_64"],
                     "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                     "platform_machine": "x86_64"},
}
PYTHON_DOWNLOAD = {
    "win_amd64": "https://www.python.org/downloads/windows/ (Windows installer, 64-bit; tick "
                 "'Add python.exe to PATH')",
    "linux_x86_64": "the distribution's packages (Debian/Ubuntu: apt install python{v} "
                    "python{v}-venv) or https://www.python.org/downloads/source/",
}


class BundleError(RuntimeError):
    """The bundle cannot be made complete."""


def target_environment(platform: str, python: str) -> dict[str, str]:
    """The PEP 508 marker environment of the target machine."""
    environment = default_environment()
    major_minor = ".".join(python.split(".")[:2])
    environment.update({k: v for k, v in PLATFORMS[platform].items() if k != "tags"})
    environment.update(python_version=major_minor, python_full_version=f"{major_minor}.0",
                       implementation_name="cpython", platform_python_implementation="CPython")
    return environment


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """The requirements a wheel declares (its METADATA's ``Requires-Dist``)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(text) for text in metadata.get_all("Requires-Dist") or []]


def wheels_by_name(folder: Path) -> dict[str, list[Version]]:
    found: dict[str, list[Version]] = {}
    for wheel in folder.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        found.setdefault(canonicalize_name(name), []).append(version)
    return found


def unmet_requirements(folder: Path, environment: dict[str, str],
                       roots: list[str] | None = None) -> list[Requirement]:
    """Requirements of the wheels in ``folder`` (and of ``roots``), applying on the target,
    that no wheel in ``folder`` meets."""
    present = wheels_by_name(folder)
    unmet: dict[str, Requirement] = {}
    requirements = [Requirement(text) for text in roots or []]
    for wheel in sorted(folder.glob("*.whl")):
        requirements += wheel_requirements(wheel)
    for requirement in requirements:
        if requirement.marker and not requirement.marker.evaluate({**environment, "extra": ""}):
            continue
        versions = present.get(canonicalize_name(requirement.name), [])
        if not any(requirement.specifier.contains(v, prereleases=True) for v in versions):
            unmet[str(requirement)] = requirement
    return list(unmet.values())


def tested_versions(folder: Path) -> Path:
    """A pip constraints file pinning every distribution installed here (where phusong's
    tests ran) to its version, so the bundle holds the versions that were tested."""
    from importlib.metadata import distributions

    pins = sorted({f"{canonicalize_name(d.metadata['Name'])}=={d.version}"
                   for d in distributions() if d.metadata["Name"]
                   and canonicalize_name(d.metadata["Name"]) != "phusong"})
    path = folder.parent / "tested-versions.txt"
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


def pip_download(requirements: list[str], folder: Path, platform: str, python: str,
                 constraints: Path | None = None) -> None:
    major_minor = "".join(python.split(".")[:2])
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest",
               str(folder), "--python-version", python, "--implementation", "cp",
               "--abi", f"cp{major_minor}", "--abi", "abi3", "--abi", "none"]
    for tag in PLATFORMS[platform]["tags"]:
        command += ["--platform", tag]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    answer = subprocess.run(command + requirements, capture_output=True, text=True)
    if answer.returncode != 0:
        raise BundleError(f"pip download failed for {', '.join(requirements)}:\n"
                          f"{answer.stderr.strip()[-2000:]}")


# Left out of the copy a wheel is built from: setuptools' own build folder (a stale
# build/lib would put modules the source no longer has into the wheel, and two builds of one
# tree at once share it) and what is not the package's.
NOT_BUILT_FROM = (".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "tests",
                  "benchmarks", "*.gpkg", "*.gpkg-*")


def build_project_wheel(folder: Path) -> Path:
    """phusong's wheel in ``folder``, built from a clean copy of the source tree."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "phusong"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_BUILT_FROM))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-w", str(folder), str(source)], check=True, capture_output=True)
    return max(folder.glob("phusong-*.whl"), key=lambda p: p.stat().st_mtime)


def complete(folder: Path, platform: str, python: str, constraints: Path | None = None,
             rounds: int = 5) -> None:
    """Download what the target needs until every requirement is met by a wheel."""
    environment = target_environment(platform, python)
    for _ in range(rounds):
        unmet = unmet_requirements(folder, environment)
        if not unmet:
            return
        pip_download([str(r).split(";")[0] for r in unmet], folder, platform, python,
                     constraints)
    unmet = unmet_requirements(folder, environment)
    if unmet:
        raise BundleError("no wheel for " + ", ".join(map(str, unmet)))


def write_scripts(out: Path, platform: str, python: str, wheel: Path) -> None:
    version = parse_wheel_filename(wheel.name)[1]
    readme = (f"phusong {version}: offline installer for {platform}\n\n"
              f"Needs Python {python} ({'64-bit' if platform == 'win_amd64' else 'x86_64'}).\n"
              f"Get it from {PYTHON_DOWNLOAD[platform].format(v=python)}.\n\n")
    if platform == "win_amd64":
        readme += ("Install: double-click install.bat (or run: powershell -ExecutionPolicy "
                   "Bypass -File install.ps1).\nThen open a new Command Prompt and run: "
                   "phusong --version\n")
        (out / "install.bat").write_text(WINDOWS_BAT.format(python=python), encoding="ascii",
                                         newline="\r\n")
        (out / "install.ps1").write_text(WINDOWS_PS1.format(python=python), encoding="utf-8-sig",
                                         newline="\r\n")
    else:
        readme += "Install: sh install.sh\nThen run: phusong --version\n"
        (out / "install.sh").write_text(LINUX_SH.format(python=python), encoding="ascii",
                                        newline="\n")
    (out / "README.txt").write_text(readme, encoding="utf-8",
                                    newline="\r\n" if platform == "win_amd64" else "\n")


LINUX_SH = """#!/bin/sh
# phusong offline installer: a virtual environment from the wheels beside this script.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
HOME_DIR=${{PHUSONG_HOME:-$HOME/.local/share/phusong}}
BIN_DIR=${{PHUSONG_BIN:-$HOME/.local/bin}}
PYTHON=${{PYTHON:-}}
if [ -z "$PYTHON" ]; then
    for candidate in python{python} python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if "%d.%d" % sys.version_info[:2] == "{python}" else 1)'; then
            PYTHON=$candidate; break
        fi
    done
fi
if [ -z "$PYTHON" ]; then
    echo "phusong needs Python {python} (see README.txt)" >&2; exit 1
fi
"$PYTHON" -m venv "$HOME_DIR/venv"
"$HOME_DIR/venv/bin/python" -m pip install --no-index --find-links "$HERE/wheels" --upgrade phusong
mkdir -p "$BIN_DIR"
ln -sf "$HOME_DIR/venv/bin/phusong" "$BIN_DIR/phusong"
echo "phusong installed: $BIN_DIR/phusong"
"""

WINDOWS_BAT = """@echo off
rem phusong offline installer: a virtual environment from the wheels beside this script.
setlocal
set "HERE=%~dp0"
set "TARGET=%LOCALAPPDATA%\\phusong"
py -{python} -c "import sys" >nul 2>&1
if errorlevel 1 (
    echo phusong needs Python {python} 64-bit: see README.txt
    pause
    exit /b 1
)
py -{python} -m venv "%TARGET%\\venv" || goto :failed
"%TARGET%\\venv\\Scripts\\python.exe" -m pip install --no-index --find-links "%HERE%wheels" --upgrade phusong || goto :failed
> "%LOCALAPPDATA%\\Microsoft\\WindowsApps\\phusong.bat" echo @"%TARGET%\\venv\\Scripts\\phusong.exe" %%*
echo phusong installed. Open a new Command Prompt and run: phusong --version
pause
exit /b 0
:failed
echo Installation failed; nothing was changed outside %TARGET%.
pause
exit /b 1
"""

WINDOWS_PS1 = """# phusong offline installer: a virtual environment from the wheels beside this script.
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Target = Join-Path $env:LOCALAPPDATA "phusong"
& py -{python} -m venv (Join-Path $Target "venv")
& (Join-Path $Target "venv\\Scripts\\python.exe") -m pip install --no-index --find-links (Join-Path $Here "wheels") --upgrade phusong
$Shim = Join-Path $env:LOCALAPPDATA "Microsoft\\WindowsApps\\phusong.bat"
Set-Content -Path $Shim -Value ('@"' + (Join-Path $Target "venv\\Scripts\\phusong.exe") + '" %*') -Encoding ASCII
Write-Host "phusong installed. Open a new window and run: phusong --version"
"""


def build(platform: str, python: str, out: Path, pin: bool = True) -> Path:
    if platform not in PLATFORMS:
        raise BundleError(f"unknown platform {platform}: one of {', '.join(PLATFORMS)}")
    if not re.fullmatch(r"3\.\d+", python):
        raise BundleError(f"--python {python}: give a version such as 3.12")
    if out.exists() and any(out.iterdir()) and not (out / "README.txt").is_file():
        raise BundleError(f"{out} holds other files: give an empty or new folder")
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = build_project_wheel(wheels)
    constraints = tested_versions(wheels) if pin else None
    pip_download([str(wheel)], wheels, platform, python, constraints)
    complete(wheels, platform, python, constraints)
    write_scripts(out, platform, python, wheel)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--no-pin", action="store_true",
                        help="take the newest wheels instead of the versions installed here")
    args = parser.parse_args()
    try:
        out = build(args.platform, args.python, args.out, pin=not args.no_pin)
    except BundleError as exc:
        sys.exit(f"build_bundle: {exc}")
    count = len(list((out / "wheels").glob("*.whl")))
    print(f"{out}: {count} wheels for {args.platform}, Python {args.python}; every requirement "
          "met")


if __name__ == "__main__":
    main()
