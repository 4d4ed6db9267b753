"""``phusong probe init``: a commented ``probe.toml`` for the laptop it runs on.

It names the serial ports and USB modems it finds (by USB identity, so the file stays right
when Windows renumbers a port) and the network interfaces it sees; ``probe check`` then
verifies what it wrote.
"""
from __future__ import annotations

from typing import Iterable

from phusong.host import (PortInfo, default_gnss_port, default_modem_source, interface_kind,
                          serial_ports)


def interfaces() -> list[tuple[str, str]]:
    """This machine's network interfaces that are up, with their kind."""
    import psutil

    stats = psutil.net_if_stats()
    return [(name, interface_kind(name)) for name, stat in sorted(stats.items())
            if stat.isup and name.lower() not in ("lo", "loopback pseudo-interface 1")]


def _port_lines(ports: list[PortInfo]) -> list[str]:
    if not ports:
        return ["#   (no serial port found: plug in the USB modem and GPS, then run this again)"]
    lines = []
    for port in ports:
        usb = f"USB {port.vid:04x}:{port.pid:04x}" if port.vid is not None else "not USB"
        maker = f", {port.maker}" if port.maker else ""
        number = f", interface {port.interface}" if port.interface is not None else ""
        lines.append(f"#   {port.device}: {port.description or '?'} ({usb}{maker}{number}) "
                     f"-> {port.role}")
    return lines


def this_laptop(probe_id: str) -> str:
    """The probe configuration for the serial ports and interfaces of this machine."""
    ports = serial_ports()
    return probe_toml(probe_id, ports, interfaces(), default_modem_source(ports=ports),
                      default_gnss_port(ports))


def probe_toml(probe_id: str, ports: Iterable[PortInfo], nets: Iterable[tuple[str, str]],
               modem: str | None, gnss: str | None) -> str:
    """The text of a commented probe configuration for these ports and interfaces, with the
    modem source and GNSS port chosen."""
    ports = list(ports)
    net_lines = [f"#   {name}: {kind}" for name, kind in nets] or ["#   (none up)"]
    position = (f'nmea = "{gnss}"            # the GNSS port found; baud is detected'
                if gnss else
                '# no GPS found. A USB GPS: nmea = "COM4"; gpsd: gpsd = "127.0.0.1:2947";\n'
                '# a fixed site: its coordinates (lat = "21,27" with a comma also works)\n'
                '# lat = 21.27\n'
                '# lon = 106.19')
    modem_line = (f'source = "{modem}"' if modem else
                  '# source = "serial:COM5"   # no modem found: the modem\'s AT port')
    return "\n".join([
        "# phusong probe configuration, written by `phusong probe init`.",
        "# Check it with `phusong probe check --config probe.toml` before a probe day.",
        "#",
        "# Serial ports found on this laptop:",
        *_port_lines(ports),
        "# Network interfaces up:",
        *net_lines,
        "",
        f'probe_id = "{probe_id}"',
        '# sim_operator = "452-04"   # the SIM\'s operator (MCC-MNC) if the modem does not say',
        "",
        "[position]",
        position,
        "",
        "[modem]",
        modem_line,
        "timeout_s = 2              # an answer slower than this counts as a device fault",
        "",
        "[speed]",
        '# server_url = "http://speedtest.province.example/speedtest/upload.php"',
        "# plan_down_mbps = 1000      # the subscribed plan, for the gigabit target",
        "every_minutes = 30         # or every_metres = 2000 while driving, or random = true",
        "",
        "[signal]",
        "interval_s = 1.0",
        "",
    ])
