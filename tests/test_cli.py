"""The command line: help, version, languages, errors, hostile consoles."""
from __future__ import annotations

import phusong

from helpers import run_cli


def test_help_and_version():
    out = run_cli("--help").stdout.decode()
    for command in ("simulate", "estimate", "map", "demo"):
        assert command in out
    assert phusong.__version__ in run_cli("--version").stdout.decode()


def test_error_is_clear_and_localised(tmp_path):
    missing = tmp_path / "nothing.gpkg"
    vi = run_cli("estimate", "--store", str(missing), "--out", str(tmp_path), check=False)
    assert vi.returncode == 1
    assert "Lỗi" in vi.stderr.decode() and "không có kho dữ liệu đo" in vi.stderr.decode()
    assert "Traceback" not in vi.stderr.decode()
    en = run_cli("--lang", "en", "estimate", "--store", str(missing), "--out", str(tmp_path),
                 check=False)
    assert en.stderr.decode().startswith("Error") and "no readings store" in en.stderr.decode()
    env = run_cli("estimate", "--store", str(missing), "--out", str(tmp_path), check=False,
                  env={"PHUSONG_LANG": "en"})
    assert env.stderr.decode().startswith("Error")


def test_bad_boundary_field_is_reported(tmp_path):
    proc = run_cli("--lang", "en", "estimate", "--store", str(tmp_path / "x.gpkg"),
                   "--out", str(tmp_path), "--id-field", "ma_xa", check=False)
    assert proc.returncode == 1
    assert "no field 'ma_xa'" in proc.stderr.decode()


def test_non_utf8_console_does_not_crash(tmp_path):
    for encoding in ("ascii", "cp1252", "cp437"):
        proc = run_cli("simulate", "--out", str(tmp_path / encoding), "--readings", "3000",
                       env={"PYTHONIOENCODING": encoding, "PHUSONG_LANG": "vi"})
        assert proc.returncode == 0
        assert (tmp_path / encoding / "campaign.gpkg").exists()


def test_simulate_writes_a_named_variant(tmp_path):
    import json

    run_cli("simulate", "--out", str(tmp_path / "roads"), "--readings", "3000",
            "--variant", "roads", "--seed", "3")
    config = json.loads((tmp_path / "roads" / "truth" / "simulation.json").read_text(
        encoding="utf-8"))["config"]
    assert config["routes"] == "roads" and config["seed"] == 3
    bad = run_cli("simulate", "--out", str(tmp_path / "bad"), "--variant", "rain", check=False)
    assert bad.returncode == 1
    assert "biến thể mô phỏng không xác định 'rain'" in bad.stderr.decode()
    assert "device-offsets" in bad.stderr.decode()
    assert not (tmp_path / "bad").exists()
