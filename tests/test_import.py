"""Importers: every fixture imports with the counts its file implies, bad rows are
quarantined with a reason, re-imports and merges add nothing twice, and no input crashes
an import or half-writes the store."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from phusong.errors import InputFormatError
from phusong.probes import QUARANTINE_TABLE, SIGNAL_LAYER, SPEED_LAYER, ReadingStore, merge_stores
from phusong.probes import gnettrack, networksurvey, speed_logs, table
from phusong.probes.importing import ImportOptions, import_file, time_zone
from phusong.store import cells
from phusong.store.schema import ADDED_IN_VERSION_2, ADDED_IN_VERSION_3, SCHEMA_VERSION, DECLARATIONS_LAYER, NEIGHBOUR_TABLE

from helpers import TABLE_MAPPING as MAPPING, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
GNETTRACK = FIXTURES / "real" / "gnettrack"
SPEED = FIXTURES / "real" / "speedtests"
DAKAR = ImportOptions(time_zone=time_zone("Africa/Dakar"), time_zone_given=True)


def store_anywhere(path: Path) -> ReadingStore:
    return ReadingStore(path, region=None)


def test_gnettrack_logs_import_with_the_counts_their_files_imply(tmp_path):
    with store_anywhere(tmp_path / "s.gpkg") as store:
        main = import_file(store, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt",
                           "gnettrack", DAKAR)
        datatest = import_file(store, gnettrack.parse, GNETTRACK / "Orange_log_datatest.txt",
                               "gnettrack", DAKAR)
        events = import_file(store, gnettrack.parse, GNETTRACK / "Orange_log_events.head31.txt",
                             "gnettrack", DAKAR)
        # five rows are logged twice, every value and the second the same: one reading each
        assert (main.imported, main.duplicates, main.quarantined) == (35, 5, 0)
        assert (datatest.imported, datatest.quarantined) == (40, 0)
        # five event rows report RSRP -164 dBm, outside the 3GPP range (-140…-44); two events
        # share their second and radio values with another: the same reading
        assert (events.imported, events.duplicates, events.quarantined) == (23, 2, 5)
        signal = store.read_table(SIGNAL_LAYER)
        speed = store.read_table(SPEED_LAYER)
        reasons = store.read_quarantine()["reason"]
    first = signal.iloc[0]
    assert first["time_utc"] == "2025-07-18T22:11:08.000Z"  # Dakar is UTC+0
    assert (first["lte_rsrp_dbm"], first["lte_rsrq_db"], first["operator"]) == (-81, -8, "608-01")
    assert (first["eci"], first["enb_id"], first["tac"], first["pci"]) == (21 * 256 + 11, 21, 7000, 325)
    assert first["site_id"] == "608-01:LTE:21" and first["technology"] == "LTE"
    # State only in events; V (a voice call) is its own state, not data
    assert set(signal["device_state"]) == {"unknown", "idle", "data", "voice"}
    assert speed["download_bps"].iloc[0] == 35925 * 1000
    assert reasons.str.contains("lte_rsrp_dbm -164 outside the valid range").all()


def test_reimport_and_overlapping_files_add_nothing(tmp_path):
    head = tmp_path / "head.txt"
    lines = (GNETTRACK / "Orange_log.head41.txt").read_text(encoding="utf-8").splitlines(True)
    head.write_text("".join(lines[:21]), encoding="utf-8")  # the first 20 rows only
    with store_anywhere(tmp_path / "s.gpkg") as store:
        first = import_file(store, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt",
                            "gnettrack", DAKAR)
        again = import_file(store, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt",
                            "gnettrack", DAKAR)
        overlap = import_file(store, gnettrack.parse, head, "gnettrack", DAKAR)
        # 40 rows, 5 of them logged twice: 35 readings; every row again is a duplicate
        assert first.imported == 35 and again.imported == 0 and again.duplicates == 40
        assert overlap.imported == 0 and overlap.duplicates == 20
        assert store.count(SIGNAL_LAYER) == 35


def test_exported_csv_with_renamed_and_moved_columns_gives_the_same_readings(tmp_path):
    """Map by header name, never by position: a comma-separated export with aliases."""
    frame = pd.read_csv(GNETTRACK / "Orange_log.head41.txt", sep="\t", dtype=str,
                        keep_default_na=False, index_col=False)  # rows end with a tab
    frame = frame.rename(columns={"Level": "RSRP", "Qual": "RSRQ", "NetworkTech": "NetworkMode"})
    frame = frame[list(reversed(frame.columns))]
    export = tmp_path / "export.csv"
    frame.to_csv(export, index=False, lineterminator="\r\n")
    with store_anywhere(tmp_path / "a.gpkg") as a, store_anywhere(tmp_path / "b.gpkg") as b:
        import_file(a, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt", "gnettrack", DAKAR)
        import_file(b, gnettrack.parse, export, "gnettrack", DAKAR)
        columns = ["reading_id", "lte_rsrp_dbm", "lte_rsrq_db", "technology", "eci"]
        pd.testing.assert_frame_equal(a.read_table(SIGNAL_LAYER, columns=columns),
                                      b.read_table(SIGNAL_LAYER, columns=columns))


@pytest.mark.parametrize("name, technology", [
    ("5G", "NR"), ("NR_NSA", "NR-NSA"), ("5g nsa", "NR-NSA"), ("NR_SA", "NR-SA"),
    ("5G-SA", "NR-SA"), ("LTE_CA", "LTE"), ("4G+", "LTE"), ("HSPA+", "UMTS"), ("EDGE", "GSM")])
def test_technology_names_as_apps_write_them(name, technology):
    assert cells.technology(name) == technology


@pytest.mark.parametrize("mcc, mnc, code", [("452", "4", "452-04"), (452.0, 1.0, "452-01"),
                                             ("262", "03", "262-03"), ("-", "04", None),
                                             ("1e309", "04", None)])  # not finite: missing
def test_operator_codes_from_mcc_and_mnc(mcc, mnc, code):
    assert cells.operator_code(mcc, mnc) == code


@pytest.mark.parametrize("mcc, mnc", [("452", "4.5"), ("4520", "04"), ("452", "-7")])
def test_an_impossible_mcc_or_mnc_is_refused_by_value(mcc, mnc):
    """Found by mutating the fixtures (an MCC of 1e309 crashed the import): an MCC or MNC
    that is no code is refused, naming the values."""
    with pytest.raises(ValueError, match="not an operator code"):
        cells.operator_code(mcc, mnc)


def test_an_unknown_technology_name_is_refused_by_name():
    with pytest.raises(ValueError, match="'6G' is not known"):
        cells.technology("6G")


def test_5g_nsa_rows_carry_both_legs_and_make_the_device_capable(tmp_path):
    log = tmp_path / "nsa.txt"
    log.write_text(
        "Timestamp\tLongitude\tLatitude\tOperator\tNetworkTech\tLevel\tQual\tSS_RSRP\tSS_RSRQ"
        "\tSS_SINR\tNode\tCellID\tState\r\n"
        "2025.10.01_08.00.00\t106.2\t21.3\t45204\t5G\t-95\t-11\t-98\t-12\t15\t1001\t1\tD\r\n"
        "2025.10.01_08.00.01\t106.2\t21.3\t45204\t4G\t-96\t-11\t2147483647\t-\t-\t1001\t1\tD\r\n"
        "2025.10.01_08.00.02\t106.2\t21.3\t45204\tHSPA+\t-80\t-\t-\t-\t-\t-\t-\tI\r\n",
        encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, gnettrack.parse, log, "gnettrack", ImportOptions())
        frame = store.read_table(SIGNAL_LAYER)
    assert summary.imported == 3
    assert frame["technology"].tolist() == ["NR-NSA", "LTE", "UMTS"]
    assert frame["nr_ss_rsrp_dbm"].tolist()[:2] == [-98, None] or \
        pd.isna(frame["nr_ss_rsrp_dbm"].iloc[1])
    assert frame["lte_rsrp_dbm"].iloc[0] == -95  # the LTE anchor
    assert frame["device_5g_capable"].all()
    assert frame["device_state"].tolist() == ["data", "data", "idle"]
    assert frame["time_utc"].iloc[0] == "2025-10-01T01:00:00.000Z"  # Vietnam, UTC+7


def test_a_count_too_large_for_the_store_quarantines_its_test_with_the_reason(tmp_path):
    """Found by mutating the fixtures: a byte count of 1.5e29 crashed the import (SQLite
    holds integers below 2**63)."""
    result = json.loads((SPEED / "loopback_cli_json.json").read_text(encoding="utf-8"))
    result["bytes_sent"] = 1.5e29  # edited in memory
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, speed_logs.parse_speedtest_cli, path, "speed",
                              ImportOptions())
        reasons = store.read_quarantine()["reason"].tolist()
    assert (summary.imported, summary.quarantined) == (0, 1)
    assert reasons[0].startswith("bytes_sent 1.5e+29 outside the valid range")


@pytest.mark.parametrize("parser, name, expected", [
    (speed_logs.parse_speedtest_cli, "loopback_cli_json.json", (3175037423.66, 862209544.86)),
    (speed_logs.parse_speedtest_cli, "loopback_cli.csv", (803447291.52, 3495424849.03)),
    (speed_logs.parse_murakami, "ndt5-example.jsonl", (14275931.11, 2405000.0)),
    (speed_logs.parse_murakami, "ndt7-example.jsonl", (13907644.43, 3553495.35)),
    # Murakami's Ookla line says "Bit/s" but gives bytes/s: 2,005,673 B/s
    (speed_logs.parse_murakami, "ookla-speedtest-example.jsonl", (16045384.0, 2556448.0)),
    (speed_logs.parse_iperf3, "iperf3_tcp_loopback.json", (None, 11543534081.14)),
    (speed_logs.parse_iperf3, "iperf3_tcp_reverse_P2_loopback.json", (17049449760.95, None)),
])
def test_speed_test_results(tmp_path, parser, name, expected):
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, parser, SPEED / name, "speed", ImportOptions())
        frame = store.read_table(SPEED_LAYER)
    assert (summary.imported, summary.quarantined) == (1, 0)
    for column, value in zip(("download_bps", "upload_bps"), expected):
        if value is None:
            assert pd.isna(frame[column].iloc[0])
        else:
            assert frame[column].iloc[0] == pytest.approx(value, rel=1e-6)
    assert not frame["has_fix"].iloc[0]


def test_ookla_cli_json_bandwidth_is_bytes_per_second(tmp_path):
    result = {"type": "result", "timestamp": "2025-10-01T02:00:00Z",
              "ping": {"jitter": 0.5, "latency": 4.2}, "download": {"bandwidth": 117500000,
                                                                    "bytes": 1e9},
              "upload": {"bandwidth": 112000000, "bytes": 9e8}, "packetLoss": 0,
              "isp": "VNPT", "server": {"id": 9903, "name": "Viettel", "host": "sp.example"},
              "result": {"id": "abc-123"}}
    path = tmp_path / "ookla.json"
    path.write_text(json.dumps({"type": "log", "message": "start"}) + "\n" +
                    json.dumps(result) + "\n", encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        import_file(store, speed_logs.parse_ookla, path, "ookla", ImportOptions())
        frame = store.read_table(SPEED_LAYER)
    assert frame["download_bps"].iloc[0] == 8 * 117500000
    assert frame["latency_ms"].iloc[0] == 4.2
    # the same result twice in a file is one test; all-NaN figures are no test at all
    nan = {**result, "result": {"id": "nan-1"}, "download": {"bandwidth": "NaN"},
           "upload": {"bandwidth": "NaN"}, "ping": {"latency": "NaN"}}
    path.write_text("\n".join(json.dumps(r) for r in (result, result, nan)) + "\n",
                    encoding="utf-8")
    with ReadingStore(tmp_path / "t.gpkg") as store:
        summary = import_file(store, speed_logs.parse_ookla, path, "ookla", ImportOptions())
        reasons = store.read_quarantine()["reason"].tolist()
    assert (summary.imported, summary.duplicates, summary.quarantined) == (1, 1, 1)
    assert "without any figure" in reasons[0]


def test_iperf3_quirks(tmp_path):
    text = (SPEED / "iperf3_tcp_loopback.json").read_text(encoding="utf-8")
    twice = tmp_path / "twice.json"  # iperf3 3.16/3.17 print the JSON twice
    twice.write_text(text + "\n" + text + "\niperf3: error - control socket has closed\n",
                     encoding="utf-8")
    nan = tmp_path / "nan.json"
    nan.write_text(text.replace('"retransmits":\t9', '"retransmits":\tnan'), encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, speed_logs.parse_iperf3, twice, "iperf3", ImportOptions())
        assert (summary.imported, summary.quarantined) == (1, 0)
        assert import_file(store, speed_logs.parse_iperf3, nan, "iperf3",
                           ImportOptions()).duplicates == 1




def test_any_table_through_a_mapping(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    csv_path = tmp_path / "t.csv"
    csv_path.write_text(
        "when,network,rat,rsrp_centi,ecgi,x_deg,y_deg\n"
        "01/10/2025 08:00:00,Viettel,4G LTE,-9550,25600257,106.19,21.27\n"
        "01/10/2025 08:00:01,45204,LTE,-9600,25600257,106.19,21.27\n"
        "31/02/2025 08:00:02,Viettel,4G LTE,-9600,25600257,106.19,21.27\n"
        "01/10/2025 08:00:03,Beeline,4G LTE,-9600,25600257,106.19,21.27\n"
        "01/10/2025 08:00:04,Viettel,4G LTE,-9600,25600257,2.35,48.85\n",
        encoding="utf-8")
    parse = table.parse_with(table.Mapping(mapping))
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, parse, csv_path, "test-table", ImportOptions())
        frame = store.read_table(SIGNAL_LAYER)
        reasons = store.read_quarantine().set_index("record_locator")["reason"]
    assert (summary.imported, summary.quarantined) == (2, 3)
    assert frame["lte_rsrp_dbm"].tolist() == [-95.5, -96.0]
    assert frame["operator"].tolist() == ["452-04", "452-04"]
    assert frame["enb_id"].tolist() == [100001, 100001]
    assert frame["time_utc"].iloc[0] == "2025-10-01T01:00:00.000Z"
    assert "is not %d/%m/%Y %H:%M:%S" in reasons["line 4"]
    assert "Beeline" in reasons["line 5"]
    assert "outside the country" in reasons["line 6"]
    # the same rows as GeoJSON points and as Parquet give the same readings
    rows = pd.read_csv(csv_path, dtype=str).iloc[[0, 1]]
    points = gpd.GeoDataFrame(rows.drop(columns=["x_deg", "y_deg"]),
                              geometry=[Point(106.19, 21.27)] * 2, crs="EPSG:4326")
    points.to_file(tmp_path / "t.geojson")
    rows.to_parquet(tmp_path / "t.parquet")
    no_lonlat = tmp_path / "n.toml"
    no_lonlat.write_text(MAPPING.replace('lon = "x_deg"\nlat = "y_deg"\n', ""), encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        geo = import_file(store, table.parse_with(table.Mapping(no_lonlat)),
                          tmp_path / "t.geojson", "test-table", ImportOptions())
        parquet = import_file(store, parse, tmp_path / "t.parquet", "test-table", ImportOptions())
    assert (geo.imported, geo.duplicates) == (0, 2)
    assert (parquet.imported, parquet.duplicates) == (0, 2)


@pytest.mark.parametrize("unit, bps", [
    ("Mb/s", 1e6), ("Mbit/s", 1e6), ("mbps", 1e6), ("MB/s", 8e6), ("kB/s", 8e3),
    ("kbit/s", 1e3), ("Gbps", 1e9), ("MiB/s", 8 * 2**20), ("bit/s", 1.0)])
def test_rate_units_tell_bits_from_bytes(unit, bps):
    assert table.rate_factor(unit) == bps


def test_speed_table_in_mb_per_second_is_read_as_megabits(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text("""
[source]
layer = "speed_tests"
kind = "isp-table"
[columns]
time_utc = "when"
tool = "tool"
download_bps = { column = "down", unit_column = "unit" }
lon = "lon"
lat = "lat"
""", encoding="utf-8")
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("when,tool,down,unit,lon,lat\n"
                        "2025-10-01T08:00:00+07:00,isp,940,Mb/s,106.19,21.27\n"
                        "2025-10-01T08:01:00+07:00,isp,110,MB/s,106.19,21.27\n"
                        "2025-10-01T08:02:00+07:00,isp,110,furlongs,106.19,21.27\n",
                        encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, table.parse_with(table.Mapping(mapping)), csv_path,
                              "isp-table", ImportOptions())
        speed = store.read_table(SPEED_LAYER)
    assert (summary.imported, summary.quarantined) == (2, 1)
    assert speed["download_bps"].tolist() == [940e6, 880e6]


def test_network_survey_csv_and_geopackage(tmp_path):
    folder = FIXTURES / "constructed" / "networksurvey"
    with ReadingStore(tmp_path / "s.gpkg") as store:
        lte = import_file(store, networksurvey.parse, folder / "lte_constructed.csv",
                          "networksurvey", ImportOptions())
        nr = import_file(store, networksurvey.parse, folder / "nr_constructed.csv",
                         "networksurvey", ImportOptions())
        frame = store.read_table(SIGNAL_LAYER)
        reasons = store.read_quarantine()["reason"].tolist()
    # rows 1-2 serving cells; 3 a neighbour; 4 RSRP -190; 5 a time without offset
    assert (lte.imported, lte.quarantined) == (2, 3)
    assert (nr.imported, nr.quarantined) == (2, 0)
    assert any("neighbour-cell" in r for r in reasons)
    assert any("no offset" in r for r in reasons)
    nr_rows = frame[frame["technology"] == "NR-SA"]
    assert nr_rows["gnb_id"].tolist() == [6710886401 >> 12] * 2
    gpkg = tmp_path / "ns.gpkg"
    lte_rows = pd.read_csv(folder / "lte_constructed.csv", comment="#").iloc[:2]
    gpd.GeoDataFrame(lte_rows, geometry=gpd.points_from_xy(lte_rows.longitude, lte_rows.latitude),
                     crs="EPSG:4326").to_file(gpkg, layer="LTE_MESSAGE")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        again = import_file(store, networksurvey.parse, gpkg, "networksurvey", ImportOptions())
    assert (again.imported, again.duplicates) == (0, 2)


def test_strict_rolls_back_the_whole_file(tmp_path):
    with store_anywhere(tmp_path / "s.gpkg") as store:
        with pytest.raises(InputFormatError, match="nothing was imported"):
            import_file(store, gnettrack.parse, GNETTRACK / "Orange_log_events.head31.txt",
                        "gnettrack", DAKAR, strict=True)
        assert store.count(SIGNAL_LAYER) == 0 and store.count(QUARANTINE_TABLE) == 0


def test_an_interrupted_import_leaves_the_store_as_it_was(tmp_path):
    def failing(path, options):
        yield from gnettrack.parse(GNETTRACK / "Orange_log.head41.txt", DAKAR)
        raise OSError("the USB stick was pulled")

    with store_anywhere(tmp_path / "s.gpkg") as store:
        with pytest.raises(OSError):
            import_file(store, failing, GNETTRACK / "Orange_log.head41.txt", "gnettrack", DAKAR)
        assert store.count(SIGNAL_LAYER) == 0


def test_same_id_with_other_values_is_a_conflict(tmp_path):
    reading = {"reading_id": "6d3b1f4e-0000-4000-8000-000000000001",
               "time_utc": datetime(2025, 10, 1, 1, tzinfo=timezone.utc), "probe_id": "p",
               "lon": 106.2, "lat": 21.3, "technology": "LTE", "lte_rsrp_dbm": -90.0,
               "source_kind": "test"}
    a, b, merged = tmp_path / "a.gpkg", tmp_path / "b.gpkg", tmp_path / "m.gpkg"
    with ReadingStore(a) as store:
        store.add_signal([reading])
        result = store.add_signal([{**reading, "lte_rsrp_dbm": -70.0}])
        assert (result.inserted, result.quarantined) == (0, 1)
        assert "conflict" in store.read_quarantine()["reason"].iloc[0]
    with ReadingStore(b) as store:
        store.add_signal([{**reading, "lte_rsrp_dbm": -110.0}])
    merge_stores(merged, [a, b])
    merge_stores(merged, [a, b])
    with ReadingStore(merged) as store:
        assert store.count(SIGNAL_LAYER) == 1
        assert store.read_table(SIGNAL_LAYER)["lte_rsrp_dbm"].iloc[0] == -90
        conflicts = store.read_quarantine()["reason"].str.startswith("conflict")
        assert conflicts.sum() == 2  # a's own conflict, and b's reading


def test_a_version_1_store_opens_and_upgrades(tmp_path):
    path = tmp_path / "v1.gpkg"
    with ReadingStore(path) as store:
        store.add_signal([{"time_utc": "2025-10-01T01:00:00Z", "probe_id": "p", "lon": 106.2,
                           "lat": 21.3, "technology": "LTE", "lte_rsrp_dbm": -90,
                           "source_kind": "test"}])
    with sqlite3.connect(path) as conn:  # what phusong 0.1 wrote
        for added in (ADDED_IN_VERSION_2, ADDED_IN_VERSION_3):
            for layer, columns in added.items():
                for column in columns:
                    conn.execute(f'ALTER TABLE "{layer}" DROP COLUMN "{column.name}"')
        for table in (NEIGHBOUR_TABLE, DECLARATIONS_LAYER):
            conn.execute(f'DROP TABLE "{table}"')
            conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
        conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?",
                     (DECLARATIONS_LAYER,))
        conn.execute("UPDATE phusong_meta SET value = '1' WHERE key = 'schema_version'")
    with ReadingStore(path, readonly=True) as old:
        assert old.schema_version == 1
        assert old.read_table(SIGNAL_LAYER)["eci"].isna().all()
    with ReadingStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.count(SIGNAL_LAYER) == 1
        store.add_signal([{"time_utc": "2025-10-01T01:00:01Z", "probe_id": "p", "lon": 106.2,
                           "lat": 21.3, "technology": "LTE", "lte_rsrp_dbm": -91,
                           "operator_name": "A", "dl_throughput_kbps": 5000,
                           "source_kind": "test"}])
        read = store.read_table(SIGNAL_LAYER)
    assert read["operator_name"].isna().tolist() == [True, False] and read["operator_name"][1] == "A"
    assert read["dl_throughput_kbps"].tolist()[1] == 5000


def test_export_with_its_column_dictionary(tmp_path):
    store = tmp_path / "s.gpkg"
    with store_anywhere(store) as s:
        import_file(s, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt", "gnettrack", DAKAR)
    for fmt in ("csv", "parquet"):
        run_cli("export", str(store), "--format", fmt, "--out", str(tmp_path / fmt))
        assert "`lte_rsrp_dbm` | REAL |  | dBm" not in (tmp_path / fmt / "COLUMNS.md").read_text()
        assert "| `enb_id` |" in (tmp_path / fmt / "COLUMNS.md").read_text(encoding="utf-8")
    assert len(pd.read_csv(tmp_path / "csv" / "signal_readings.csv")) == 35
    assert len(gpd.read_parquet(tmp_path / "parquet" / "signal_readings.parquet")) == 35
    run_cli("export", str(store), "--format", "gpkg")
    assert len(gpd.read_file(tmp_path / "s_export.gpkg", layer=SIGNAL_LAYER)) == 35
    run_cli("export", str(store), "--format", "gpkg")  # its own earlier export: replaced


def test_no_output_replaces_a_store_or_a_file_it_did_not_write(tmp_path):
    store, other = tmp_path / "s.gpkg", tmp_path / "other.gpkg"
    for path in (store, other):
        with store_anywhere(path) as s:
            import_file(s, gnettrack.parse, GNETTRACK / "Orange_log.head41.txt", "gnettrack",
                        DAKAR)
    before = other.read_bytes()
    for force in ([], ["--force"]):
        proc = run_cli("--lang", "en", "export", str(store), "--format", "gpkg", "--out",
                       str(other), *force, check=False)
        assert proc.returncode == 1 and b"readings store" in proc.stderr
    assert other.read_bytes() == before
    notes = tmp_path / "notes.csv"
    notes.write_text("mine\n", encoding="utf-8")
    proc = run_cli("--lang", "en", "export", str(store), "--format", "gpkg", "--out",
                   str(notes), check=False)
    assert proc.returncode == 1 and b"--force" in proc.stderr
    assert notes.read_text(encoding="utf-8") == "mine\n"
    run_cli("export", str(store), "--format", "gpkg", "--out", str(notes), "--force")
    with ReadingStore(notes, readonly=True) as replaced:
        assert replaced.count(SIGNAL_LAYER) == 35


DECLARATIONS = """operator,technology,max_down_mbps,max_up_mbps,lon,lat,commune_code,households,as_of
Viettel,XGS-PON,1000,1000,,,07210,500,2025-10-01
VNPT,GPON,1000,1000,,,07210,300,
Viettel,XGS-PON,1000,1000,,,07210,500,2025-10-01
FPT,FTTH,2000,2000,106.2,21.3,,,2025-09-30
FPT,COPPER,20,2,,,07210,10,
"""


def test_declarations_import_like_any_source(tmp_path):
    from phusong.coverage.gigabit import declarations_from_store
    from phusong.probes import declarations

    path = tmp_path / "d.csv"
    path.write_text(DECLARATIONS, encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        first = import_file(store, declarations.parse, path, "declarations", ImportOptions())
        again = import_file(store, declarations.parse, path, "declarations", ImportOptions())
        reasons = store.read_quarantine()["reason"].tolist()
    assert (first.imported, first.quarantined) == (3, 2)
    assert (again.imported, again.duplicates) == (0, 3)
    assert "duplicate of line 2" in reasons and any("COPPER" in r for r in reasons)
    frame = declarations_from_store(tmp_path / "s.gpkg")
    assert frame["households"].tolist() == [500, 300, 1]
    assert frame["lon"].iloc[2] == pytest.approx(106.2)
    assert len(gpd.read_file(tmp_path / "s.gpkg", layer="declarations")) == 3


def test_readings_outside_the_boundaries_are_kept_and_flagged(tmp_path):
    log = tmp_path / "log.txt"
    log.write_text("Timestamp\tLongitude\tLatitude\tNetworkTech\tLevel\r\n"
                   "2025.10.01_08.00.00\t106.20\t21.27\t4G\t-95\r\n"   # Bắc Ninh
                   "2025.10.01_08.00.01\t105.85\t21.03\t4G\t-95\r\n",  # Hà Nội
                   encoding="utf-8")
    store = tmp_path / "s.gpkg"
    run_cli("import", "gnettrack", str(log), "--store", str(store), "--flag-outside")
    frame = gpd.read_file(store, layer=SIGNAL_LAYER)
    assert frame["outside_boundaries"].tolist() == [0, 1]


def test_cli_contract(tmp_path):
    store = tmp_path / "s.gpkg"
    args = ("import", "gnettrack", str(GNETTRACK / "Orange_log.head41.txt"), "--store", str(store),
            "--region", "any", "--tz", "Africa/Dakar")
    first = run_cli("--lang", "en", *args).stdout.decode()
    second = run_cli("--lang", "en", *args).stdout.decode()
    assert "35 imported, 5 duplicates" in first and "0 imported, 40 duplicates skipped" in second
    assert len(gpd.read_file(store, layer=SIGNAL_LAYER)) == 35
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    data = tmp_path / "t.csv"
    data.write_text("when,network,rat,rsrp_centi,ecgi,x_deg,y_deg\n"
                    "01/10/2025 08:00:00,Viettel,4G LTE,-9550,25600257,106.19,21.27\n",
                    encoding="utf-8")
    out = run_cli("--lang", "en", "import", "table", str(data), "--store", str(store),
                  "--mapping", str(mapping)).stdout.decode()
    assert "1 imported" in out
    merged = tmp_path / "merged.gpkg"
    run_cli("merge", str(store), str(store), "--into", str(merged))
    assert len(gpd.read_file(merged, layer=SIGNAL_LAYER)) == 36


LINES = (GNETTRACK / "Orange_log.head41.txt").read_text(encoding="utf-8").splitlines()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.binary(max_size=400),
    st.lists(st.integers(0, len(LINES) - 1), min_size=1, max_size=12).map(
        lambda picks: "\r\n".join([LINES[0]] + [LINES[i][: len(LINES[i]) * (i % 3 + 1) // 3]
                                                for i in picks]).encode("utf-8")),
    st.permutations(LINES[0].split("\t")).map(
        lambda header: ("\t".join(header) + "\r\n" + "\r\n".join(LINES[1:6])).encode("utf-8")),
    st.text(max_size=300).map(lambda text: (LINES[0] + "\r\n" + text).encode("cp1258", "replace")),
))
def test_fuzzed_logs_never_crash_or_half_write(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    log = folder / "log.txt"
    log.write_bytes(data)
    with store_anywhere(folder / "s.gpkg") as store:
        try:
            summary = import_file(store, gnettrack.parse, log, "gnettrack", DAKAR)
        except InputFormatError:
            assert store.count(SIGNAL_LAYER) + store.count(SPEED_LAYER) == 0
            return
        rows = store.count(SIGNAL_LAYER) + store.count(SPEED_LAYER)
        assert rows == summary.imported
        assert store.count(QUARANTINE_TABLE) == summary.quarantined
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


SPEED_PARSERS = [(speed_logs.parse_speedtest_cli, "loopback_cli_json.json"),
                 (speed_logs.parse_murakami, "ookla-speedtest-example.jsonl"),
                 (speed_logs.parse_ookla, "ookla-speedtest-example.jsonl"),
                 (speed_logs.parse_iperf3, "iperf3_tcp_loopback.json"),
                 (networksurvey.parse, "../../constructed/networksurvey/lte_constructed.csv")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SPEED_PARSERS), st.integers(0, 4000), st.binary(max_size=60))
def test_fuzzed_results_never_crash_or_half_write(tmp_path_factory, case, cut, noise):
    """Truncated files with random bytes spliced in, for the other formats."""
    parser, name = case
    data = (SPEED / name).read_bytes()
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / Path(name).name
    path.write_bytes(data[:cut] + noise + data[cut:cut + 200])
    with store_anywhere(folder / "s.gpkg") as store:
        try:
            summary = import_file(store, parser, path, "fuzz", ImportOptions())
        except InputFormatError:
            assert store.count(SIGNAL_LAYER) + store.count(SPEED_LAYER) == 0
            return
        assert store.count(SIGNAL_LAYER) + store.count(SPEED_LAYER) == summary.imported
        assert store.count(QUARANTINE_TABLE) == summary.quarantined


@pytest.mark.parametrize("kind", ["networksurvey", "table", "gnettrack"])
def test_a_file_cut_in_its_last_line_keeps_that_line_out_of_the_readings(tmp_path, kind):
    source = {"networksurvey": FIXTURES / "constructed" / "networksurvey" / "lte_constructed.csv",
              "gnettrack": GNETTRACK / "Orange_log.head41.txt"}.get(kind)
    if kind == "table":
        source = tmp_path / "t.csv"
        source.write_text("when,network,rat,rsrp_centi,ecgi,x_deg,y_deg\n"
                          "01/10/2025 08:00:00,Viettel,4G LTE,-9550,25600257,106.19,21.2945\n"
                          "01/10/2025 08:00:01,Viettel,4G LTE,-9550,25600257,106.19,21.2945\n",
                          encoding="utf-8")
        mapping = tmp_path / "m.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
    parser = {"networksurvey": networksurvey.parse, "gnettrack": gnettrack.parse,
              "table": table.parse_with(table.Mapping(mapping)) if kind == "table" else None}[kind]
    text = source.read_text(encoding="utf-8").rstrip("\r\n")
    cut = tmp_path / f"cut{source.suffix}"
    cut.write_text(text[:-3], encoding="utf-8")  # a copy interrupted inside the last value
    whole = tmp_path / f"whole{source.suffix}"
    whole.write_text(text + "\n", encoding="utf-8")
    options = DAKAR if kind == "gnettrack" else ImportOptions()
    with store_anywhere(tmp_path / "a.gpkg") as store:
        complete = import_file(store, parser, whole, kind, options)
    with store_anywhere(tmp_path / "b.gpkg") as store:
        summary = import_file(store, parser, cut, kind, options)
        reasons = store.read_quarantine()["reason"].tolist()
    total = lambda f: f.imported + f.duplicates + f.quarantined  # noqa: E731
    assert total(summary) == total(complete)  # every line accounted for, none lost
    assert summary.imported <= complete.imported
    assert sum("cut short" in reason for reason in reasons) == 1


def test_a_file_that_is_not_a_log_is_named_and_the_others_still_imported(tmp_path):
    """A stray file among the logs (a README) is left out whole with its reason on stderr
    and exit 1; the logs before and after it are imported, and once only on a re-run."""
    readme = tmp_path / "README.txt"
    readme.write_text("This folder holds the drive logs of October.\n", encoding="utf-8")
    log = GNETTRACK / "Orange_log.head41.txt"
    store = tmp_path / "s.gpkg"
    args = ("--lang", "en", "import", "gnettrack", str(readme), str(log), str(readme),
            "--store", str(store), "--region", "any", "--tz", "Africa/Dakar")
    first = run_cli(*args, check=False)
    errors = first.stderr.decode().splitlines()
    assert first.returncode == 1
    assert len(errors) == 2 and all(e.startswith("Error: README.txt is not a G-NetTrack")
                                    for e in errors), errors
    assert "Total: 35 imported" in first.stdout.decode()
    second = run_cli(*args, check=False)
    assert second.returncode == 1
    assert "0 imported, 40 duplicates skipped" in second.stdout.decode()
    assert len(gpd.read_file(store, layer=SIGNAL_LAYER)) == 35
