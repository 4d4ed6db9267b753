"""Outputs are all-or-nothing: a folder holds one complete run, or the previous one."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from phusong.coverage import check_estimate_folder, load_boundaries, load_targets
from phusong.coverage.reaggregate import reaggregate
from phusong.errors import EstimationError, InputFormatError, OutputError
from phusong.outputs import MARKER, read_marker, staged_folder

from helpers import run_cli


def test_staged_folder_replaces_its_own_kind_only(tmp_path):
    out = tmp_path / "run"
    with staged_folder(out, "estimate") as (staging, run_id):
        (staging / "a.txt").write_text("first")
    assert read_marker(out)["run_id"] == run_id
    with staged_folder(out, "estimate") as (staging, second):
        (staging / "a.txt").write_text("second")
    assert (out / "a.txt").read_text() == "second" and read_marker(out)["run_id"] == second
    for other in ("simulation", "demo"):
        with pytest.raises(OutputError, match="already holds other files"):
            with staged_folder(out, other):
                pass
    (out / "notes.docx").write_text("the user's own file")
    with pytest.raises(OutputError, match="--force"):
        with staged_folder(out, "estimate"):
            pass
    assert (out / "notes.docx").exists()


def test_a_failed_run_leaves_the_previous_one(tmp_path):
    out = tmp_path / "run"
    with staged_folder(out, "estimate") as (staging, first):
        (staging / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with staged_folder(out, "estimate") as (staging, _):
            (staging / "a.txt").write_text("half")
            raise RuntimeError("killed")
    assert (out / "a.txt").read_text() == "first" and read_marker(out)["run_id"] == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("refused_call", [1, 2])
def test_an_output_held_by_another_program_is_named_and_left_whole(tmp_path, monkeypatch,
                                                                   refused_call):
    """Windows refuses to move a folder holding a file Excel has open: replayed by refusing
    the swap's first or second move, as Windows would (no such lock exists on Linux)."""
    import phusong.outputs as outputs

    out = tmp_path / "run"
    with staged_folder(out, "estimate") as (staging, first):
        (staging / "communes.csv").write_text("first")
    real_replace, calls = os.replace, []

    def refusing(source, target):
        calls.append(source)
        if len(calls) == refused_call:
            raise PermissionError(13, "The process cannot access the file", str(source))
        real_replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", refusing)
    with pytest.raises(OutputError, match="open in another program"):
        with staged_folder(out, "estimate") as (staging, _):
            (staging / "communes.csv").write_text("second")
    monkeypatch.undo()
    assert (out / "communes.csv").read_text() == "first" and read_marker(out)["run_id"] == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_interrupted_swap_is_recovered(tmp_path):
    out = tmp_path / "run"
    with staged_folder(out, "estimate") as (staging, first):
        (staging / "a.txt").write_text("first")
    os.replace(out, tmp_path / ".run.old-x")  # killed between the swap's two renames
    with staged_folder(out, "estimate") as (staging, _):
        assert (out / "a.txt").read_text() == "first"
        (staging / "a.txt").write_text("second")
    assert (out / "a.txt").read_text() == "second"


@pytest.mark.slow
def test_kill_during_estimate_keeps_the_previous_estimate(demo_dir, tmp_path):
    out = tmp_path / "est"
    store = demo_dir / "simulation" / "campaign.gpkg"
    run_cli("estimate", "--store", str(store), "--out", str(out), "--resolution", "500")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = subprocess.Popen([sys.executable, "-m", "phusong.cli", "estimate", "--store",
                             str(store), "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".est.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the new files are being written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    check_estimate_folder(out)


def test_a_folder_mixing_runs_is_refused(demo_dir, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(demo_dir, mixed, ignore=shutil.ignore_patterns("simulation", "map.html"))
    summary = json.loads((mixed / "summary.json").read_text(encoding="utf-8"))
    summary["run_id"] = "20200101T000000Z-older"
    (mixed / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(EstimationError, match="mixes runs"):
        check_estimate_folder(mixed, needs=("p_covered.tif",))
    (mixed / MARKER).unlink()
    with pytest.raises(EstimationError, match="no complete estimate"):
        reaggregate(mixed, load_boundaries(), load_targets())


def test_a_communes_table_from_another_run_is_refused_by_report_map_and_reaggregate(
        demo_dir, tmp_path):
    import pandas as pd

    from helpers import run_cli

    mixed = tmp_path / "mixed"
    shutil.copytree(demo_dir, mixed, ignore=shutil.ignore_patterns("simulation", "map.html"))
    table = pd.read_csv(mixed / "communes.csv", dtype=str)
    table["run_id"] = "20200101T000000Z-older"
    table.to_csv(mixed / "communes.csv", index=False)
    for args in (("report", "--estimates", str(mixed), "--out", str(tmp_path / "r")),
                 ("map", "--estimates", str(mixed), "--out", str(tmp_path / "m.html")),
                 ("reaggregate", "--estimates", str(mixed), "--out", str(tmp_path / "a.csv"))):
        proc = run_cli("--lang", "en", *args, check=False)
        assert proc.returncode == 1 and b"mixes runs" in proc.stderr, args
        assert b"communes.csv is from run 20200101T000000Z-older" in proc.stderr


def test_an_all_nodata_raster_is_refused(demo_dir, tmp_path):
    import numpy as np
    import rasterio

    broken = tmp_path / "broken"
    shutil.copytree(demo_dir, broken, ignore=shutil.ignore_patterns("simulation", "map.html"))
    # the raster reaggregate reads: the model's P(covered) on every cell
    with rasterio.open(broken / "p_covered_model.tif") as src:
        profile, tags = src.profile, src.tags()
    profile.update(driver="GTiff")
    with rasterio.open(broken / "p_covered_model.tif", "w", **profile) as dst:
        dst.write(np.full((profile["height"], profile["width"]), np.nan, "float32"), 1)
        dst.update_tags(**tags)
    with pytest.raises(InputFormatError, match="holds no value"):
        reaggregate(broken, load_boundaries(), load_targets())


def test_summary_is_valid_json_and_every_file_carries_the_run_id(demo_dir):
    text = (demo_dir / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    run_id = json.loads(text)["run_id"]
    assert read_marker(demo_dir)["run_id"] == run_id
    table = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
    assert set(table["run_id"]) == {run_id}
    assert f'content="{run_id}"' in (demo_dir / "map.html").read_text(encoding="utf-8")
    check_estimate_folder(demo_dir, needs=("p_covered.tif", "rsrp.tif", "readings.tif"))


def test_simulate_and_demo_refuse_a_used_folder(tmp_path):
    run_cli("simulate", "--out", str(tmp_path / "sim"), "--readings", "300", "--seed", "3")
    again = run_cli("--lang", "en", "simulate", "--out", str(tmp_path / "sim"),
                    "--readings", "300", check=False)
    assert again.returncode == 1 and "--force" in again.stderr.decode()
    run_cli("simulate", "--out", str(tmp_path / "sim"), "--readings", "300", "--seed", "4",
            "--force")
    truth = pd.read_csv(tmp_path / "sim" / "truth" / "communes_truth.csv")
    assert len(truth) == 99


def test_names_that_look_like_formulas_stay_text_in_excel_and_csv(demo_dir, tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    from helpers import run_cli

    folder = tmp_path / "est"
    shutil.copytree(demo_dir, folder, ignore=shutil.ignore_patterns("simulation", "map.html",
                                                                    "report"))
    table = pd.read_csv(folder / "communes.csv", dtype=str, keep_default_na=False)
    table.loc[0, "name"] = "=1+2"
    table.loc[1, "name"] = '=HYPERLINK("http://example.com","x")'
    table.to_csv(folder / "communes.csv", index=False)
    run_cli("report", "--estimates", str(folder), "--out", str(tmp_path / "r"))
    sheet = load_workbook(tmp_path / "r" / "report.xlsx").worksheets[1]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value.startswith("=")}
    assert set(cells) == {"=1+2", '=HYPERLINK("http://example.com","x")'}
    assert all(cell.data_type == "s" for cell in cells.values())  # text, not formulas
    written = (tmp_path / "r" / "report_communes.csv").read_text(encoding="utf-8")
    assert "'=1+2" in written and "'=HYPERLINK" in written
    assert "\n=" not in written and ",=" not in written
