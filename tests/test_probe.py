"""The field probe: real speedtest-cli against a loopback legacy server, real iperf3, modem
and GNSS captures replayed through the same parsers as live devices, crash safety."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from phusong.probes import SIGNAL_LAYER, SPEED_LAYER, ReadingStore
from phusong.probes.modem import cesq, parse_at_log, parse_mmcli
from phusong.probes.position import Fix, gpsd_fix, interpolate, nmea_fixes, tpv_fix
from phusong.host import interface_kind_from_name
from phusong.probes.speed import reached_line_rate, run_iperf3, run_speed_test

from helpers import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
MODEM = FIXTURES / "real" / "modem"
GPSD = FIXTURES / "real" / "gpsd"
SERVER = Path(__file__).parent / "legacy_speedtest_server.py"


class LegacyServer:
    """The loopback legacy speedtest server in its own process (bounded lifetime)."""

    def __init__(self, rate_mbps: float, mode: str = "normal", length: int = 4) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--rate-mbps", str(rate_mbps), "--mode", mode,
             "--length", str(length), "--lifetime", "120"], stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/speedtest/upload.php"

    def __enter__(self) -> "LegacyServer":
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("rate", [50, 200, 500])
def test_speed_within_five_percent_of_the_paced_rate(tmp_path, rate):
    with LegacyServer(rate) as server:
        run_cli("probe", "speed", "--store", str(tmp_path / "s.gpkg"), "--server-url", server.url,
                "--lat", "21.27", "--lon", "106.19", "--probe-id", "laptop-1")
    with ReadingStore(tmp_path / "s.gpkg", readonly=True) as store:
        test = store.read_table(SPEED_LAYER).iloc[0]
    print(f"\n{rate} Mbit/s paced: download {test['download_bps'] / 1e6:.1f}, "
          f"upload {test['upload_bps'] / 1e6:.1f} Mbit/s")
    assert test["status"] == "ok" and test["tool"] == "speedtest-cli"
    assert test["download_bps"] == pytest.approx(rate * 1e6, rel=0.05)
    assert test["upload_bps"] == pytest.approx(rate * 1e6, rel=0.05)
    assert test["has_fix"] and test["position_source"] == "manual"
    assert test["server_host"] and test["bytes_received"] > 0
    assert "acknowledged" in test["source_record"]  # the upload method is said


@pytest.mark.parametrize("mode, reason", [
    ("forbidden", "HTTP 403"), ("garbage", "speedtest protocol"), ("gone", "no route"),
    ("stall", "stalled"), ("pause", "stalled transfer: no data for"),
    ("short-ack", "acknowledged 1 of"), ("html", "a web page, not the test file"),
])
def test_failures_are_stored_as_attempts(tmp_path, mode, reason):
    store = tmp_path / "s.gpkg"
    if mode == "gone":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}/speedtest/upload.php"
        record = run_speed_test(url, timeout=3)
    else:
        with LegacyServer(100, mode, length=2) as server:
            record = run_speed_test(server.url, timeout=3)
    assert record["status"] == "failed" and reason in record["failure_reason"], record
    run_cli("probe", "speed", "--store", str(store), "--server-url",
            f"http://127.0.0.1:{1}/speedtest/upload.php", "--lat", "21.27", "--lon", "106.19")
    with ReadingStore(store, readonly=True) as readings:
        failed = readings.read_table(SPEED_LAYER).iloc[0]
    assert failed["status"] == "failed" and failed["failure_reason"]
    assert failed["has_fix"]  # "no service here" is evidence, with its place and time


@pytest.mark.parametrize("form", ["{root}", "{root}/speedtest/upload.php"])
def test_a_plain_web_server_with_the_test_files_is_measured_by_any_url_form(form):
    with LegacyServer(100, "plain", length=1) as server:
        root = f"http://127.0.0.1:{server.port}"
        record = run_speed_test(form.format(root=root), timeout=3, length_s=1)
    assert record["status"] == "ok", record.get("failure_reason")
    assert record["download_bps"] == pytest.approx(100e6, rel=0.25)
    assert record["bytes_sent"] > 0


@pytest.mark.parametrize("url, root", [
    ("http://h", "http://h"), ("http://h/", "http://h"), ("http://h:8080/speedtest/", "http://h:8080"),
    ("http://h/speedtest/upload.php", "http://h"), ("https://h/vn/speedtest/upload.aspx", "https://h/vn"),
])
def test_server_url_forms_name_one_root(url, root):
    from phusong.probes.speed import server_root

    assert server_root(url) == root


def test_a_server_url_of_another_form_is_refused_on_the_command_line(tmp_path):
    proc = run_cli("--lang", "en", "probe", "speed", "--store", str(tmp_path / "s.gpkg"),
                   "--server-url", "http://127.0.0.1:1/index.html", "--lat", "21.27",
                   "--lon", "106.19", check=False)
    assert proc.returncode == 1 and b"not another file" in proc.stderr
    assert not (tmp_path / "s.gpkg").exists()


def test_dropped_connections_do_not_stop_the_probe(tmp_path):
    with LegacyServer(100, "drop", length=2) as server:
        record = run_speed_test(server.url, timeout=3)
    assert record["status"] in ("ok", "failed")
    assert record["status"] == "failed" or record["download_bps"] < 100e6


@pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 is not installed")
def test_iperf3_backend_against_a_real_server():
    server = subprocess.Popen(["iperf3", "-s", "-1", "-p", "5299", "-B", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        record = run_iperf3("127.0.0.1", 5299, seconds=1)
    finally:
        server.kill()
        server.wait()
    assert record["status"] == "ok" and record["download_bps"] > 1e8
    gone = run_iperf3("127.0.0.1", 5298, seconds=1)
    assert gone["status"] == "failed" and "iperf3" in gone["failure_reason"]


def test_line_rate_and_interface_kinds():
    assert reached_line_rate(930e6, 1000, 1000) is True
    assert reached_line_rate(850e6, 1000, None) is False
    assert reached_line_rate(95e6, 100, 1000) is True  # a 100 Mbit/s NIC caps the line
    assert reached_line_rate(900e6, None, None) is None
    assert [interface_kind_from_name(n) for n in ("enp3s0", "wlp2s0", "wwan0", "Ethernet 2", "Wi-Fi",
                                        "Cellular", "lo")] == [
        "wired", "wifi", "cellular", "wired", "wifi", "cellular", "unknown"]


def test_quectel_captures():
    nsa = parse_at_log((MODEM / "quectel_nsa_qnwinfo_qcainfo_qeng_qspn__3ginfo_issue56.txt")
                       .read_text())[-1].values
    assert (nsa["technology"], nsa["operator"]) == ("NR-NSA", "515-03")
    assert (nsa["lte_rsrp_dbm"], nsa["lte_rsrq_db"], nsa["lte_sinr_db"]) == (-89, -13, 16)
    # EN-DC NR line: RSRP, SINR, RSRQ in that order
    assert (nsa["nr_ss_rsrp_dbm"], nsa["nr_ss_sinr_db"], nsa["nr_ss_rsrq_db"]) == (-76, 21, -11)
    assert (nsa["nr_pci"], nsa["nr_arfcn"]) == (832, 528030)
    assert nsa["eci"] == 0x3359966 and nsa["enb_id"] == 0x3359966 >> 8 and nsa["tac"] == 0x4AA3

    sa = parse_at_log((MODEM / "quectel_rm520n_sa_qeng__sionna_rk_issue18.txt").read_text())[0]
    assert sa.values["technology"] == "NR-SA" and sa.values["nci"] == 0x000BC614E
    assert sa.values["gnb_id"] == 0x000BC614E >> 12  # 24-bit gNB ID
    assert (sa.values["nr_ss_rsrp_dbm"], sa.values["nr_ss_rsrq_db"],
            sa.values["nr_ss_sinr_db"]) == (-72, -10, 29)

    two = parse_at_log((MODEM / "quectel_rm520n_nsa_servingcell_neighbourcell_qcainfo__"
                                "quectel_5g_tools.txt").read_text())
    assert [r.values["technology"] for r in two] == ["NR-NSA", "LTE"]
    assert two[0].values["device_model"] == "Quectel RM520N-GL"
    neighbours = two[1].neighbours
    assert len(neighbours) == 8 and neighbours[0] == {
        "technology": "LTE", "relation": "intra", "arfcn": 275, "pci": 280, "rsrq_db": -14,
        "rsrp_dbm": -99, "rssi_dbm": -67, "sinr_db": None}  # RSRQ comes before RSRP


def test_quectel_against_qmicli_oracle():
    text = (MODEM / "quectel_rm500q_nsa_qeng_and_qmicli__libqmi_pr2.txt").read_text()
    reading = parse_at_log(text)[-1].values
    oracle = text.split("5G:")[1]
    assert reading["lte_rsrp_dbm"] == float(text.split("RSRP: '")[1].split(" ")[0])
    assert reading["nr_ss_rsrp_dbm"] == float(oracle.split("RSRP: '")[1].split(" ")[0])
    assert reading["nr_ss_rsrq_db"] == float(oracle.split("RSRQ: '")[1].split(" ")[0])
    # early firmware reports NR SINR in tenths (180); qmicli reads 18.5 dB
    assert reading["nr_ss_sinr_db"] == pytest.approx(
        float(oracle.split("SNR: '")[1].split(" ")[0]), abs=1.0)
    assert "180" in parse_at_log(text)[-1].raw  # the raw answer is kept


def test_cesq_vectors_and_modemmanager():
    for line in (MODEM / "cesq_test_vectors__modemmanager.txt").read_text().splitlines():
        if not line.startswith("+CESQ") or "LTE" not in line:
            continue
        answer, decoded = line.split(" | ")
        values = cesq(answer)
        assert values["lte_rsrp_dbm"] == float(decoded.split("-> ")[2].split(" dBm")[0])
        assert values["lte_rsrq_db"] == float(decoded.split("-> ")[1].split(" dB")[0])
    dump = parse_mmcli((MODEM / "mm_signal_openwrt_ubus_dump__openwisp_monitoring_issue779.json")
                       .read_text())
    assert dump.values == {"rssi_dbm": -102.0, "technology": "LTE", "device_state": "unknown",
                           "device_5g_capable": False}
    signal_json = json.dumps({"modem": {"signal": {
        "lte": {"rsrp": "-95.00", "rsrq": "-11.00", "snr": "8.40", "rssi": "-70.00"},
        "5g": {"rsrp": "-101.00", "rsrq": "-12.00", "snr": "10.00", "rssi": "--"}}}})
    modem_json = json.dumps({"modem": {"generic": {"state": "connected", "model": "RM520N-GL",
                                                   "access-technologies": ["lte", "5gnr"]},
                                       "3gpp": {"operator-code": "45204"}}})
    both = parse_mmcli(signal_json, modem_json).values
    assert both["technology"] == "NR-NSA" and both["operator"] == "452-04"
    assert both["device_state"] == "data" and both["device_5g_capable"]


@pytest.mark.parametrize("name", ["bu353s4", "quectel-eg25-g-2"])
def test_nmea_fixes_match_gpsd_decoding(name):
    fixes = nmea_fixes((GPSD / f"{name}.log").read_text(encoding="ascii").splitlines())
    oracle = {fix.time_utc: fix for fix in (
        tpv_fix(json.loads(line)) for line in (GPSD / f"{name}.log.chk").read_text().splitlines()
        if line.startswith('{"class":"TPV"')) if fix is not None and fix.time_utc is not None}
    assert len(fixes) == len(oracle) > 0
    for fix in fixes:
        expected = oracle[fix.time_utc]
        assert (fix.lat, fix.lon) == pytest.approx((expected.lat, expected.lon), abs=1e-8)


def test_garbled_positions_are_left_out_not_fatal():
    """Found by mutating the captures: an RMC whose checksum and time a noisy serial line
    took away stopped the NMEA reader (TypeError); a TPV with a broken time stopped gpsd's."""
    lines = (GPSD / "bu353s4.log").read_text(encoding="utf-8", errors="replace").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("$GPRMC"))
    garbled = list(lines)
    garbled[first] = garbled[first].split("*")[0].replace(",030719.000,", ",9999,")  # edited
    assert len(nmea_fixes(garbled)) == len(nmea_fixes(lines)) - 1
    assert tpv_fix({"class": "TPV", "mode": 3, "lat": 21.27, "lon": 106.19,
                    "time": "2025-10-01T01:00:00.000Z"}) is not None
    for broken in ({"time": "yesterday"}, {"lat": "north"}, {"lat": 121.0}, {"mode": "3"}):
        report = {"class": "TPV", "mode": 3, "lat": 21.27, "lon": 106.19,
                  "time": "2025-10-01T01:00:00.000Z", **broken}
        assert tpv_fix(report) is None


def test_gpsd_client_over_a_socket():
    """gpsd's own TPV reports (from the .chk oracle) served on loopback."""
    reports = [line for line in (GPSD / "bu353s4.log.chk").read_text().splitlines()
               if line.startswith("{")]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            assert b"WATCH" in connection.recv(1024)
            connection.sendall(b'{"class":"VERSION","release":"3.25"}\n' +
                               "\n".join(reports).encode() + b"\n")

    threading.Thread(target=serve, daemon=True).start()
    fix = gpsd_fix("127.0.0.1", port, timeout=5)
    listener.close()
    assert fix.time_utc == datetime(2014, 12, 31, 3, 7, 19, tzinfo=timezone.utc)
    assert fix.lat == pytest.approx(-37.784788333) and fix.accuracy_m == pytest.approx(20.9)


def test_readings_without_a_fix_are_placed_from_the_track():
    t0 = datetime(2025, 10, 1, 1, tzinfo=timezone.utc)
    track = [Fix(t0, 106.2000, 21.27, 5.0, "gnss"),
             Fix(t0 + timedelta(seconds=10), 106.2010, 21.27, 8.0, "gnss")]
    middle = interpolate(track, t0 + timedelta(seconds=5))
    assert middle.lon == pytest.approx(106.2005) and middle.source == "track"
    assert 8.0 < middle.accuracy_m < 8.0 + 60  # the worse fix plus half the gap
    assert interpolate(track, t0 + timedelta(seconds=20)) is None
    gap = [track[0], Fix(t0 + timedelta(minutes=5), 106.3, 21.3, 5.0, "gnss")]
    assert interpolate(gap, t0 + timedelta(seconds=60)) is None


def test_signal_replay_stores_readings_neighbours_and_raw_answers(tmp_path):
    store = tmp_path / "s.gpkg"
    capture = MODEM / "quectel_rm520n_nsa_servingcell_neighbourcell_qcainfo__quectel_5g_tools.txt"
    run_cli("probe", "signal", "--store", str(store), "--at-log", str(capture),
            "--lat", "21.27", "--lon", "106.19")
    with ReadingStore(store, readonly=True) as readings:
        frame = readings.read_table(SIGNAL_LAYER)
        neighbours = readings.read_neighbours()
    assert frame["technology"].tolist() == ["NR-NSA", "LTE"]
    assert frame["source_record"].str.contains('QENG').all()
    assert len(neighbours) == 8 and set(neighbours["reading_id"]) == {frame["reading_id"].iloc[1]}


PROBE_CONFIG = """
probe_id = "kill-test"
sim_operator = "452-04"
[position]
lat = 21.27
lon = 106.19
[modem]
source = "replay:{capture}"
[signal]
interval_s = 0.02
[speed]
every_minutes = 60
"""


def test_kill_minus_nine_during_a_run_loses_no_committed_reading(tmp_path):
    capture = MODEM / "quectel_nsa_qnwinfo_qcainfo_qeng_qspn__3ginfo_issue56.txt"
    config = tmp_path / "probe.toml"
    config.write_text(PROBE_CONFIG.format(capture=capture.as_posix()), encoding="utf-8")
    store = tmp_path / "run.gpkg"
    env = {**os.environ, "PHUSONG_LANG": "en", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "phusong.cli", "probe", "run", "--store",
                             str(store), "--config", str(config)], stdout=subprocess.PIPE,
                            text=True, env=env)
    reported, deadline = 0, time.monotonic() + 60
    while reported < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "signal" in line:
            reported = int(line.split("signal")[1].split("|")[0])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert reported >= 40
    alone = tmp_path / "usb" / "run.gpkg"
    alone.parent.mkdir()
    alone.write_bytes(store.read_bytes())
    for copy in (store, alone):
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM signal_readings").fetchone()[0] >= reported
    run_cli("probe", "run", "--store", str(store), "--config", str(config), "--duration", "0.5")
    with sqlite3.connect(store) as conn:  # the next run resumes into the same store
        assert conn.execute("SELECT count(*) FROM signal_readings").fetchone()[0] > reported


def test_probe_check_speaks_vietnamese_and_exits_1_when_a_check_fails(tmp_path):
    proc = run_cli("probe", "check", env={"PHUSONG_LANG": "vi"}, check=False)
    out = proc.stdout.decode()
    assert "modem" in out and "trống" in out
    assert proc.returncode == 1  # no modem on this machine


def test_probe_check_asks_the_speed_test_server_what_a_test_would(tmp_path):
    config = tmp_path / "probe.toml"
    with LegacyServer(100, "short-ack", length=1) as server:
        config.write_text(f'[position]\nlat = 21.27\nlon = 106.19\n[speed]\n'
                          f'server_url = "{server.url}"\n', encoding="utf-8")
        proc = run_cli("--lang", "en", "probe", "check", "--config", str(config), check=False)
    out = " ".join(proc.stdout.decode().split())
    assert proc.returncode == 1
    assert "does not answer as the protocol says" in out and "'size=1'" in out


def test_the_engine_places_readings_without_a_fix_on_the_track(tmp_path):
    from phusong.coverage.evidence import load_signal_xy

    t0 = datetime(2025, 10, 1, 1, tzinfo=timezone.utc)
    base = {"probe_id": "car-1", "technology": "NR-NSA", "nr_ss_rsrp_dbm": -95.0,
            "source_kind": "test", "device_state": "data", "device_5g_capable": True}
    rows = [{**base, "time_utc": t0, "lon": 106.2000, "lat": 21.27, "position_accuracy_m": 4.0},
            {**base, "time_utc": t0 + timedelta(seconds=5)},                      # no fix
            {**base, "time_utc": t0 + timedelta(seconds=10), "lon": 106.2010, "lat": 21.27,
             "position_accuracy_m": 6.0},
            {**base, "time_utc": t0 + timedelta(minutes=10)}]                     # far from any
    with ReadingStore(tmp_path / "s.gpkg") as store:
        store.add_signal(rows)
    frame = load_signal_xy(tmp_path / "s.gpkg", "EPSG:4326", columns=None)
    assert len(frame) == 3  # the reading 10 minutes away stays unplaced
    middle = frame.sort_values("time_utc").iloc[1]
    assert middle["x"] == pytest.approx(106.2005) and not middle["has_fix"]
    assert 6.0 < middle["position_accuracy_m"] < 70
    precise = load_signal_xy(tmp_path / "s.gpkg", "EPSG:4326", columns=None,
                             max_position_error_m=10)
    assert len(precise) == 2


def test_readings_are_placed_on_their_own_probes_track_only(tmp_path):
    """Two probes drive at once, stored out of time order: a reading is placed between its
    own probe's fixes, never between another probe's."""
    from phusong.coverage.evidence import load_signal_xy

    t0 = datetime(2025, 10, 1, 1, tzinfo=timezone.utc)
    base = {"technology": "LTE", "lte_rsrp_dbm": -95.0, "source_kind": "test"}
    at = lambda s: t0 + timedelta(seconds=s)  # noqa: E731
    rows = [{**base, "probe_id": "a", "time_utc": at(20), "lon": 106.3, "lat": 21.2},
            {**base, "probe_id": "b", "time_utc": at(4), "lon": 105.0, "lat": 21.0},
            {**base, "probe_id": "a", "time_utc": at(15)},                      # a: between
            {**base, "probe_id": "a", "time_utc": at(10), "lon": 106.2, "lat": 21.2},
            {**base, "probe_id": "b", "time_utc": at(12)},                      # b: between
            {**base, "probe_id": "b", "time_utc": at(24), "lon": 105.1, "lat": 21.0}]
    with ReadingStore(tmp_path / "s.gpkg") as store:
        store.add_signal(rows)
    frame = load_signal_xy(tmp_path / "s.gpkg", "EPSG:4326", columns=None)
    placed = frame[~frame["has_fix"].astype(bool)].set_index("probe_id")
    assert placed.loc["a", "x"] == pytest.approx(106.25)
    assert placed.loc["b", "x"] == pytest.approx(105.04)  # 8 of the 20 s between b's fixes


def test_saved_modem_answers_that_are_garbled_give_a_clear_error_or_a_kept_reading(tmp_path):
    """Found by mutating the captures: a cut mmcli JSON and a garbled operator in a Quectel
    log stopped ``probe signal`` with an "internal error"."""
    from phusong.errors import InputFormatError

    signal = (MODEM / "mm_signal_openwrt_ubus_dump__openwisp_monitoring_issue779.json"
              ).read_text(encoding="utf-8")
    for cut in (signal[: len(signal) // 2], "[1, 2]"):
        with pytest.raises(InputFormatError, match="not the JSON output of mmcli"):
            parse_mmcli(cut)
    bad = tmp_path / "bad.json"
    bad.write_text(signal[: len(signal) // 2], encoding="utf-8")
    done = run_cli("--lang", "en", "probe", "signal", "--from-mmcli-json", str(bad), "--store",
                   str(tmp_path / "s.gpkg"), "--lat", "21.27", "--lon", "106.19", check=False)
    assert done.returncode == 1 and b"internal error" not in done.stderr
    capture = (MODEM / "quectel_nsa_qnwinfo_qcainfo_qeng_qspn__3ginfo_issue56.txt").read_text(
        encoding="utf-8")
    assert "51503" in capture
    readings = parse_at_log(capture.replace("51503", "51503\x00"))  # edited in memory
    intact = parse_at_log(capture)
    assert len(readings) == len(intact) and readings[-1].values["nr_ss_rsrp_dbm"] == \
        intact[-1].values["nr_ss_rsrp_dbm"]
    assert "neither MCC-MNC" in readings[0].values["nulled_fields"]


def test_the_modems_own_gnss_through_modemmanager():
    """Constructed in mmcli's --location-get -J layout (no capture exists): the NMEA it
    relays is read like any NMEA; without NMEA, its latitude and longitude."""
    from phusong.probes.position import mmcli_location

    nmea = (GPSD / "bu353s4.log").read_text(encoding="ascii").splitlines()[:12]
    with_nmea = json.dumps({"modem": {"location": {"gps": {
        "latitude": "--", "longitude": "--", "altitude": "--", "utc": "--", "nmea": nmea}}}})
    fix = mmcli_location(with_nmea)  # the latest fix among the relayed sentences
    assert fix.time_utc == datetime(2014, 12, 31, 3, 7, 20, tzinfo=timezone.utc)
    plain = json.dumps({"modem": {"location": {"gps": {
        "latitude": "21.273100", "longitude": "106.194600", "utc": "--", "nmea": []}}}})
    assert (mmcli_location(plain).lat, mmcli_location(plain).lon) == (21.2731, 106.1946)
    none = json.dumps({"modem": {"location": {"gps": {"latitude": "--", "longitude": "--"}}}})
    assert mmcli_location(none) is None
