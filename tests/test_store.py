"""The readings store: a real GeoPackage, validated, append-only and crash-safe."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone

import geopandas as gpd
import pyogrio
import numpy as np
import pandas as pd
import pytest

from phusong.errors import SchemaVersionError, StoreError
from phusong.probes import (QUARANTINE_TABLE, SIGNAL_LAYER, SPEED_LAYER, ReadingStore,
                            merge_stores, stable_reading_id)
from phusong.store import readings as store_module


def reading(i: int, **extra) -> dict:
    base = {
        "reading_id": stable_reading_id("test", i),
        "time_utc": datetime(2025, 10, 1, 8, 0, i % 60, tzinfo=timezone.utc),
        "probe_id": "probe-01",
        "lon": 106.2 + i * 1e-4,
        "lat": 21.3,
        "position_accuracy_m": 5.0,
        "technology": "NR-NSA",
        "operator": "452-04",
        "device_state": "data",
        "device_5g_capable": True,
        "lte_rsrp_dbm": -90.0,
        "nr_ss_rsrp_dbm": -100.0 - i % 20,
        "source_kind": "test",
    }
    base.update(extra)
    return base


def test_layers_open_with_geopandas(tmp_path):
    path = tmp_path / "s.gpkg"
    with ReadingStore(path) as store:
        store.add_signal([reading(i) for i in range(5)])
        store.add_speed_tests([{"time_utc": "2025-10-01T08:00:00Z", "probe_id": "p",
                                "lon": 106.0, "lat": 21.0, "tool": "speedtest-cli",
                                "interface_kind": "wired", "download_bps": 9.1e8,
                                "source_kind": "test"}])
    layers = dict(pyogrio.list_layers(path))
    assert layers[SIGNAL_LAYER] == "Point" and layers[SPEED_LAYER] == "Point"
    assert QUARANTINE_TABLE in layers
    frame = gpd.read_file(path, layer=SIGNAL_LAYER)
    assert len(frame) == 5
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.x.iloc[0] == pytest.approx(106.2)
    assert frame["nr_ss_rsrp_dbm"].tolist() == [-100, -101, -102, -103, -104]
    speed = gpd.read_file(path, layer=SPEED_LAYER)
    assert speed["download_bps"].iloc[0] == pytest.approx(9.1e8)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_bad_rows_are_quarantined_with_reason(tmp_path):
    with ReadingStore(tmp_path / "s.gpkg") as store:
        result = store.add_signal([
            reading(1),
            reading(2, nr_ss_rsrp_dbm=-200, lte_rsrp_dbm=None),
            reading(3, time_utc="yesterday"),
            reading(4, time_utc=datetime(2025, 1, 1)),
            reading(5, operator="Viettel"),
            reading(6, probe_id=None),
        ], source_file="log.txt")
        assert (result.inserted, result.quarantined) == (1, 5)
        reasons = store.read_quarantine()["reason"].tolist()
    assert any("nr_ss_rsrp_dbm -200" in r for r in reasons)
    assert any("not ISO 8601" in r for r in reasons)
    assert any("no time zone" in r for r in reasons)
    assert any("MCC-MNC" in r for r in reasons)
    assert any("probe_id is missing" in r for r in reasons)


def test_an_impossible_secondary_value_is_nulled_and_named_the_reading_kept(tmp_path):
    with ReadingStore(tmp_path / "s.gpkg") as store:
        result = store.add_signal([
            reading(1, nr_ss_rsrq_db=-204),                      # NR RSRP valid
            reading(2, nr_ss_rsrp_dbm=-200),                     # LTE anchor valid
            reading(3, lte_rsrp_dbm=-30, nr_ss_rsrp_dbm=None),   # nothing usable left
            reading(4, technology="GSM", lte_rsrp_dbm=None, nr_ss_rsrp_dbm=None, rssi_dbm=-5),
            reading(5, technology="GSM", lte_rsrp_dbm=None, nr_ss_rsrp_dbm=None, rssi_dbm=-85,
                    tac=2**30),
        ])
        frame = store.read_table(SIGNAL_LAYER)
        reasons = store.read_quarantine()["reason"].tolist()
    assert (result.inserted, result.quarantined) == (3, 2)
    first, second, third = frame.to_dict("records")
    assert first["nr_ss_rsrp_dbm"] == -101 and pd.isna(first["nr_ss_rsrq_db"])
    assert "nr_ss_rsrq_db -204" in first["nulled_fields"]
    assert second["lte_rsrp_dbm"] == -90 and pd.isna(second["nr_ss_rsrp_dbm"])
    assert "nr_ss_rsrp_dbm -200" in second["nulled_fields"]
    assert third["rssi_dbm"] == -85 and pd.isna(third["tac"]) and "tac" in third["nulled_fields"]
    assert any("lte_rsrp_dbm -30" in r for r in reasons)
    assert any("rssi_dbm -5" in r for r in reasons)


def test_reading_without_fix_is_kept_and_flagged(tmp_path):
    with ReadingStore(tmp_path / "s.gpkg") as store:
        store.add_signal([reading(1, lon=None, lat=None), reading(2)])
        frame = store.read(SIGNAL_LAYER)
    assert frame["has_fix"].tolist() == [False, True]
    assert frame.geometry.iloc[0] is None
    assert frame["position_source"].iloc[0] == "none"


def test_reimport_adds_no_duplicates(tmp_path):
    path = tmp_path / "s.gpkg"
    rows = [reading(i) for i in range(20)] + [reading(99, nr_ss_rsrp_dbm=5, lte_rsrp_dbm=None)]
    with ReadingStore(path) as store:
        first = store.add_signal(rows, source_file="a.txt")
        second = store.add_signal(rows, source_file="a.txt")
        assert first.inserted == 20 and second.inserted == 0 and second.duplicates == 20
        assert store.count(SIGNAL_LAYER) == 20
        assert store.count(QUARANTINE_TABLE) == 1


def test_merge_is_idempotent(tmp_path):
    a, b, merged = tmp_path / "a.gpkg", tmp_path / "b.gpkg", tmp_path / "m.gpkg"
    with ReadingStore(a) as store:
        store.add_signal([reading(i) for i in range(10)])
    with ReadingStore(b) as store:
        store.add_signal([reading(i) for i in range(5, 15)])
    merge_stores(merged, [a, b])
    merge_stores(merged, [b, a])
    with ReadingStore(merged) as store:
        assert store.count(SIGNAL_LAYER) == 15
        assert store.read(SIGNAL_LAYER)["reading_id"].is_unique


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.gpkg"
    ReadingStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE phusong_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="upgrade phusong"):
        ReadingStore(path)


def test_migrations_run_in_order(tmp_path, monkeypatch):
    path = tmp_path / "s.gpkg"
    with ReadingStore(path) as store:
        store.add_signal([reading(1)])
    version = store_module.SCHEMA_VERSION

    def add_column(conn):
        conn.execute(f'ALTER TABLE "{SIGNAL_LAYER}" ADD COLUMN extra_note TEXT')

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", version + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, version, add_column)
    with ReadingStore(path) as store:
        assert store.schema_version == version + 1
        assert store.count(SIGNAL_LAYER) == 1
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{SIGNAL_LAYER}")')]
    assert "extra_note" in columns


def test_not_a_store_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        ReadingStore(junk)
    with pytest.raises(StoreError, match="no readings store"):
        ReadingStore(tmp_path / "missing.gpkg", create=False)


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from phusong.probes import ReadingStore, stable_reading_id
    store = ReadingStore(sys.argv[1])
    run = sys.argv[2]
    batch = 0
    while True:
        ids = [stable_reading_id(run, batch, i) for i in range(25)]
        store.add_signal([{"reading_id": rid, "time_utc": datetime.now(timezone.utc),
                           "probe_id": "killme", "lon": 106.1, "lat": 21.2,
                           "technology": "LTE", "lte_rsrp_dbm": -95, "source_kind": "test"}
                          for rid in ids])
        print(" ".join(ids), flush=True)
        batch += 1
""")


def test_kill_minus_nine_loses_no_committed_reading(tmp_path):
    path = tmp_path / "killed.gpkg"
    committed: set[str] = set()
    for run in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"run{run}"],
                                stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 0.3 + 0.1 * run
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate()
        lines += rest.splitlines()
        for line in lines:
            committed.update(line.split())
    assert len(committed) > 100
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    alone = tmp_path / "usb" / "killed.gpkg"  # the .gpkg copied on its own, as staff do
    alone.parent.mkdir()
    alone.write_bytes(path.read_bytes())
    for copy in (path, alone):
        stored = set(gpd.read_file(copy, layer=SIGNAL_LAYER)["reading_id"])
        missing = committed - stored
        print(f"{copy.parent.name}: committed {len(committed)}, stored {len(stored)}, "
              f"missing {len(missing)}")
        assert not missing


def test_point_blobs_from_other_tools_decode():
    import struct

    from phusong.store import gpkg

    big_endian = b"GP\x00\x00" + struct.pack(">i", 4326) + struct.pack(">BIdd", 0, 1, 105.5, 20.5)
    with_envelope = (b"GP\x00\x03" + struct.pack("<i", 4326) + struct.pack("<4d", 1, 2, 3, 4)
                     + struct.pack("<BIdd", 1, 1, 107.0, 22.0))
    blobs = [gpkg.encode_point(106.25, 21.5), None, big_endian, with_envelope]
    lon, lat = gpkg.decode_points(blobs)
    assert lon.tolist()[:1] + lon.tolist()[2:] == [106.25, 105.5, 107.0]
    assert lat.tolist()[:1] + lat.tolist()[2:] == [21.5, 20.5, 22.0]
    assert np.isnan(lon[1]) and np.isnan(lat[1])


def test_wkb_points_decode_at_once_or_say_they_cannot():
    """GDAL's WKB points are decoded from the Arrow buffers at once; anything else
    (big-endian, 3-D, not a point) is left to shapely rather than misread."""
    import struct

    import pyarrow as pa
    import shapely

    from phusong.store import gpkg

    plain = [struct.pack("<BIdd", 1, 1, 105.5 + i, 20.5 - i) for i in range(3)]
    lon, lat = gpkg.decode_wkb_points(pa.chunked_array([pa.array(plain[:2] + [None]),
                                                        pa.array(plain[2:])]))
    assert lon[[0, 1, 3]].tolist() == [105.5, 106.5, 107.5] and np.isnan(lon[2])
    assert lat[[0, 1, 3]].tolist() == [20.5, 19.5, 18.5] and np.isnan(lat[2])
    sliced = gpkg.decode_wkb_points(pa.array(plain).slice(1, 2))
    assert sliced[0].tolist() == [106.5, 107.5]
    others = [struct.pack(">BIdd", 0, 1, 105.5, 20.5), shapely.to_wkb(shapely.Point(1, 2, 3)),
              shapely.to_wkb(shapely.LineString([(0, 0), (1, 1)]))]
    for other in others:
        assert gpkg.decode_wkb_points(pa.array(plain + [other])) is None


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_reading_never_writes(tmp_path):
    path = tmp_path / "s.gpkg"
    with ReadingStore(path) as store:
        store.add_signal([reading(i) for i in range(5)])
    with sqlite3.connect(path) as conn:  # what GDAL leaves: a GeoPackage in WAL mode
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    before = _snapshot(tmp_path)
    with ReadingStore(path, readonly=True) as store:
        assert store.count(SIGNAL_LAYER) == 5
        assert len(store.read_table(SIGNAL_LAYER)) == 5
        with pytest.raises(StoreError, match="read-only"):
            store.add_signal([reading(9)])
    assert _snapshot(tmp_path) == before
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty file"):
        ReadingStore(empty, readonly=True)
    assert empty.stat().st_size == 0
    with pytest.raises(StoreError, match="folder"):
        ReadingStore(tmp_path, readonly=True)


def test_writer_folds_a_wal_store_back_into_one_file(tmp_path):
    path = tmp_path / "s.gpkg"
    ReadingStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    with ReadingStore(path) as store:
        store.add_signal([reading(1)])
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert not (tmp_path / "s.gpkg-wal").exists()


@pytest.mark.parametrize("changes, reason", [
    ({"lon": 2.35, "lat": 48.85}, "outside the country"),
    ({"time_utc": datetime(1970, 1, 1, tzinfo=timezone.utc)}, "before 2010-01-01"),
    ({"time_utc": datetime(2099, 1, 1, tzinfo=timezone.utc)}, "in the future"),
    ({"nr_ss_rsrp": -90.0}, "unknown field(s) 'nr_ss_rsrp' (did you mean 'nr_ss_rsrp_dbm'?)"),
])
def test_implausible_readings_are_quarantined(tmp_path, changes, reason):
    with ReadingStore(tmp_path / "s.gpkg") as store:
        result = store.add_signal([reading(1, **changes), reading(2)])
        assert (result.inserted, result.quarantined) == (1, 1)
        assert reason in store.read_quarantine()["reason"].iloc[0]


def test_region_can_be_widened_for_foreign_campaigns(tmp_path):
    with ReadingStore(tmp_path / "s.gpkg", region=None) as store:
        assert store.add_signal([reading(1, lon=8.8, lat=53.1)]).inserted == 1


def test_damaged_geometry_blob_is_a_clear_error(tmp_path):
    path = tmp_path / "s.gpkg"
    with ReadingStore(path) as store:
        store.add_signal([reading(i) for i in range(3)])
    with sqlite3.connect(path) as conn:
        conn.execute(f'UPDATE "{SIGNAL_LAYER}" SET geom = X\'4750\' WHERE fid = 2')
    with ReadingStore(path, readonly=True) as store:
        with pytest.raises(StoreError, match="damaged geometry"):
            store.read_table(SIGNAL_LAYER)


def test_columnar_read_matches_the_sqlite_read(tmp_path):
    """Large campaigns are read through GDAL's Arrow columns; what they give is what the
    row-by-row SQLite reader gives, no fix, unknown capability and odd times included."""
    path = tmp_path / "s.gpkg"
    rows = [reading(i) for i in range(40)]
    rows[3].update(lon=None, lat=None, position_accuracy_m=None)
    rows[5].update(device_5g_capable=None, nr_ss_rsrp_dbm=None, technology="LTE")
    rows[7].update(time_utc=datetime(2025, 10, 1, 8, 0, 7, 123000, tzinfo=timezone.utc))
    with ReadingStore(path) as store:
        store.add_signal(rows)
    with ReadingStore(path, readonly=True) as store:
        columnar = store.read_table(SIGNAL_LAYER)
        assert store._read_columnar(SIGNAL_LAYER, list(columnar.columns[:-2])) is not None
        by_rows = store.read_table(SIGNAL_LAYER, where="1 = 1")  # a filter takes SQLite
    def missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(missing_as_none(columnar), missing_as_none(by_rows))
    assert np.isnan(columnar.at[3, "lon"]) and columnar["device_5g_capable"].isna().sum() == 1


KILLED_WRITER = """
import os, shutil, signal, sqlite3, sys
store, copy = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(store, isolation_level=None)
conn.execute("PRAGMA cache_size = 5")  # pages spill into the file inside the transaction
INSERT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
    "INSERT INTO signal_readings (reading_id, time_utc, probe_id, has_fix, synthetic, "
    "source_kind, imported_utc) SELECT lower(hex(randomblob(16))), "
    "'2025-10-01T00:00:00.000Z', 'x', 0, 0, 'k', '2025-10-01T00:00:00.000Z' FROM n")
conn.execute(INSERT)  # committed: a store with an index that the next write rewrites
conn.execute("BEGIN IMMEDIATE")
conn.execute(INSERT)
shutil.copy(store, copy)  # the .gpkg alone, copied by hand in the middle of the write
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_store_copied_during_a_write_is_refused_and_the_original_reads_as_committed(tmp_path):
    from pathlib import Path

    from helpers import run_cli

    store, copy = tmp_path / "s.gpkg", tmp_path / "copy.gpkg"
    with ReadingStore(store) as readings:
        readings.add_signal([reading(i) for i in range(30)])
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(store), str(copy)])
    assert Path(f"{store}-journal").exists()  # the killed writer's unfinished transaction
    committed = 30 + 20000
    proc = run_cli("--lang", "en", "export", str(copy), "--format", "csv", check=False)
    message = proc.stderr.decode()
    assert proc.returncode == 1 and "is damaged" in message and "store copy" in message
    assert len(message.strip().splitlines()) == 1
    checked = run_cli("--lang", "en", "store", "check", str(copy), check=False)
    assert checked.returncode == 1
    with ReadingStore(store, readonly=True) as original:  # the write is undone first
        assert original.count(SIGNAL_LAYER) == committed
    assert not Path(f"{store}-journal").exists()
    run_cli("store", "copy", str(store), str(tmp_path / "safe.gpkg"))
    checked = run_cli("--lang", "en", "store", "check", str(tmp_path / "safe.gpkg")).stdout
    assert f"is sound: {committed} signal readings".encode() in b" ".join(checked.split())
    repaired = tmp_path / "repaired.gpkg"
    run_cli("store", "repair", str(copy), "--out", str(repaired))
    with ReadingStore(repaired, readonly=True) as recovered:
        kept, lost = recovered.count(SIGNAL_LAYER), recovered.count("quarantine")
    assert kept >= 30 and kept + lost >= 30


def test_results_of_several_layers_add_up():
    from phusong.store import WriteResult

    total = WriteResult.total([
        WriteResult(3, 1, 1, ["bad time"], {"NR-NSA": 2, "LTE": 1}, 2),
        WriteResult(2, 0, 1, ["no position"], {"LTE": 2}, 0)])
    assert (total.inserted, total.duplicates, total.quarantined) == (5, 1, 2)
    assert total.reasons == ["bad time", "no position"]
    assert total.technologies == {"NR-NSA": 2, "LTE": 3} and total.nr_values == 2
