"""A modem and a GNSS receiver on real pseudo-terminals, for the probe's fault tests.

Nothing here is a mock of phusong: the probe opens the terminals with pyserial as it
opens a USB modem. The modem answers AT commands with answers taken from a real
capture (``tests/fixtures/real/modem``), and can be told to answer ERROR, to go silent
or to re-enumerate (its terminal disappears and comes back under another name, as a
USB modem does after a reset). The receiver writes NMEA ``GGA``/``RMC`` at the current
time, and can drop out. USB enumeration cannot exist on this machine, so
:meth:`FakeModem.ports` lists the terminals as pyserial's ``list_ports`` would list USB
ports (vendor 2c7c, Quectel), for the probe to find the modem again by identity.
Linux only (pty).
"""
from __future__ import annotations

import os
import pty
import select
import threading
import time
import tty
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

MODEM_CAPTURE = Path(__file__).parent / "fixtures" / "real" / "modem" / \
    "quectel_rm520n_nsa_servingcell_neighbourcell_qcainfo__quectel_5g_tools.txt"


def _answers(capture: Path) -> dict[str, list[str]]:
    """Each command of a capture with the answers it got (a command may appear often)."""
    answers: dict[str, list[str]] = {}
    command, lines = None, []
    for line in capture.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.upper().startswith("AT"):
            command, lines = text, []
        elif text in ("OK", "ERROR") and command:
            answers.setdefault(command.upper(), []).append("\r\n".join(lines + [text]))
            command = None
        elif command and text:
            lines.append(text)
    return answers


@dataclass
class PortInfo:
    """What pyserial's ``list_ports`` gives for a USB serial port."""

    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    location: str | None
    interface: str | None = None
    description: str = "Quectel USB AT Port"


class _Terminal:
    """A pseudo-terminal whose far end a thread serves."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        os.set_blocking(self.master, False)  # an unread receiver drops data, as a UART does
        self.name = os.ttyname(slave)
        self._slave = slave

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class _PtyDevice:
    """A device on a pseudo-terminal, served by a thread until closed."""

    def __init__(self) -> None:
        self.terminal = _Terminal()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return self.terminal.name

    def _serve(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self.terminal.close()


class FakeModem(_PtyDevice):
    """A Quectel modem on a pty: ``mode`` is ``ok``, ``error``, ``silent``."""

    def __init__(self, capture: Path = MODEM_CAPTURE) -> None:
        self.answers = _answers(capture)
        self.turn: dict[str, int] = {}
        self.mode = "ok"
        self.polls = 0
        super().__init__()

    def reenumerate(self) -> None:
        """Vanish and come back under another terminal name (a USB reset)."""
        old = self.terminal
        self.terminal = _Terminal()
        old.close()

    def ports(self) -> list[PortInfo]:
        return [PortInfo(self.terminal.name, 0x2C7C, 0x0801, "FAKE0001", "1-1:1.2")]

    def _answer(self, command: str) -> str:
        key = command.strip().upper()
        if key == "AT":
            return "OK"  # ITU-T V.250: every modem answers a bare AT
        if self.mode == "error" and key.startswith("AT+QENG"):
            return "ERROR"
        choices = self.answers.get(key)
        if not choices:
            return "ERROR"
        i = self.turn.get(key, 0)
        self.turn[key] = i + 1
        if key == 'AT+QENG="SERVINGCELL"':
            self.polls += 1
        return choices[i % len(choices)]

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            terminal = self.terminal
            try:
                ready, _, _ = select.select([terminal.master], [], [], 0.05)
                if not ready:
                    continue
                buffer += os.read(terminal.master, 1024)
            except OSError:
                time.sleep(0.05)
                continue
            while b"\r" in buffer:
                line, buffer = buffer.split(b"\r", 1)
                command = line.decode(errors="replace").strip()
                if not command or self.mode == "silent":
                    continue
                reply = "\r\n" + self._answer(command) + "\r\n"
                try:
                    os.write(terminal.master, reply.encode())
                except OSError:
                    pass


class FakeGps(_PtyDevice):
    """A GNSS receiver on a pty writing NMEA at the current time; ``dropped`` stops it."""

    def __init__(self, lon: float = 106.19, lat: float = 21.27) -> None:
        self.lon, self.lat = lon, lat
        self.dropped = False
        super().__init__()

    def _sentences(self) -> list[str]:
        now = datetime.now(timezone.utc)
        hms, dmy = now.strftime("%H%M%S.00"), now.strftime("%d%m%y")
        lat = f"{int(self.lat):02d}{(self.lat % 1) * 60:07.4f}"
        lon = f"{int(self.lon):03d}{(self.lon % 1) * 60:07.4f}"
        bodies = [f"GPGGA,{hms},{lat},N,{lon},E,1,08,0.9,20.0,M,0.0,M,,",
                  f"GPRMC,{hms},A,{lat},N,{lon},E,0.0,0.0,{dmy},,,A"]
        return [f"${body}*{_checksum(body)}\r\n" for body in bodies]

    def _serve(self) -> None:
        while not self._stop.wait(0.25):
            if self.dropped:
                continue
            self.lon += 1e-5
            for sentence in self._sentences():
                try:
                    os.write(self.terminal.master, sentence.encode())
                except OSError:
                    pass


def _checksum(body: str) -> str:
    value = 0
    for char in body:
        value ^= ord(char)
    return f"{value:02X}"
