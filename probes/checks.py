"""``phusong probe check``: what a probe finds, for someone who is not a programmer.

Each check returns (ok, message key, values); the CLI words them in Vietnamese or
English. Nothing here changes the machine.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from .probe import ProbeConfig, locate

MIN_FREE_GIB = 1.0


def check_modem(config: ProbeConfig) -> tuple[bool, str, dict]:
    source = config.modem or "mmcli"
    if source.startswith("replay:"):
        path = Path(source.split(":", 1)[1])
        return (path.is_file(), "check.modem_ok" if path.is_file() else "check.modem_missing",
                {"detail": f"replay {path.name}"})
    if source.startswith("serial:"):
        port = source.split(":", 1)[1]
        try:
            import serial

            with serial.Serial(port, 115200, timeout=1):
                return True, "check.modem_ok", {"detail": port}
        except (OSError, ValueError) as exc:
            return False, "check.modem_missing", {"detail": f"{port}: {exc}"}
    if shutil.which("mmcli") is None:
        return False, "check.modem_missing", {"detail": "ModemManager (mmcli) not installed"}
    try:
        answer = subprocess.run(["mmcli", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, "check.modem_missing", {"detail": str(exc)}
    found = "/Modem/" in answer.stdout
    return found, "check.modem_ok" if found else "check.modem_missing", \
        {"detail": answer.stdout.strip().splitlines()[0] if found else "mmcli -L: none"}


def check_position(config: ProbeConfig) -> tuple[bool, str, dict]:
    fix = locate(config)
    if fix is None:
        return False, "check.gps_missing", {}
    return True, "check.gps_ok", {"lat": fix.lat, "lon": fix.lon, "source": fix.source}


def check_network(config: ProbeConfig) -> tuple[bool, str, dict]:
    url = urlparse(config.server_url) if config.server_url else None
    host = (url.hostname if url else None) or "www.speedtest.net"
    port = (url.port if url else None) or (443 if not url or url.scheme == "https" else 80)
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


def check_disk(folder: Path = Path(".")) -> tuple[bool, str, dict]:
    free = shutil.disk_usage(folder).free / 2**30
    return free >= MIN_FREE_GIB, "check.disk_ok" if free >= MIN_FREE_GIB else "check.disk_low", \
        {"free": free}


def run_checks(config_path: Path | None) -> list[tuple[bool, str, dict]]:
    config = ProbeConfig.load(config_path) if config_path else ProbeConfig()
    return [check_modem(config), check_position(config), check_network(config), check_disk()]
