"""``phusong probe check``: what a probe finds, for someone who is not a programmer.

Each check returns (ok, message key, values), ok ``None`` for a warning; the CLI words
them in Vietnamese or English and exits non-zero when one fails. Nothing here changes the machine: the modem
is only asked ``AT`` and ``ATI`` (identify), which every modem answers (3GPP TS 27.007
and ITU-T V.250).
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

from phusong.errors import ConfigError

from .probe import ProbeConfig, locate
from .sources import looks_like_nmea

MIN_FREE_GIB = 1.0
Check = tuple[bool | None, str, dict]  # ok, failed, or None: a warning


def check_config(config: ProbeConfig) -> list[Check]:
    """One warning per key the probe does not know (a misspelt key is otherwise ignored)."""
    return [(None, "check.config_key", {"detail": warning}) for warning in config.warnings]


def check_modem(config: ProbeConfig) -> Check:
    source = config.modem_source_name()
    if source is None:
        return False, "check.modem_missing", {"detail": "no USB modem found"}
    if source.startswith("replay:"):
        path = Path(source.split(":", 1)[1])
        return (path.is_file(), "check.modem_ok" if path.is_file() else "check.modem_missing",
                {"detail": f"replay {path.name}"})
    if source.startswith("serial:"):
        return identify_serial_modem(source.split(":", 1)[1])
    if shutil.which("mmcli") is None:
        return False, "check.modem_missing", {"detail": "ModemManager (mmcli) not installed"}
    try:
        answer = subprocess.run(["mmcli", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, "check.modem_missing", {"detail": str(exc)}
    found = "/Modem/" in answer.stdout
    return found, "check.modem_ok" if found else "check.modem_missing", \
        {"detail": answer.stdout.strip().splitlines()[0] if found else "mmcli -L: none"}


def identify_serial_modem(port: str, timeout_s: float = 2.0) -> Check:
    """Send ``AT`` and ``ATI`` to a port and name what answered: a modem's maker and
    model, a GNSS receiver (NMEA sentences), or nothing."""
    import serial

    try:
        with serial.Serial(port, 115200, timeout=0.2) as device:
            device.reset_input_buffer()
            at = _ask(device, "AT", timeout_s)
            if "OK" not in at.split():
                kind = "a GNSS receiver (NMEA sentences)" if looks_like_nmea(at.encode()) \
                    else ("nothing" if not at.strip() else repr(at.strip()[:40]))
                return False, "check.modem_not_modem", {"port": port, "detail": kind}
            identity = _ask(device, "ATI", timeout_s)
    except (serial.SerialException, OSError, ValueError) as exc:
        return False, "check.modem_missing", {"detail": f"{port}: {exc}"}
    lines = [line.strip() for line in identity.splitlines()
             if line.strip() and line.strip() not in ("ATI", "OK")]
    return True, "check.modem_ok", {"detail": f"{port}: {' '.join(lines[:3]) or 'AT OK'}"}


def _ask(device, command: str, timeout_s: float) -> str:
    device.write((command + "\r").encode())
    deadline, answer = time.monotonic() + timeout_s, b""
    while time.monotonic() < deadline:
        answer += device.read(256)
        words = answer.decode("ascii", "replace").split()
        if "OK" in words or "ERROR" in words:
            break
    return answer.decode("ascii", "replace")


def check_position(config: ProbeConfig) -> Check:
    fix = locate(config)
    if fix is None:
        return False, "check.gps_missing", {}
    return True, "check.gps_ok", {"lat": fix.lat, "lon": fix.lon, "source": fix.source}


def check_network(config: ProbeConfig) -> Check:
    url = urlparse(config.server_url) if config.server_url else None
    host = (url.hostname if url else None) or "www.speedtest.net"
    port = (url.port if url else None) or (443 if not url or url.scheme == "https" else 80)
    try:
        socket.getaddrinfo(host, port)
    except OSError as exc:
        return False, "check.network_unresolved", {"host": host, "detail": exc.strerror or str(exc)}
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        return False, "check.network_missing", {"host": host, "detail": exc.strerror or str(exc)}
    if config.server_url:
        from .speed import server_problem

        problem = server_problem(config.server_url)
        if problem:
            return False, "check.server_bad", {"host": host, "detail": problem}
    return True, "check.network_ok", {"host": host}


def check_disk(folder: Path = Path(".")) -> Check:
    free = shutil.disk_usage(folder).free / 2**30
    return free >= MIN_FREE_GIB, "check.disk_ok" if free >= MIN_FREE_GIB else "check.disk_low", \
        {"free": free}


def run_checks(config_path: Path | None) -> list[Check]:
    """Every check of a probe's configuration and devices, in the order a user fixes them."""
    try:
        config = ProbeConfig.load(config_path) if config_path else ProbeConfig()
    except ConfigError as exc:
        return [(False, "check.config_bad", {"detail": str(exc)})]
    return [*check_config(config), check_modem(config), check_position(config),
            check_network(config), check_disk()]
