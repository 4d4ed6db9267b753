"""Every user error ends in one clear line, in the chosen language, and a non-zero exit:
bad values for every option and bad files for every input, and never a traceback."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from phusong.probes import ReadingStore, stable_reading_id

from helpers import run_cli


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    store = root / "store.gpkg"
    with ReadingStore(store) as s:
        s.add_signal([{"reading_id": stable_reading_id("cli", i),
                       "time_utc": datetime(2025, 10, 1, 8, i // 60, i % 60, tzinfo=timezone.utc),
                       "probe_id": "p", "lon": 106.20 + i * 1e-3, "lat": 21.28,
                       "technology": "NR-NSA", "operator": "452-04", "device_state": "data",
                       "device_5g_capable": True, "nr_ss_rsrp_dbm": -100.0, "source_kind": "test"}
                      for i in range(200)])
    (root / "empty.csv").write_text("", encoding="utf-8")
    (root / "header.csv").write_text("operator,technology,lon,lat\n", encoding="utf-8")
    (root / "latin.csv").write_bytes("operator,technology,lon,lat\nViệt,NR,106,21\n"
                                     .encode("utf-16"))
    (root / "zero.gpkg").write_bytes(b"")
    (root / "junk.gpkg").write_bytes(b"\x00garbage" * 200)
    foreign = root / "foreign.gpkg"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (a)")
    (root / "bad.toml").write_bytes("[plan]\nname = 'Kế'\n".encode("utf-16"))
    (root / "junk.tif").write_bytes(b"II*\x00garbage")
    (root / "folder").mkdir()
    targets = (Path(__file__).parents[1] / "data" / "targets.toml").read_text(encoding="utf-8")
    (root / "year.toml").write_text(targets.replace("year = 2025", 'year = "twenty"'),
                                    encoding="utf-8")
    (root / "bits.toml").write_text('[source]\ngnb_id_bits = "abc"\n[columns]\n'
                                    'time_utc = "t"\n', encoding="utf-8")
    junk = bytes(range(256)) * 8 + b'{"a": [1, 2, {"b\n' * 1000
    (root / "junk.json").write_bytes(junk * 100)  # about 2 MB of braces, quotes and noise
    (root / "cut.json").write_bytes(b'{"type": "result", "download": {"bandwidth": 1')
    return root


def bad_invocations(root):
    store, out = str(root / "store.gpkg"), str(root / "out")
    estimate = ["estimate", "--store", store, "--out", out]
    return {
        "store missing": ["estimate", "--store", str(root / "none.gpkg"), "--out", out],
        "store is a folder": ["estimate", "--store", str(root / "folder"), "--out", out],
        "store empty file": ["estimate", "--store", str(root / "zero.gpkg"), "--out", out],
        "store not sqlite": ["estimate", "--store", str(root / "junk.gpkg"), "--out", out],
        "store not phusong": ["estimate", "--store", str(root / "foreign.gpkg"), "--out", out],
        "boundaries missing": [*estimate, "--boundaries", str(root / "none.geojson")],
        "boundaries junk": [*estimate, "--boundaries", str(root / "junk.gpkg")],
        "boundaries folder": [*estimate, "--boundaries", str(root / "folder")],
        "encoding unknown": [*estimate, "--encoding", "klingon"],
        "targets utf-16": [*estimate, "--targets", str(root / "bad.toml")],
        "targets folder": [*estimate, "--targets", str(root / "folder")],
        "declarations empty": [*estimate, "--declarations", str(root / "empty.csv")],
        "declarations folder": [*estimate, "--declarations", str(root / "folder")],
        "sites header only": [*estimate, "--sites", str(root / "header.csv")],
        "site list missing": [*estimate, "--site-list", str(root / "none.csv")],
        "sites not utf-8": [*estimate, "--sites", str(root / "latin.csv")],
        "population junk": [*estimate, "--population", str(root / "junk.tif")],
        "resolution inf": [*estimate, "--resolution", "inf"],
        "resolution zero": [*estimate, "--resolution", "0"],
        "resolution huge memory": [*estimate, "--resolution", "5"],
        "resolution text": [*estimate, "--resolution", "fine"],
        "threshold -1000": [*estimate, "--threshold-dbm", "-1000"],
        "threshold nan": [*estimate, "--threshold-dbm", "nan"],
        "since garbage": [*estimate, "--since", "yesterday"],
        "until before since": [*estimate, "--since", "2025-10-02", "--until", "2025-10-01"],
        "position error negative": [*estimate, "--max-position-error", "-5"],
        "vehicle loss negative": [*estimate, "--vehicle-loss-db", "-9"],
        "method unknown": [*estimate, "--method", "magic"],
        "crs unknown": [*estimate, "--sites", str(root / "header.csv"), "--crs", "EPSG:99999"],
        "out is a file": ["estimate", "--store", store, "--out", str(root / "empty.csv")],
        "no reading in the period": [*estimate, "--since", "2030-01-01"],
        "seed negative": ["simulate", "--out", out, "--seed", "-1"],
        "readings too few": ["simulate", "--out", out, "--readings", "5"],
        "missing option": ["estimate", "--store", store],
        "unknown option": [*estimate, "--colour", "red"],
        "language unknown": ["--lang", "xx", "estimate", "--store", store, "--out", out],
        "estimates missing": ["map", "--estimates", str(root / "none"), "--out", out + ".html"],
        "estimates not an estimate": ["map", "--estimates", str(root / "folder"), "--out",
                                      out + ".html"],
        "reaggregate not an estimate": ["reaggregate", "--estimates", str(root / "folder"),
                                        "--out", out + ".csv"],
        "evaluate block size": ["evaluate", "--store", store, "--block-size", "-1"],
        "evaluate folds": ["evaluate", "--store", store, "--folds", "1"],
        "targets year not a number": [*estimate, "--targets", str(root / "year.toml")],
        "mapping gnb bits not a number": ["import", "table", str(root / "header.csv"),
                                          "--mapping", str(root / "bits.toml"), "--store",
                                          str(root / "t.gpkg")],
        "merge a store into itself": ["merge", store, "--into", store],
        "map over a store": ["map", "--estimates", str(root / "folder"), "--out", store],
        "reaggregate over a store": ["reaggregate", "--estimates", str(root / "folder"),
                                     "--out", store],
        "export over a store": ["export", store, "--format", "gpkg", "--out", store],
        "store copy over a file": ["store", "copy", store, str(root / "empty.csv")],
        **{f"{fmt} junk": ["import", fmt, str(root / "junk.json"), "--store",
                           str(root / f"{fmt}.gpkg")]
           for fmt in ("ookla", "murakami", "iperf3", "speedtest-cli")},
        "iperf3 cut short": ["import", "iperf3", str(root / "cut.json"), "--store",
                             str(root / "iperf3.gpkg")],
    }


CASES = sorted(bad_invocations(__import__("pathlib").Path("/x")))


def test_a_period_without_readings_is_named(files):
    """Not "no 5G evidence", which sends the user to the store: the options chose nothing."""
    args = bad_invocations(files)["no reading in the period"]
    stderr = run_cli("--lang", "en", *args, check=False).stderr.decode()
    assert "no reading with a position is left by --since 2030-01-01" in " ".join(stderr.split())


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_one_clear_line(files, case):
    args = bad_invocations(files)[case]
    # each case in one language, the two languages alternating over the cases
    lang, prefix = (("vi", "Lỗi: "), ("en", "Error: "))[CASES.index(case) % 2]
    proc = run_cli(*args, env={"PHUSONG_LANG": lang}, check=False)
    stderr = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode in (1, 2), (case, proc.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix), (case, stderr)


@pytest.mark.parametrize("args, vietnamese", [
    (["estimate", "--store", "/nonexistent/s.gpkg", "--out", "/tmp/x"],
     "không có kho dữ liệu đo"),
    (["simulate", "--out", "/tmp/x", "--seed", "-1"], "giá trị không hợp lệ cho --seed"),
])
def test_details_are_in_vietnamese(args, vietnamese):
    proc = run_cli(*args, env={"PHUSONG_LANG": "vi"}, check=False)
    assert vietnamese in proc.stderr.decode("utf-8")


def test_estimate_warnings_have_their_vietnamese():
    """The warnings an estimate always gives are in the catalogue (a template that drifts
    from its entry falls back to English silently)."""
    from phusong.coverage.estimate import WITHOUT_SITE_LIST_WARNING
    from phusong.i18n import localise

    assert localise(WITHOUT_SITE_LIST_WARNING, "vi").startswith("không có danh sách trạm")


def test_no_command_writes_over_a_store_even_with_force(files):
    store = files / "store.gpkg"
    before = store.read_bytes()
    for args in (["map", "--estimates", str(files / "folder"), "--out", str(store), "--force"],
                 ["reaggregate", "--estimates", str(files / "folder"), "--out", str(store),
                  "--force"],
                 ["export", str(store), "--format", "gpkg", "--out", str(store), "--force"]):
        proc = run_cli("--lang", "en", *args, check=False)
        assert proc.returncode == 1 and b"readings store" in proc.stderr, args
    assert store.read_bytes() == before


def test_a_declaration_dated_in_the_future_is_quarantined(tmp_path):
    declarations = tmp_path / "d.csv"
    declarations.write_text(
        "operator,technology,max_down_mbps,max_up_mbps,lon,lat,commune_code,households,as_of\n"
        "Viettel,XGS-PON,1000,1000,,,07210,500,2099-01-01\n"
        "VNPT,GPON,1000,1000,,,07210,300,2025-10-01\n", encoding="utf-8")
    store = tmp_path / "s.gpkg"
    run_cli("import", "declarations", str(declarations), "--store", str(store))
    with ReadingStore(store, readonly=True) as readings:
        assert readings.count("declarations") == 1
        assert "in the future" in readings.read_quarantine()["reason"].iloc[0]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes to read-only files")
def test_importing_into_a_read_only_store_is_one_line(files, tmp_path):
    import os
    import shutil

    store = tmp_path / "ro.gpkg"
    shutil.copy(files / "store.gpkg", store)
    os.chmod(store, 0o444)
    proc = run_cli("--lang", "en", "merge", str(files / "store.gpkg"), "--into", str(store),
                   check=False)
    assert proc.returncode == 1 and b"read-only" in proc.stderr


def test_a_list_of_reasons_inside_a_message_is_localised_too():
    """The rows a --strict import refused are named in Vietnamese inside its Vietnamese line,
    each after its place; a part no template knows stays as it is."""
    from phusong.i18n import localise

    message = ("log.txt: 3 row(s) refused (line 12: lte_rsrp_dbm -141 outside the valid range "
               "[-140, -44]; line 40: time_utc 2030-01-01T00:00:00.000Z is in the future: "
               "check the device clock; line 41: something new): nothing was imported "
               "(--strict)")
    assert localise(message, "vi") == (
        "log.txt: 3 dòng bị từ chối (dòng 12: lte_rsrp_dbm -141 nằm ngoài khoảng hợp lệ "
        "[-140, -44]; dòng 40: time_utc 2030-01-01T00:00:00.000Z ở tương lai: hãy kiểm tra "
        "đồng hồ thiết bị; line 41: something new): không nhập gì (--strict)")
    assert localise(message, "en") == message
