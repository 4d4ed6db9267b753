"""Soak test of ``phusong probe run``: a long unattended run with faults every few minutes.

    python benchmarks/soak_probe.py [--minutes 30] [--fault-every 180] [--interval 1]

Runs the real CLI (``phusong probe run``) in its own process against the loopback
speed-test server (``tests/legacy_speedtest_server.py``), a Quectel modem replayed on a
pseudo-terminal from a real capture, and an NMEA receiver on another (``tests/
fake_devices.py``). Every ``--fault-every`` seconds the next fault of a cycle strikes:
the modem answers ERROR for 20 s (``--fault-length``), goes silent for 30 s, re-enumerates (its port
vanishes and comes back under another name, found again by its USB identity), and the
GNSS receiver drops out for 30 s. USB enumeration cannot exist here, so the child
process lists the terminals as USB ports from a file the harness keeps up to date (the
only part replaced). At the end it prints the readings expected and stored, the tests,
the failures by reason, and whether the process was still running before it was
stopped with Ctrl-C (SIGINT). Linux only (pty).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

FAULTS = ("modem ERROR", "modem silent", "modem re-enumerates", "GNSS drops out")


def child(ports_file: str, args: list[str]) -> None:
    """The probe process: the real CLI, with USB ports listed from the harness's file."""
    from fake_devices import PortInfo

    from phusong.cli import main
    from phusong.probes import sources

    def ports():
        try:
            listed = json.loads(Path(ports_file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [PortInfo(**port) for port in listed]

    sources._ports = ports
    sys.argv = ["phusong", *args]
    main()


def _write_ports(path: Path, modem) -> None:
    listed = [vars(port) for port in modem.ports()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(listed), encoding="utf-8")
    os.replace(tmp, path)


def _strike(fault: str, modem, gps, ports: Path, length: float) -> float:
    """Start a fault; the seconds it lasts (ERROR ``length``, silence and dropout 1.5×)."""
    if fault == "modem ERROR":
        modem.mode = "error"
        return length
    if fault == "modem silent":
        modem.mode = "silent"
        return 1.5 * length
    if fault == "modem re-enumerates":
        modem.reenumerate()
        _write_ports(ports, modem)
        return 0.0
    gps.dropped = True
    return 1.5 * length


def soak(minutes: float, fault_every: float, interval: float, work: Path,
         fault_length: float = 20.0) -> dict:
    from fake_devices import FakeGps, FakeModem

    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "legacy_speedtest_server.py"),
                               "--rate-mbps", "50", "--length", "2",
                               "--lifetime", str(minutes * 60 + 120)],
                              stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    modem, gps = FakeModem(), FakeGps()
    ports = work / "usb_ports.json"
    _write_ports(ports, modem)
    config = work / "probe.toml"
    config.write_text(
        f'probe_id = "soak"\n[position]\nnmea = "{gps.name}"\nbaud = 4800\n'
        f'[modem]\nsource = "serial:{modem.name}"\ntimeout_s = 1.0\n'
        f'[speed]\nserver_url = "http://127.0.0.1:{port}/speedtest/upload.php"\n'
        f"every_minutes = {max(fault_every / 120, 0.25)}\n"
        f"[signal]\ninterval_s = {interval}\n", encoding="utf-8")
    store = work / "soak.gpkg"
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(ports), "--lang", "en", "probe", "run",
         "--store", str(store), "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    end = started + minutes * 60
    struck: list[str] = []
    next_fault, recover_at = started + fault_every, None
    modem_down = 0.0
    try:
        while time.monotonic() < end:
            now = time.monotonic()
            if recover_at is not None and now >= recover_at:
                modem.mode, gps.dropped, recover_at = "ok", False, None
            if now >= next_fault and recover_at is None:
                fault = FAULTS[len(struck) % len(FAULTS)]
                struck.append(fault)
                lasts = _strike(fault, modem, gps, ports, fault_length)
                recover_at = now + lasts
                modem_down += lasts if fault.startswith("modem") else 0.0
                next_fault = now + fault_every
            if process.poll() is not None:
                break
            time.sleep(0.2)
        alive = process.poll() is None
        elapsed = time.monotonic() - started
        if alive:
            process.send_signal(signal.SIGINT)
        asked = time.monotonic()
        try:
            _, errors = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
        stop_s = time.monotonic() - asked
    finally:
        modem.close()
        gps.close()
        server.kill()
        server.wait()
    from phusong.probes.summary import summarise

    day = summarise(store)
    return {"minutes": elapsed / 60, "alive": alive, "exit": process.returncode,
            "stop_s": stop_s,
            "errors": errors.strip()[-500:], "expected": int(elapsed / interval),
            "expected_up": int(max(elapsed - modem_down, 0) / interval),
            "stored": day.signal, "with_fix": day.signal_with_fix, "tests": day.tests,
            "failed_tests": day.failed_tests, "test_failures": dict(day.failures),
            "device_faults": dict(day.device_faults), "faults_struck": struck}


def report(result: dict) -> None:
    print(f"run: {result['minutes']:.1f} min; process still running at the end: "
          f"{'yes' if result['alive'] else 'NO'}; after Ctrl-C it stopped in "
          f"{result['stop_s']:.1f} s with exit {result['exit']}")
    print(f"signal readings: expected {result['expected']} (one per interval), "
          f"{result['expected_up']} while the modem answered; stored {result['stored']} "
          f"({result['stored'] / max(result['expected_up'], 1):.0%} of those), "
          f"{result['with_fix']} with a fix")
    print(f"speed tests: {result['tests']} ok, {result['failed_tests']} failed")
    for reason, n in result["test_failures"].items():
        print(f"  test failure: {n} x {reason}")
    print(f"faults struck: {len(result['faults_struck'])} ({', '.join(sorted(set(result['faults_struck'])))})")
    for reason, n in sorted(result["device_faults"].items(), key=lambda kv: -kv[1]):
        print(f"  device fault: {n} x {reason}")
    if result["errors"]:
        print("stderr:", result["errors"])


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fault-every", type=float, default=180.0, help="seconds")
    parser.add_argument("--fault-length", type=float, default=20.0, help="seconds")
    parser.add_argument("--interval", type=float, default=1.0, help="signal interval, s")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="phusong-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    result = soak(args.minutes, args.fault_every, args.interval, work, args.fault_length)
    report(result)
    sys.exit(0 if result["alive"] and result["exit"] == 0 and result["stored"] else 1)


if __name__ == "__main__":
    main()
