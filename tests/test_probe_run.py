"""A probe that outlives its devices: modem ERROR, silence and USB re-enumeration, a GNSS
that drops out, Quectel's "not available" values, a store that fills up."""
from __future__ import annotations

import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from phusong.errors import StoreError
from phusong.probes import SIGNAL_LAYER, SPEED_LAYER, ReadingStore
from phusong.probes import probe as probe_module
from phusong.probes import sources
from phusong.probes.probe import ProbeConfig, RunState, next_gap_s, run, unspool
from phusong.probes.sources import PositionSource

from helpers import run_cli

MODEM = Path(__file__).parent / "fixtures" / "real" / "modem"
NSA = MODEM / "quectel_rm520n_nsa_servingcell_neighbourcell_qcainfo__quectel_5g_tools.txt"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty")


def _idle_nsa_answer(tmp_path: Path) -> Path:
    """A real EN-DC answer with its NR leg as an idle modem reports it (-32768)."""
    text = NSA.read_text(encoding="utf-8")
    real = '+QENG: "NR5G-NSA",222,01,920,-96,18,-10,648768,78,10,1'
    assert real in text
    path = tmp_path / "idle_nsa.txt"
    start = text.index('AT+QENG="servingcell"')
    end = text.index("OK", text.index(real)) + 2
    path.write_text(text[start:end].replace(real, '+QENG: "NR5G-NSA",222,01,920,-32768,'
                                                  '-32768,-32768,648768,78,10,1'),
                    encoding="utf-8")
    return path


def test_an_idle_nsa_answer_with_not_available_nr_stores_the_lte_anchor(tmp_path):
    store = tmp_path / "s.gpkg"
    run_cli("probe", "signal", "--at-log", str(_idle_nsa_answer(tmp_path)), "--store",
            str(store), "--lat", "21.27", "--lon", "106.19")
    with ReadingStore(store, readonly=True) as readings:
        signal = readings.read_table(SIGNAL_LAYER)
        assert readings.count("quarantine") == 0
    assert len(signal) == 1
    reading = signal.iloc[0]
    assert reading["technology"] == "LTE" and reading["lte_rsrp_dbm"] == -99
    assert reading["nr_ss_rsrp_dbm"] != reading["nr_ss_rsrp_dbm"]  # null, not -32768


def _config(tmp_path: Path, modem: str, **extra: str) -> Path:
    lines = ['probe_id = "soak"', "[position]", "lat = 21.27", "lon = 106.19", "[modem]",
             f'source = "{modem}"', "timeout_s = 0.5", "[signal]", "interval_s = 0.2"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path = tmp_path / "probe.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_probe_run_keeps_running_through_modem_errors(tmp_path):
    capture = tmp_path / "erring.txt"
    answer = _idle_nsa_answer(tmp_path).read_text(encoding="utf-8")
    capture.write_text(answer + "\nERROR\n+CME ERROR: 100\nERROR\n" + answer + "\n" + answer,
                       encoding="utf-8")
    store = tmp_path / "s.gpkg"
    out = run_cli("--lang", "en", "probe", "run", "--store", str(store), "--config",
                  str(_config(tmp_path, f"replay:{capture.as_posix()}")), "--duration", "5"
                  ).stdout.decode()
    with ReadingStore(store, readonly=True) as readings:
        signal = readings.read_table(SIGNAL_LAYER)
    # three failed polls, each retried after a longer wait, then readings again
    assert len(signal) >= 4
    log = (tmp_path / "s.probe.log").read_text(encoding="utf-8")
    assert log.count("DEVICE FAULT modem") >= 3 and "answers again" in log
    assert "device faults" in out and "last failure" in out
    summary = " ".join(run_cli("--lang", "en", "probe", "summary", str(store))
                       .stdout.decode().split())
    assert f"{len(signal)} signal readings" in summary and "Device faults by reason" in summary


@linux_only
def test_a_serial_modem_that_errs_goes_silent_and_reenumerates(tmp_path, monkeypatch):
    from fake_devices import FakeGps, FakeModem

    modem, gps = FakeModem(), FakeGps()
    monkeypatch.setattr(sources, "_ports", modem.ports)
    config = ProbeConfig(probe_id="pty", modem=f"serial:{modem.name}", nmea=gps.name,
                         nmea_baud=4800, signal_interval_s=0.25, modem_timeout_s=0.5,
                         speed_every_minutes=None)
    moments: dict[str, datetime] = {}

    def faults() -> None:  # each fault, then time to recover before the next
        for mode, seconds in (("ok", 1.0), ("error", 0.4), ("ok", 1.5), ("silent", 0.6),
                              ("ok", 1.5)):
            modem.mode = mode
            time.sleep(seconds)
        gps.dropped = True
        time.sleep(2.5)
        gps.dropped = False
        modem.reenumerate()
        moments["back"] = datetime.now(timezone.utc)

    thread = threading.Thread(target=faults)
    thread.start()
    try:
        state = run(tmp_path / "s.gpkg", config, lambda status: None, duration_s=11)
    finally:
        thread.join()
        modem.close()
        gps.close()
    with ReadingStore(tmp_path / "s.gpkg", readonly=True) as readings:
        signal = readings.read_table(SIGNAL_LAYER)
    times = signal["time_utc"].map(lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")))
    reasons = " ".join(state.faults)
    assert "ERROR" in reasons and "did not answer" in reasons
    assert "GNSS" in (tmp_path / "s.probe.log").read_text(encoding="utf-8")
    assert (times > moments["back"]).sum() >= 3, "no reading after the modem came back"
    assert signal["has_fix"].sum() >= 3
    assert state.signal == len(signal)


def test_a_stale_gnss_fix_is_not_live(tmp_path):
    old = datetime.now(timezone.utc) - timedelta(hours=3)
    hms, dmy = old.strftime("%H%M%S.00"), old.strftime("%d%m%y")
    body = f"GPRMC,{hms},A,2116.2000,N,10611.4000,E,0.0,0.0,{dmy},,,A"
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    nmea = tmp_path / "old.nmea"
    nmea.write_text(f"${body}*{checksum:02X}\n", encoding="ascii")
    source = PositionSource(nmea=str(nmea))
    assert source.locate() is None and "s old" in source.problem
    assert PositionSource(nmea=str(nmea), max_age_s=4 * 3600).locate() is not None


def test_a_random_schedule_draws_a_new_gap_per_test():
    config = ProbeConfig(speed_random=True)
    rng = random.Random(1)
    gaps = [next_gap_s(config, rng) for _ in range(5)]
    assert len(set(gaps)) == 5


def test_a_result_a_full_store_cannot_take_waits_in_a_spool(tmp_path, monkeypatch):
    monkeypatch.setenv("PHUSONG_SPOOL_DIR", str(tmp_path / "spool"))
    path = tmp_path / "s.gpkg"
    config = ProbeConfig(probe_id="full")
    result = {"tool": "speedtest-cli", "time_utc": datetime.now(timezone.utc), "status": "ok",
              "download_bps": 9.4e8, "upload_bps": 4.1e8, "interface_kind": "wired",
              "method": "x" * 100_000}  # more than the pages the file has left
    with ReadingStore(path) as store:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
        with pytest.raises(StoreError, match="full"):
            probe_module._store_test(store, result, None, config, RunState())
    spooled = [p for p in probe_module.spool_paths(path) if p.is_file()]
    assert len(spooled) == 1
    with ReadingStore(path) as store:
        assert unspool(store) == 1 and store.count(SPEED_LAYER) == 1
        assert store.read_table(SPEED_LAYER)["download_bps"].iloc[0] == 9.4e8
    assert not any(p.is_file() for p in probe_module.spool_paths(path))


@linux_only
def test_a_short_soak_keeps_the_probe_running(tmp_path):
    """benchmarks/soak_probe.py, shortened: the CLI in its own process through every fault."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "soak_probe", Path(__file__).parents[1] / "benchmarks" / "soak_probe.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    result = soak.soak(minutes=0.45, fault_every=4.5, interval=0.25, work=tmp_path,
                       fault_length=1.5)
    assert result["alive"] and result["exit"] == 0, result["errors"]
    assert set(result["faults_struck"]) == set(soak.FAULTS)
    kinds = " ".join(result["device_faults"])
    assert "ERROR" in kinds and "did not answer" in kinds and "GNSS" in kinds
    assert result["stored"] >= 0.5 * result["expected_up"] and result["tests"] >= 1


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals")
def test_a_run_stops_cleanly_on_sigterm_and_on_sigint_from_a_background_start(tmp_path):
    import signal
    import subprocess

    config = _config(tmp_path, f"replay:{NSA.as_posix()}")
    runs = {}
    for name in ("SIGINT", "SIGTERM"):
        runs[name] = subprocess.Popen(
            [sys.executable, "-m", "phusong.cli", "--lang", "en", "probe", "run", "--store",
             str(tmp_path / f"{name}.gpkg"), "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            # as `nohup … &` starts it: SIGINT ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    time.sleep(4)
    for name, process in runs.items():
        process.send_signal(getattr(signal, name))
    for name, process in runs.items():
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0, name
        assert b"Stopped:" in out and (tmp_path / f"{name}.probe.log").read_text(
            encoding="utf-8").count("run ends") == 1
