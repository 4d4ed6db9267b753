"""The field probe: one speed test, one signal reading, or an unattended run.

Every reading is committed to the store as it is taken (a killed probe loses at most
the reading in flight); a failed speed test is stored as a failed attempt with its
reason. Signals come from ModemManager (Linux), a Quectel modem on a serial port (any
system), or a replayed capture (``replay:FILE``) where no modem is attached; positions
from gpsd, an NMEA device or file, or a fixed site (:mod:`.sources`). An unattended
run outlives its devices: a modem or GNSS fault is logged, counted and retried with
back-off while the run goes on; speed tests run beside the signal logging, which does
not stop during a test. A full disk or a read-only store ends the run with one clear
line, and a test result that could not be written waits in a spool file beside the
store (or in the user's folder) until the next run writes it.
"""
from __future__ import annotations

import difflib
import json
import logging
import math
import os
import random
import shutil
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from phusong.errors import ConfigError, DeviceError, StoreError
from phusong.host import default_modem_source, user_data_dir

from .modem import ModemReading
from .position import Fix, metres_between
from phusong.store.records import stable_reading_id
from .sources import PositionSource, modem_source
from .speed import run_speed_test
from phusong.store.readings import ReadingStore

# M-Lab's unattended schedule: exponential gaps, mean 6 h, clamped to [36 min, 15 h].
RANDOM_GAP_MEAN_S, RANDOM_GAP_BOUNDS_S = 6 * 3600.0, (36 * 60.0, 15 * 3600.0)
# A device that fails is asked again after the signal interval, doubled per failure, at
# most this long (a longer wait loses readings once the device is back: soak benchmark).
MAX_BACKOFF_S = 5.0
SYNC_EVERY_S = 60.0
log = logging.getLogger("phusong.probe")


@dataclass
class ProbeConfig:
    """A probe's configuration file (TOML; every key optional)::

        probe_id = "bac-ninh-laptop-1"
        sim_operator = "452-04"
        store = "phusong.gpkg"   # the readings store of probe sync (and run) without --store
        [position]   # one of: gpsd = "127.0.0.1:2947", nmea = "COM4" (baud detected) or a file,
        lat = 21.27  # modem_gnss = true (ModemManager's GNSS), or lat/lon of a fixed site
        lon = 106.19
        [modem]      # source = "mmcli", "serial:/dev/ttyUSB2" (COM5 on Windows), "replay:FILE"
        source = "mmcli"       # timeout_s = 2: an answer slower than this is a fault
                               # (no source: ModemManager on Linux, else a USB modem's AT port)
        [speed]
        server_url = "http://speedtest.province.example/speedtest/upload.php"
        plan_down_mbps = 1000
        every_minutes = 30     # or every_metres = 2000, or random = true (fixed sites)
        [signal]
        interval_s = 1.0
        [server]     # the province's collection server: readings are sent by themselves
        url = "https://thu-thap.province.example"   # during a run, and by phusong probe sync
        token = "…"  # from: phusong serve token add PROBE_ID
    """

    probe_id: str = "probe"
    sim_operator: str | None = None
    gpsd: str | None = None
    nmea: str | None = None
    modem_gnss: bool = False
    lat: float | None = None
    lon: float | None = None
    nmea_baud: int | None = None  # None: detected (4800, 9600, 38400, 115200)
    modem: str | None = None
    modem_timeout_s: float = 2.0
    server_url: str | None = None
    server_id: int | None = None
    plan_down_mbps: float | None = None
    speed_every_minutes: float | None = 30.0
    speed_every_metres: float | None = None
    speed_random: bool = False
    signal_interval_s: float = 1.0
    store: str | None = None  # the probe's readings store, when the command names none
    sync_url: str | None = None
    sync_token: str | None = field(default=None, repr=False)  # never in a log line
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls, path: Path) -> "ProbeConfig":
        """Read a probe's TOML file; unknown keys are named in ``warnings`` with the key
        they were probably meant to be, and numbers may be written with a decimal comma."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ConfigError(f"probe configuration not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{Path(path).name} is not a valid UTF-8 TOML file: {exc}") from exc
        warnings = unknown_keys(data)
        position, modem = data.get("position", {}), data.get("modem", {})
        speed, signal = data.get("speed", {}), data.get("signal", {})
        every_minutes = None if speed.get("random") or speed.get("every_metres") else 30.0
        baud = position.get("baud")
        return cls(
            probe_id=str(data.get("probe_id", "probe")), sim_operator=data.get("sim_operator"),
            store=data.get("store"),
            gpsd=position.get("gpsd"), nmea=position.get("nmea"),
            modem_gnss=bool(position.get("modem_gnss", False)),
            lat=config_number(position, "lat", "position"),
            lon=config_number(position, "lon", "position"),
            nmea_baud=int(config_number(position, "baud", "position")) if baud else None,
            modem=modem.get("source"),
            modem_timeout_s=config_number(modem, "timeout_s", "modem", 2.0),
            server_url=speed.get("server_url"), server_id=speed.get("server_id"),
            plan_down_mbps=config_number(speed, "plan_down_mbps", "speed"),
            speed_every_minutes=config_number(speed, "every_minutes", "speed", every_minutes),
            speed_every_metres=config_number(speed, "every_metres", "speed"),
            speed_random=bool(speed.get("random")),
            signal_interval_s=config_number(signal, "interval_s", "signal", 1.0),
            sync_url=data.get("server", {}).get("url"),
            sync_token=data.get("server", {}).get("token"),
            warnings=warnings)._checked()

    def modem_source_name(self) -> str | None:
        """The configured modem source, else the one this machine offers
        (:func:`phusong.host.default_modem_source`)."""
        return self.modem or default_modem_source()

    def _checked(self) -> "ProbeConfig":
        if self.server_url:
            from .speed import server_root

            server_root(self.server_url)
        return self


# Every key a probe file may hold, by table ("" for the top level).
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "": ("probe_id", "sim_operator", "store", "position", "modem", "speed", "signal", "server"),
    "position": ("gpsd", "nmea", "baud", "modem_gnss", "lat", "lon"),
    "modem": ("source", "timeout_s"),
    "speed": ("server_url", "server_id", "plan_down_mbps", "every_minutes", "every_metres",
              "random"),
    "signal": ("interval_s",),
    "server": ("url", "token"),
}


def unknown_keys(data: dict[str, Any]) -> list[str]:
    """A warning for each key no probe reads, with the known key it most resembles."""
    warnings = []
    for table, known in CONFIG_KEYS.items():
        section = data if not table else data.get(table, {})
        if not isinstance(section, dict):
            raise ConfigError(f"[{table}] must be a table of keys, not {section!r}")
        for key in section:
            if key in known or (not table and key in CONFIG_KEYS):
                continue
            name = f"{table}.{key}" if table else key
            guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            warnings.append(f"unknown key {name}: did you mean {guess[0]}?" if guess else
                            f"unknown key {name}: known keys are {', '.join(known)}")
    return warnings


def config_number(section: dict[str, Any], key: str, table: str,
                  default: float | None = None) -> float | None:
    """A number from a probe file; text with a decimal comma (``"21,27"``, as Vietnamese
    writes it) is read as 21.27."""
    value = section.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        raise ConfigError(f"[{table}] {key} = {value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"[{table}] {key} = {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ConfigError(f"[{table}] {key} = {value!r} is not a number")
    return number


def position_source(config: ProbeConfig) -> PositionSource:
    """The configured position source (gpsd, NMEA, the modem's GNSS or a fixed site)."""
    return PositionSource(config.gpsd, config.nmea, config.modem_gnss, config.lon, config.lat,
                          nmea_baud=config.nmea_baud)


def locate(config: ProbeConfig) -> Fix | None:
    """The probe's position now, or ``None`` without a live fix."""
    source = position_source(config)
    try:
        return source.locate()
    finally:
        source.close()


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
    record["reading_id"] = stable_reading_id(config.probe_id, "signal", when.isoformat(),
                                             reading.raw)
    return record


def read_modem(source: str) -> list[ModemReading]:
    """One poll of a live modem (``mmcli``, ``serial:PORT``) or a capture (``replay:FILE``:
    all of its readings)."""
    if source.startswith("replay:"):
        from .modem import parse_at_log

        path = Path(source.split(":", 1)[1])
        try:
            return parse_at_log(path.read_text(encoding="utf-8", errors="replace"))
        except FileNotFoundError as exc:
            raise ConfigError(f"modem capture not found: {path}") from exc
    modem = modem_source(source)
    try:
        return modem.poll()[0]
    finally:
        modem.close()


def store_signal(store: ReadingStore, readings: list[ModemReading], fix: Fix | None,
                 config: ProbeConfig, when: datetime | None = None) -> int:
    """Commit readings (and their neighbour cells) one at a time; the number stored."""
    stored = 0
    for reading in readings:
        record = signal_record(reading, fix, config, when)
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
    """Seconds to the next speed test by time (``None`` when tests go by distance); a
    random schedule draws a new gap each time it is asked."""
    if config.speed_random:
        return min(max(rng.expovariate(1 / RANDOM_GAP_MEAN_S), RANDOM_GAP_BOUNDS_S[0]),
                   RANDOM_GAP_BOUNDS_S[1])
    if config.speed_every_minutes:
        return 60.0 * config.speed_every_minutes
    return None


# -- the spool: test results a full disk or a read-only store could not take -----------------
def spool_paths(store_path: Path) -> list[Path]:
    """Where results wait for a store: beside it, else in the user's folder."""
    name = f"{Path(store_path).name}.spool.jsonl"
    home = Path(os.environ.get("PHUSONG_SPOOL_DIR") or user_data_dir() / "spool")
    return [Path(store_path).with_name(name), home / name]


def spool(record: dict[str, Any], store_path: Path) -> Path | None:
    """Keep a record that could not be stored; the spool file written, or ``None``."""
    line = json.dumps(record, default=_jsonable, ensure_ascii=False) + "\n"
    for path in spool_paths(store_path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            return path
        except OSError:
            continue
    return None


def _jsonable(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def unspool(store: ReadingStore) -> int:
    """Write the spooled results into the store, then remove the spool; the number written."""
    written = 0
    for path in spool_paths(store.path):
        if not path.is_file():
            continue
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                   if line.strip()]
        if records:
            written += store.add_speed_tests(records, source_kind="probe").inserted
        path.unlink()
        log.info("wrote %d spooled test result(s) from %s", len(records), path)
    return written


# -- the unattended run ------------------------------------------------------------------------
@dataclass
class RunState:
    """What a run has done so far; the status line and the day's summary read it."""

    signal: int = 0
    speed: int = 0
    failed: int = 0
    faults: Counter = field(default_factory=Counter)
    fix: bool = False
    technology: str | None = None
    rsrp: float | None = None
    down_bps: float | None = None
    up_bps: float | None = None
    last_failure: str | None = None
    spooled: int = 0

    def status(self) -> dict[str, Any]:
        return {"time": datetime.now().strftime("%H:%M:%S"), "signal": self.signal,
                "speed": self.speed, "failed": self.failed, "fix": self.fix,
                "technology": self.technology, "rsrp": self.rsrp, "down_bps": self.down_bps,
                "up_bps": self.up_bps, "last_failure": self.last_failure,
                "faults": sum(self.faults.values())}


def run_log_path(store_path: Path) -> Path:
    """The run's log file, beside the store."""
    return Path(store_path).with_name(Path(store_path).stem + ".probe.log")


def _start_log(store_path: Path) -> logging.Handler | None:
    try:
        handler = logging.FileHandler(run_log_path(store_path), encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


class _Device:
    """A device asked at most once per interval, and after a fault with back-off."""

    def __init__(self, name: str, interval_s: float, state: RunState) -> None:
        self.name, self.interval_s, self.state = name, interval_s, state
        self.failures, self.next_at = 0, 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def succeeded(self, now: float) -> None:
        if self.failures:
            log.info("%s answers again after %d failure(s)", self.name, self.failures)
        self.failures, self.next_at = 0, now

    def failed(self, reason: str, now: float) -> None:
        self.failures += 1
        wait = min(self.interval_s * 2 ** self.failures, MAX_BACKOFF_S)
        self.next_at = now + wait
        self.state.faults[reason] += 1
        self.state.last_failure = reason
        log.warning("DEVICE FAULT %s: %s (asking again in %.1f s)", self.name, reason, wait)


def run(store_path: Path, config: ProbeConfig, status: Callable[[dict], None],
        duration_s: float | None = None, seed: int | None = None) -> RunState:
    """Measure until stopped (Ctrl-C) or ``duration_s``: signal at its interval, speed
    tests on their schedule beside it; every reading committed as it is taken."""
    store_path = Path(store_path)
    handler = _start_log(store_path)
    previous = _stop_on_terminate()
    state = RunState()
    log.info("run starts: probe %s, store %s", config.probe_id, store_path)
    try:
        with ReadingStore(store_path) as store:
            state.spooled = unspool(store)
            _measure(store, config, state, status, duration_s, random.Random(seed))
    except StoreError as exc:
        log.error("run stops: %s", exc)
        raise
    finally:
        log.info("run ends: %d signal readings, %d tests, %d failed, device faults %s",
                 state.signal, state.speed, state.failed, dict(state.faults))
        if handler is not None:
            log.removeHandler(handler)
            handler.close()
        import signal

        for number, action in previous.items():
            signal.signal(number, action)
    return state


def _stop_on_terminate() -> dict:
    """Stop a run as Ctrl-C does on SIGTERM (a service manager's or ``kill``'s stop) and on
    SIGINT even where a shell started it with SIGINT ignored (``nohup … &``); the handlers
    it replaced, to put back."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum, frame):  # noqa: ARG001 - the signal module's signature
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            previous[number] = signal.signal(number, stop)
    return previous


def _measure(store: ReadingStore, config: ProbeConfig, state: RunState,
             status: Callable[[dict], None], duration_s: float | None,
             rng: random.Random) -> None:
    started = time.monotonic()
    modem = modem_source(config.modem, timeout_s=config.modem_timeout_s) if config.modem \
        else None
    positions = position_source(config)
    modem_device = _Device("modem", config.signal_interval_s, state)
    gps_device = _Device("GNSS", config.signal_interval_s, state)
    pending: _Test | None = None
    gap = next_gap_s(config, rng)
    next_speed = started if config.server_url or config.server_id else math.inf
    last_test_fix: Fix | None = None
    fix: Fix | None = None
    syncer = _Syncer(store.path, config) if config.sync_url and config.sync_token else None
    try:
        while duration_s is None or time.monotonic() - started < duration_s:
            check_disk(store.path)
            tick = time.monotonic()
            if gps_device.due(tick):
                fix = positions.locate()
                if positions.problem:
                    gps_device.failed(positions.problem, tick)
                else:
                    gps_device.succeeded(tick)
            state.fix = fix is not None
            if modem is not None and modem_device.due(tick):
                _poll_modem(store, modem, modem_device, fix, config, state, tick)
            if pending is not None and pending.done():
                _store_test(store, pending.result, pending.fix, config, state)
                pending = None
            moved = fix is not None and last_test_fix is not None and \
                config.speed_every_metres and metres_between(
                    fix.lon, fix.lat, last_test_fix.lon, last_test_fix.lat) >= \
                config.speed_every_metres
            if pending is None and (tick >= next_speed or moved):
                pending = _Test(config, fix)
                last_test_fix = fix
                next_speed = tick + gap if gap else math.inf
                gap = next_gap_s(config, rng)
            if syncer is not None:
                syncer.start_if_due(tick)
            status(state.status())
            time.sleep(max(config.signal_interval_s - (time.monotonic() - tick), 0))
    except KeyboardInterrupt:
        pass
    finally:
        if pending is not None and pending.done():
            _store_test(store, pending.result, pending.fix, config, state)
        elif pending is not None:
            log.info("a speed test in flight when the run stopped was not stored")
        if modem is not None:
            modem.close()
        positions.close()


class _Syncer:
    """Sends the run's readings to the collection server every :data:`SYNC_EVERY_S`, in a
    thread beside the measurements; a failed sync is logged and tried again later."""

    def __init__(self, store_path: Path, config: ProbeConfig) -> None:
        self.store_path, self.config = store_path, config
        self.thread: threading.Thread | None = None
        self.next_at = 0.0

    def start_if_due(self, now: float) -> None:
        if now < self.next_at or (self.thread is not None and self.thread.is_alive()):
            return
        self.next_at = now + SYNC_EVERY_S
        self.thread = threading.Thread(target=self._sync, daemon=True)
        self.thread.start()

    def _sync(self) -> None:
        from .sync import SyncError, sync

        try:
            result = sync(self.store_path, self.config.sync_url, self.config.sync_token,
                          self.config.probe_id, deadline_s=SYNC_EVERY_S / 2)
            log.info("sync: %d readings sent, %d new on the server", result.sent,
                     result.inserted)
        except (SyncError, StoreError, OSError) as exc:
            log.warning("sync failed: %s", exc)


class _Test:
    """A speed test running in a daemon thread beside the signal logging (a run that
    stops never waits for it)."""

    def __init__(self, config: ProbeConfig, fix: Fix | None) -> None:
        self.fix, self.result = fix, None
        self.thread = threading.Thread(target=self._run, args=(config,), daemon=True,
                                       name="speedtest")
        self.thread.start()

    def _run(self, config: ProbeConfig) -> None:
        self.result = run_speed_test(config.server_url, config.server_id,
                                     config.plan_down_mbps)

    def done(self) -> bool:
        return not self.thread.is_alive() and self.result is not None


def _poll_modem(store: ReadingStore, modem, device: _Device, fix: Fix | None,
                config: ProbeConfig, state: RunState, tick: float) -> None:
    try:
        readings, answered = modem.poll()
    except DeviceError as exc:
        device.failed(str(exc), tick)
        return
    device.succeeded(tick)
    state.signal += store_signal(store, readings, fix, config, answered)
    last = readings[-1].values
    state.technology = last.get("technology")
    state.rsrp = last.get("nr_ss_rsrp_dbm") or last.get("lte_rsrp_dbm")


def _store_test(store: ReadingStore, result: dict[str, Any], fix: Fix | None,
                config: ProbeConfig, state: RunState) -> None:
    record = speed_record(result, fix, config)
    try:
        store.add_speed_tests([record], source_kind="probe")
    except StoreError:
        where = spool(record, store.path)
        log.error("a test result could not be stored; kept in %s", where or "no spool")
        raise
    if record["status"] == "ok":
        state.speed += 1
        state.down_bps, state.up_bps = record.get("download_bps"), record.get("upload_bps")
    else:
        state.failed += 1
        state.last_failure = record.get("failure_reason")
    log.info("speed test %s: down %s, up %s%s", record["status"], record.get("download_bps"),
             record.get("upload_bps"), f" ({record.get('failure_reason')})"
             if record["status"] != "ok" else "")
