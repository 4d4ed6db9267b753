"""The field probe: one speed test, one signal reading, or an unattended run.

Every reading is committed to the store as it is taken (a killed probe loses at most
the reading in flight); a failed speed test is stored as a failed attempt with its
reason; a full disk or a read-only store stops the run with a clear error. Signals come
from ModemManager (Linux), a Quectel modem on a serial port (any system), or a replayed
capture (``replay:FILE``) where no modem is attached; positions from gpsd, an NMEA
device or file, or a fixed site.
"""
from __future__ import annotations

import math
import random
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from phusong.errors import ConfigError, StoreError

from .modem import ModemReading, parse_at_log, parse_mmcli
from .position import Fix, fixed_site, gpsd_fix, metres_between, mmcli_location, nmea_fixes
from .records import stable_reading_id
from .speed import run_speed_test
from .store import ReadingStore

QUECTEL_COMMANDS = ('ATI', 'AT+QNWINFO', 'AT+QENG="servingcell"', 'AT+QENG="neighbourcell"')
# M-Lab's unattended schedule: exponential gaps, mean 6 h, clamped to [36 min, 15 h].
RANDOM_GAP_MEAN_S, RANDOM_GAP_BOUNDS_S = 6 * 3600.0, (36 * 60.0, 15 * 3600.0)


@dataclass
class ProbeConfig:
    """A probe's configuration file (TOML; every key optional)::

        probe_id = "bac-ninh-laptop-1"
        sim_operator = "452-04"
        [position]   # one of: gpsd = "127.0.0.1:2947", nmea = "COM4" or a file,
        lat = 21.27  # modem_gnss = true (ModemManager's GNSS), or lat/lon of a fixed site
        lon = 106.19
        [modem]      # source = "mmcli", "serial:/dev/ttyUSB2" (COM5 on Windows), "replay:FILE"
        source = "mmcli"
        [speed]
        server_url = "http://speedtest.province.example/speedtest/upload.php"
        plan_down_mbps = 1000
        every_minutes = 30     # or every_metres = 2000, or random = true (fixed sites)
        [signal]
        interval_s = 1.0
    """

    probe_id: str = "probe"
    sim_operator: str | None = None
    gpsd: str | None = None
    nmea: str | None = None
    modem_gnss: bool = False
    lat: float | None = None
    lon: float | None = None
    modem: str | None = None
    server_url: str | None = None
    server_id: int | None = None
    plan_down_mbps: float | None = None
    speed_every_minutes: float | None = 30.0
    speed_every_metres: float | None = None
    speed_random: bool = False
    signal_interval_s: float = 1.0

    @classmethod
    def load(cls, path: Path) -> "ProbeConfig":
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ConfigError(f"probe configuration not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{Path(path).name} is not a valid UTF-8 TOML file: {exc}") from exc
        position, modem = data.get("position", {}), data.get("modem", {})
        speed, signal = data.get("speed", {}), data.get("signal", {})
        return cls(
            probe_id=str(data.get("probe_id", "probe")), sim_operator=data.get("sim_operator"),
            gpsd=position.get("gpsd"), nmea=position.get("nmea"),
            modem_gnss=bool(position.get("modem_gnss", False)), lat=position.get("lat"),
            lon=position.get("lon"), modem=modem.get("source"),
            server_url=speed.get("server_url"), server_id=speed.get("server_id"),
            plan_down_mbps=speed.get("plan_down_mbps"),
            speed_every_minutes=speed.get("every_minutes", 30.0 if not speed.get("random")
                                          and not speed.get("every_metres") else None),
            speed_every_metres=speed.get("every_metres"), speed_random=bool(speed.get("random")),
            signal_interval_s=float(signal.get("interval_s", 1.0)))


def locate(config: ProbeConfig) -> Fix | None:
    """The probe's position now: gpsd, the last fix of an NMEA file or device, or its site."""
    if config.gpsd:
        host, _, port = config.gpsd.partition(":")
        try:
            return gpsd_fix(host or "127.0.0.1", int(port or 2947), timeout=5)
        except OSError:
            return None
    if config.nmea:
        fixes = nmea_fixes(_nmea_lines(config.nmea))
        return fixes[-1] if fixes else None
    if config.modem_gnss:
        try:
            answer = subprocess.run(["mmcli", "-m", "any", "--location-get", "-J"],
                                    capture_output=True, text=True, timeout=15, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return mmcli_location(answer.stdout)
    if config.lat is not None and config.lon is not None:
        return fixed_site(config.lon, config.lat)
    return None


def _nmea_lines(source: str) -> list[str]:
    path = Path(source)
    if path.is_file():
        return path.read_text(encoding="ascii", errors="replace").splitlines()
    import serial  # a serial GNSS receiver (COM4, /dev/ttyACM0)

    with serial.Serial(source, 9600, timeout=1) as port:
        return [port.readline().decode("ascii", "replace") for _ in range(30)]


def _position_fields(fix: Fix | None) -> dict[str, Any]:
    if fix is None:
        return {"lon": None, "lat": None, "position_source": "none"}
    return fix.record()


def speed_record(result: dict[str, Any], fix: Fix | None, config: ProbeConfig) -> dict[str, Any]:
    """A speed test's store record, with its position and provenance."""
    record = {k: v for k, v in result.items() if k not in ("method", "duration_s", "client_ip")}
    if "client_ip" in result:
        record["source_record"] = f"client_ip={result['client_ip']}"
    if "method" in result:
        record["source_record"] = (record.get("source_record", "") + " " +
                                   result["method"]).strip()
    record.update(_position_fields(fix), probe_id=config.probe_id,
                  operator=config.sim_operator if result.get("interface_kind") == "cellular"
                  else None)
    record["reading_id"] = stable_reading_id(config.probe_id, "speed",
                                             record["time_utc"].isoformat())
    return record


def signal_record(reading: ModemReading, fix: Fix | None, config: ProbeConfig,
                  when: datetime | None = None) -> dict[str, Any]:
    """A modem reading's store record, with its position, time and raw answer."""
    when = when or datetime.now(timezone.utc)
    record = {**reading.record(), **_position_fields(fix), "time_utc": when,
              "probe_id": config.probe_id}
    record.setdefault("operator", config.sim_operator)
    record["reading_id"] = stable_reading_id(config.probe_id, "signal", when.isoformat())
    return record


def read_modem(source: str) -> list[ModemReading]:
    """Readings from a live modem (``mmcli``, ``serial:PORT``) or a capture (``replay:FILE``)."""
    if source == "mmcli":
        run = lambda *args: subprocess.run(["mmcli", "-m", "any", *args, "-J"],  # noqa: E731
                                           capture_output=True, text=True, timeout=15,
                                           check=True).stdout
        return [parse_mmcli(run("--signal-get"), run())]
    if source.startswith("serial:"):
        return parse_at_log(_ask_quectel(source.split(":", 1)[1]))
    if source.startswith("replay:"):
        return parse_at_log(Path(source.split(":", 1)[1]).read_text(encoding="utf-8"))
    raise ConfigError(f"unknown modem source {source!r}: mmcli, serial:PORT or replay:FILE")


def _ask_quectel(port_name: str) -> str:
    import serial

    answers = []
    with serial.Serial(port_name, 115200, timeout=2) as port:
        for command in QUECTEL_COMMANDS:
            port.write((command + "\r").encode())
            lines = []
            while True:
                line = port.readline().decode("ascii", "replace")
                if not line or line.strip() in ("OK", "ERROR") or "ERROR" in line:
                    break
                lines.append(line)
            answers.append("".join(lines))
    return "\n".join(answers)


def store_signal(store: ReadingStore, readings: list[ModemReading], fix: Fix | None,
                 config: ProbeConfig) -> int:
    """Commit readings (and their neighbour cells) one at a time; the number stored."""
    stored = 0
    for reading in readings:
        record = signal_record(reading, fix, config)
        result = store.add_signal([record], source_kind="probe")
        if result.inserted and reading.neighbours:
            store.add_neighbours(record["reading_id"], reading.neighbours)
        stored += result.inserted
    return stored


def check_disk(store_path: Path, minimum_bytes: int = 50 * 2**20) -> None:
    """Stop with a clear error before the disk fills (a silent loss otherwise)."""
    free = shutil.disk_usage(store_path.parent if store_path.parent.exists() else ".").free
    if free < minimum_bytes:
        raise StoreError(f"only {free / 2**20:.0f} MiB free beside {store_path}: free some "
                         "space before measuring")


def next_gap_s(config: ProbeConfig, rng: random.Random) -> float | None:
    """Seconds to the next speed test by time (``None`` when tests go by distance)."""
    if config.speed_random:
        return min(max(rng.expovariate(1 / RANDOM_GAP_MEAN_S), RANDOM_GAP_BOUNDS_S[0]),
                   RANDOM_GAP_BOUNDS_S[1])
    if config.speed_every_minutes:
        return 60.0 * config.speed_every_minutes
    return None


def run(store_path: Path, config: ProbeConfig, status: Callable[[dict], None],
        duration_s: float | None = None, seed: int | None = None) -> dict[str, int]:
    """Measure until stopped (Ctrl-C) or ``duration_s``: signal at its interval, speed
    tests on their schedule; every reading committed as it is taken."""
    rng = random.Random(seed)
    counts = {"signal": 0, "speed": 0, "failed": 0}
    started = time.monotonic()
    gap = next_gap_s(config, rng)
    next_speed = started if config.server_url or config.server_id else math.inf
    last_test_fix: Fix | None = None
    replay = read_modem(config.modem) if config.modem and config.modem.startswith("replay:") \
        else None
    with ReadingStore(store_path) as store:
        try:
            while duration_s is None or time.monotonic() - started < duration_s:
                check_disk(store_path)
                tick = time.monotonic()
                fix = locate(config)
                last_rsrp = None
                if config.modem:
                    readings = [replay[counts["signal"] % len(replay)]] if replay else \
                        read_modem(config.modem)
                    counts["signal"] += store_signal(store, readings, fix, config)
                    last_rsrp = readings[-1].values.get("nr_ss_rsrp_dbm") or \
                        readings[-1].values.get("lte_rsrp_dbm")
                moved = fix is not None and last_test_fix is not None and \
                    config.speed_every_metres and metres_between(fix.lon, fix.lat, last_test_fix.lon,
                                                     last_test_fix.lat) >= \
                    config.speed_every_metres
                if tick >= next_speed or moved:
                    record = speed_record(run_speed_test(config.server_url, config.server_id,
                                                         config.plan_down_mbps), fix, config)
                    store.add_speed_tests([record], source_kind="probe")
                    counts["speed" if record["status"] == "ok" else "failed"] += 1
                    last_test_fix = fix
                    next_speed = tick + gap if gap else math.inf
                status({**counts, "fix": fix is not None, "rsrp": last_rsrp})
                time.sleep(max(config.signal_interval_s - (time.monotonic() - tick), 0))
        except KeyboardInterrupt:
            pass
    return counts
