"""Where a running probe gets its signal and position, and how it survives their faults.

A modem that answers ERROR, goes silent or disappears from USB and comes back under
another name, or a GNSS port that vanishes, raises :class:`DeviceError` with the
reason; the run logs it, counts it, waits with back-off and asks again. A serial port
is found again by its USB identity (vendor, product, serial number and interface, from
pyserial's ``list_ports``), so a renumbered ``COM7`` or ``/dev/ttyUSB3`` is picked up.
Before each poll the modem's input is flushed, so a late answer to the previous poll is
never taken for this one, and a reading is timed when its answer arrived. A position
fix is live only when it is at most :data:`MAX_FIX_AGE_S` old.
"""
from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from phusong.errors import ConfigError, DeviceError

from .modem import ModemReading, parse_at_log, parse_mmcli
from .position import Fix, fixed_site, gpsd_fix, mmcli_location, nmea_fixes

# Serving cell, neighbours, network, and the 3GPP quality answers (TS 27.007 +CSQ, +CESQ)
# that every modem gives, even where the Quectel QENG answer is missing a value.
QUECTEL_COMMANDS = ('ATI', 'AT+QNWINFO', 'AT+CSQ', 'AT+CESQ', 'AT+QENG="servingcell"',
                    'AT+QENG="neighbourcell"')
ESSENTIAL_COMMAND = 'AT+QENG="servingcell"'
MAX_FIX_AGE_S = 5.0
ERROR_LINE = re.compile(r"^(\+CM[ES] )?ERROR\b.*$")


@dataclass(frozen=True)
class UsbIdentity:
    """What names a USB serial port whatever number the system gives it."""

    vid: int
    pid: int
    serial_number: str | None
    interface: str | None

    @classmethod
    def of(cls, info) -> "UsbIdentity | None":
        if info.vid is None or info.pid is None:
            return None
        location = info.location or ""
        return cls(info.vid, info.pid, info.serial_number,
                   location.rsplit(":", 1)[-1] if ":" in location else info.interface)


def _ports():
    from serial.tools import list_ports

    return list_ports.comports()


def usb_identity(device: str) -> UsbIdentity | None:
    """The USB identity of a serial port by its current name (``None`` if not USB)."""
    for info in _ports():
        if info.device == device:
            return UsbIdentity.of(info)
    return None


def find_port(identity: UsbIdentity | None) -> str | None:
    """The current name of the port with this USB identity, if it is plugged in."""
    if identity is None:
        return None
    for info in _ports():
        if UsbIdentity.of(info) == identity:
            return info.device
    return None


NMEA_BAUD_RATES = (4800, 9600, 38400, 115200)  # NMEA 0183's 4800, then the common USB rates
NMEA_SENTENCE = re.compile(rb"\$([A-Z]{2}[A-Z]{3},[^*$\r\n]*)\*([0-9A-F]{2})")


def looks_like_nmea(data: bytes) -> bool:
    """Whether bytes read from a port hold an NMEA 0183 sentence with a valid checksum (the
    XOR of the characters between ``$`` and ``*``): read at the wrong baud rate they never do."""
    for match in NMEA_SENTENCE.finditer(data):
        checksum = 0
        for byte in match.group(1):
            checksum ^= byte
        if checksum == int(match.group(2), 16):
            return True
    return False


def detect_nmea_baud(name: str, rates: tuple[int, ...] = NMEA_BAUD_RATES,
                     listen_s: float = 1.5) -> int | None:
    """The baud rate at which a GNSS port speaks NMEA, or ``None``."""
    import serial

    for rate in rates:
        try:
            with serial.Serial(name, rate, timeout=0.2) as port:
                port.reset_input_buffer()
                deadline, data = time.monotonic() + listen_s, b""
                while time.monotonic() < deadline:
                    data += port.read(256)
                    if looks_like_nmea(data):
                        return rate
        except (serial.SerialException, OSError):
            return None
    return None


class SerialPort:
    """A serial device that is reopened, under its new name if need be, after a fault; a
    GNSS port opened without a baud rate (``None``) is first listened to at each rate."""

    def __init__(self, name: str, baud: int | None, timeout: float = 2.0) -> None:
        self.name, self.baud, self.timeout = name, baud, timeout
        self.identity: UsbIdentity | None = None
        self.port = None

    def open(self):
        import serial

        if self.port is not None:
            return self.port
        if self.identity is None:
            self.identity = usb_identity(self.name)
        if self.baud is None:
            self.baud = detect_nmea_baud(self.name) or NMEA_BAUD_RATES[0]
        try:
            self.port = serial.Serial(self.name, self.baud, timeout=self.timeout)
        except (serial.SerialException, OSError) as exc:
            moved = find_port(self.identity)
            if moved is None or moved == self.name:
                raise DeviceError(f"serial port {self.name} is not available ({exc})") from exc
            self.name = moved
            try:
                self.port = serial.Serial(moved, self.baud, timeout=self.timeout)
            except (serial.SerialException, OSError) as again:
                raise DeviceError(f"serial port {moved} is not available ({again})") from again
        return self.port

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except Exception:  # noqa: BLE001 - a vanished device may fail to close
                pass
        self.port = None


class ModemSource:
    """One poll of a modem: its readings, timed when the answer arrived."""

    def poll(self) -> tuple[list[ModemReading], datetime]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device."""


class SerialModem(ModemSource):
    """A Quectel modem's AT port (``serial:COM5``, ``serial:/dev/ttyUSB2``)."""

    def __init__(self, port: str, baud: int = 115200, timeout: float = 2.0,
                 gnb_id_bits: int = 24) -> None:
        self.serial = SerialPort(port, baud, timeout)
        self.gnb_id_bits = gnb_id_bits

    def poll(self) -> tuple[list[ModemReading], datetime]:
        port = self.serial.open()
        answers = []
        try:
            port.reset_input_buffer()  # a late answer to the last poll is not this one's
            for command in QUECTEL_COMMANDS:
                answer = self._ask(port, command)
                if answer is None:
                    raise DeviceError(f"the modem did not answer {command} within "
                                      f"{self.serial.timeout:g} s")
                answers.append(answer)
        except DeviceError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyserial, OS and termios errors alike
            self.serial.close()
            raise DeviceError(f"modem port {self.serial.name} failed ({exc})") from exc
        answered = datetime.now(timezone.utc)
        serving = answers[QUECTEL_COMMANDS.index(ESSENTIAL_COMMAND)]
        if ERROR_LINE.match(serving.strip().splitlines()[-1] if serving.strip() else ""):
            raise DeviceError(f"the modem answered {serving.strip()!r} to {ESSENTIAL_COMMAND}")
        readings = parse_at_log("\n".join(a for a in answers if a), self.gnb_id_bits)
        if not readings:
            raise DeviceError("the modem's answer held no serving cell")
        return readings, answered

    @staticmethod
    def _ask(port, command: str) -> str | None:
        """The answer to one command up to OK or ERROR; ``None`` if nothing came back."""
        port.write((command + "\r").encode())
        lines = []
        while True:
            line = port.readline().decode("ascii", "replace")
            if not line:
                return "".join(lines) if lines else None
            text = line.strip()
            if text == command:
                continue  # the modem's echo
            if text == "OK":
                return "".join(lines)
            lines.append(line)
            if ERROR_LINE.match(text):
                return "".join(lines)

    def close(self) -> None:
        self.serial.close()


class MmcliModem(ModemSource):
    """ModemManager (Linux): ``mmcli -m any --signal-get -J`` and ``mmcli -m any -J``."""

    def poll(self) -> tuple[list[ModemReading], datetime]:
        try:
            signal, modem = self._run("--signal-get"), self._run()
        except FileNotFoundError as exc:
            raise ConfigError("mmcli (ModemManager) is not installed: on Windows use "
                              "source = \"serial:COM5\"") from exc
        except (OSError, subprocess.SubprocessError) as exc:
            raise DeviceError(f"mmcli failed ({exc})") from exc
        return [parse_mmcli(signal, modem)], datetime.now(timezone.utc)

    @staticmethod
    def _run(*args: str) -> str:
        return subprocess.run(["mmcli", "-m", "any", *args, "-J"], capture_output=True,
                              text=True, timeout=15, check=True).stdout


class ReplayModem(ModemSource):
    """A capture of a modem's answers (``replay:FILE``), played one poll at a time, its
    ``ERROR`` answers as failed polls, from the start again at the end."""

    def __init__(self, path: Path, gnb_id_bits: int = 24) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError as exc:
            raise ConfigError(f"modem capture not found: {path}") from exc
        self.events = _replay_events(text, gnb_id_bits)
        if not self.events:
            raise ConfigError(f"{path} holds no modem answer to replay")
        self.next = 0

    def poll(self) -> tuple[list[ModemReading], datetime]:
        event = self.events[self.next % len(self.events)]
        self.next += 1
        if isinstance(event, DeviceError):
            raise event
        return [event], datetime.now(timezone.utc)


def _replay_events(text: str, gnb_id_bits: int) -> list:
    """Readings and ERROR answers of a capture, in its order."""
    events: list = []
    block: list[str] = []
    for line in text.splitlines():
        if ERROR_LINE.match(line.strip().strip("'")):
            events += parse_at_log("\n".join(block), gnb_id_bits)
            block = []
            events.append(DeviceError(f"the modem answered {line.strip()!r}"))
        else:
            block.append(line)
    return events + parse_at_log("\n".join(block), gnb_id_bits)


def modem_source(source: str, gnb_id_bits: int = 24, timeout_s: float = 2.0) -> ModemSource:
    """The modem named by a configuration: ``mmcli``, ``serial:PORT`` or ``replay:FILE``."""
    if source == "mmcli":
        return MmcliModem()
    if source.startswith("serial:"):
        return SerialModem(source.split(":", 1)[1], timeout=timeout_s, gnb_id_bits=gnb_id_bits)
    if source.startswith("replay:"):
        return ReplayModem(Path(source.split(":", 1)[1]), gnb_id_bits)
    raise ConfigError(f"unknown modem source {source!r}: mmcli, serial:PORT or replay:FILE")


class PositionSource:
    """The probe's position now; ``None`` without a live fix (the reason in ``problem``)."""

    def __init__(self, gpsd: str | None = None, nmea: str | None = None,
                 modem_gnss: bool = False, lon: float | None = None, lat: float | None = None,
                 nmea_baud: int | None = None, max_age_s: float = MAX_FIX_AGE_S) -> None:
        self.gpsd, self.nmea, self.modem_gnss = gpsd, nmea, modem_gnss
        self.site = fixed_site(lon, lat) if lon is not None and lat is not None else None
        self.max_age_s = max_age_s
        self.problem: str | None = None
        self.serial = SerialPort(nmea, nmea_baud, timeout=1.0) \
            if nmea and not Path(nmea).is_file() else None

    def locate(self) -> Fix | None:
        self.problem = None
        try:
            fix = self._fix()
        except DeviceError as exc:
            self.problem = str(exc)
            return None
        if fix is None or fix.time_utc is None or fix.source != "gnss":
            return fix
        age = (datetime.now(timezone.utc) - fix.time_utc).total_seconds()
        if age > self.max_age_s:
            self.problem = f"the last GNSS fix is {age:.0f} s old: not a live position"
            return None
        return fix

    def _fix(self) -> Fix | None:
        if self.gpsd:
            host, _, port = self.gpsd.partition(":")
            try:
                return gpsd_fix(host or "127.0.0.1", int(port or 2947), timeout=5)
            except OSError as exc:
                raise DeviceError(f"gpsd at {self.gpsd} is not answering ({exc})") from exc
        if self.nmea:
            fixes = nmea_fixes(self._nmea_lines())
            return fixes[-1] if fixes else None
        if self.modem_gnss:
            try:
                answer = subprocess.run(["mmcli", "-m", "any", "--location-get", "-J"],
                                        capture_output=True, text=True, timeout=15, check=True)
            except (OSError, subprocess.SubprocessError) as exc:
                raise DeviceError(f"the modem's GNSS is not answering ({exc})") from exc
            return mmcli_location(answer.stdout)
        return self.site

    def _nmea_lines(self) -> list[str]:
        if self.serial is None:
            return Path(self.nmea).read_text(encoding="ascii", errors="replace").splitlines()
        port = self.serial.open()
        try:
            port.reset_input_buffer()
            deadline, lines = time.monotonic() + 1.2, []
            while time.monotonic() < deadline:
                line = port.readline().decode("ascii", "replace")
                if line:
                    lines.append(line)
                if line.startswith(("$GPRMC", "$GNRMC")) and len(lines) > 1:
                    break
        except Exception as exc:  # noqa: BLE001 - pyserial, OS and termios errors alike
            self.serial.close()
            raise DeviceError(f"GNSS port {self.serial.name} failed ({exc})") from exc
        if not lines:
            raise DeviceError(f"the GNSS receiver on {self.serial.name} sent nothing for 1 s")
        return lines

    def close(self) -> None:
        if self.serial is not None:
            self.serial.close()
