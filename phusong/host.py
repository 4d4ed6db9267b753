"""What depends on the machine phusong runs on, one function per choice.

Field laptops run Windows as often as Linux. Every choice that differs between them (where
phusong keeps its own files, how it prints, which modem and GNSS ports it uses, what kind
of line a network interface is) is made here, by a function that takes the system's name
(``platform.system()``: ``"Windows"``, ``"Linux"``, ``"Darwin"``) so that the Windows
choice is tested on any machine.
"""
from __future__ import annotations

import io
import json
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

# USB vendor ids of cellular modem makers (the USB-IF list, as in the Linux ``option``
# and ``qcserial`` drivers' device tables).
MODEM_VENDORS = {0x2C7C: "Quectel", 0x1199: "Sierra Wireless", 0x1BC7: "Telit",
                 0x1E0E: "SIMCom", 0x2CB7: "Fibocom", 0x12D1: "Huawei", 0x19D2: "ZTE"}
# u-blox makes GNSS receivers; Prolific's PL2303 bridge sits in many USB GPS pucks.
GNSS_VENDORS = {0x1546: "u-blox", 0x067B: "Prolific"}
# Quectel's USB interface layout (Quectel "UMTS<E/LTE<E-A Linux USB Driver User Guide"):
# 0 diagnostics, 1 NMEA, 2 AT commands, 3 modem (AT and PPP).
QUECTEL_AT_INTERFACE, QUECTEL_NMEA_INTERFACE = 2, 1
# Linux drivers that put a cellular modem's data on a network interface.
CELLULAR_DRIVERS = {"rndis_host", "cdc_ether", "cdc_ncm", "cdc_mbim", "qmi_wwan", "huawei_cdc_ncm",
                    "sierra_net", "mhi_net", "ipheth", "cdc_eem"}
OK_MARK, FAIL_MARK = "✓", "✗"
ASCII_MARKS = ("[OK]", "[X]")


def system() -> str:
    """This machine's system name, as ``platform.system()`` gives it."""
    return platform.system()


# -- files ----------------------------------------------------------------------------------
def user_data_dir(system_name: str | None = None, env: Mapping[str, str] | None = None,
                  home: Path | None = None) -> Path:
    """Where phusong keeps its own files for this user (the spool of unwritten results).

    ``%LOCALAPPDATA%\\phusong`` on Windows (the folder Windows keeps per user and machine);
    ``~/.phusong`` elsewhere. ``PHUSONG_HOME`` overrides both.
    """
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if env.get("PHUSONG_HOME"):
        return Path(env["PHUSONG_HOME"])
    if (system_name or system()) == "Windows":
        local = env.get("LOCALAPPDATA")
        return Path(local) / "phusong" if local else home / "AppData" / "Local" / "phusong"
    return home / ".phusong"


# -- printing -------------------------------------------------------------------------------
def console_encoding(system_name: str | None = None) -> str | None:
    """The encoding phusong prints in: UTF-8 on Windows, whose code pages (cp1252, cp1258,
    cp437) hold neither ✓ nor many Vietnamese letters; the stream's own elsewhere."""
    return "utf-8" if (system_name or system()) == "Windows" else None


def configure_stream(stream, system_name: str | None = None) -> None:
    """Make a text stream print in :func:`console_encoding` and never raise on a character
    it cannot encode (a crash there would lose a run)."""
    if not isinstance(stream, io.TextIOWrapper):
        return
    encoding = console_encoding(system_name)
    try:
        if encoding:
            stream.reconfigure(encoding=encoding, errors="replace")
        else:
            stream.reconfigure(errors="replace")
    except (ValueError, OSError):
        pass


def marks(encoding: str | None) -> tuple[str, str]:
    """The success and failure marks a stream in this encoding can print: ✓ and ✗, or
    ``[OK]`` and ``[X]`` where they would both come out as ``?``."""
    try:
        (OK_MARK + FAIL_MARK).encode(encoding or "utf-8")
        return OK_MARK, FAIL_MARK
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS


# -- serial ports ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PortInfo:
    """A serial port as pyserial's ``list_ports`` describes it."""

    device: str
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    interface: int | None = None

    @classmethod
    def of(cls, info) -> "PortInfo":
        return cls(info.device, getattr(info, "description", None) or "", info.vid, info.pid,
                   info.serial_number, _interface_number(info.location, info.interface))

    @property
    def maker(self) -> str | None:
        return MODEM_VENDORS.get(self.vid) or GNSS_VENDORS.get(self.vid)

    @property
    def role(self) -> str:
        """``modem`` (an AT command port), ``gnss`` (NMEA), or ``other``."""
        text = self.description.lower()
        if "nmea" in text or "gps" in text or "gnss" in text:
            return "gnss"
        if " at " in f" {text} " or "at port" in text or "at interface" in text:
            return "modem"
        if self.vid in MODEM_VENDORS:
            if self.vid == 0x2C7C and self.interface is not None:
                return {QUECTEL_AT_INTERFACE: "modem", QUECTEL_NMEA_INTERFACE: "gnss"}.get(
                    self.interface, "other")
            return "modem" if "modem" in text else "other"
        if self.vid in GNSS_VENDORS:
            return "gnss"
        return "other"


def _interface_number(location: str | None, interface: str | None) -> int | None:
    """The USB interface number: the last part of a Linux location (``1-1:1.2`` → 2)."""
    match = re.search(r":\d+\.(\d+)$", location or "")
    if match:
        return int(match.group(1))
    match = re.search(r"(?:MI_|interface\s*)(\d+)", interface or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


def serial_ports() -> list[PortInfo]:
    """The serial ports on this machine (pyserial's ``list_ports``)."""
    from serial.tools import list_ports

    return [PortInfo.of(info) for info in list_ports.comports()]


def default_modem_source(system_name: str | None = None, ports: Iterable[PortInfo] | None = None,
                         which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The modem source a probe uses when its configuration names none.

    On Linux with ModemManager, ``mmcli``; otherwise (Windows has no ModemManager) the AT
    port of a USB modem found by its USB identity, as ``serial:PORT``; ``None`` if none.
    """
    if (system_name or system()) == "Linux" and which("mmcli"):
        return "mmcli"
    ports = serial_ports() if ports is None else list(ports)
    found = [port for port in ports if port.role == "modem"]
    return f"serial:{found[0].device}" if found else None


def default_gnss_port(ports: Iterable[PortInfo] | None = None) -> str | None:
    """The NMEA port of a USB GNSS receiver (or of a modem's GNSS), if one is plugged in."""
    ports = serial_ports() if ports is None else list(ports)
    found = [port for port in ports if port.role == "gnss"]
    return found[0].device if found else None


# -- network interfaces ---------------------------------------------------------------------
def interface_kind(name: str, system_name: str | None = None,
                   sys_class_net: Path = Path("/sys/class/net"),
                   adapters: Mapping[str, Mapping] | None = None) -> str:
    """``wired``, ``wifi``, ``cellular`` or ``unknown``, from the system's own description of
    the interface, not its name: on Linux the kernel's ``/sys/class/net`` (wireless
    extensions, ``DEVTYPE``, the driver: a USB modem's RNDIS/ECM/MBIM/QMI interface is
    cellular though named ``eth1`` or ``usb0``); on Windows the adapter's physical media
    type and description (``Get-NetAdapter``), whatever language its name is in."""
    system_name = system_name or system()
    if system_name == "Linux":
        kind = _linux_interface_kind(sys_class_net / name)
        if kind:
            return kind
    elif system_name == "Windows":
        adapters = windows_adapters() if adapters is None else adapters
        if name in adapters:
            return windows_adapter_kind(adapters[name])
    return interface_kind_from_name(name)


def _linux_interface_kind(path: Path) -> str | None:
    if not path.exists():
        return None
    if (path / "wireless").exists() or (path / "phy80211").exists():
        return "wifi"
    uevent = _read(path / "uevent")
    devtype = re.search(r"^DEVTYPE=(\w+)", uevent, re.MULTILINE)
    if devtype and devtype.group(1) in ("wlan", "wwan"):
        return "wifi" if devtype.group(1) == "wlan" else "cellular"
    driver = (path / "device" / "driver")
    driver_name = driver.resolve().name if driver.exists() else None
    if driver_name in CELLULAR_DRIVERS:
        return "cellular"
    if _read(path / "type").strip() == "512":  # ARPHRD_PPP
        return "cellular"
    if driver_name:
        return "wired"
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


WINDOWS_ADAPTERS = ("Get-NetAdapter | Select-Object Name, InterfaceDescription, "
                    "PhysicalMediaType, NdisPhysicalMedium | ConvertTo-Json")


def windows_adapters() -> dict[str, dict]:
    """Windows' own description of each network adapter, by its (localised) name."""
    import subprocess

    try:
        answer = subprocess.run(["powershell", "-NoProfile", "-Command", WINDOWS_ADAPTERS],
                                capture_output=True, text=True, timeout=15, check=True)
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_windows_adapters(answer.stdout)


def parse_windows_adapters(text: str) -> dict[str, dict]:
    """``Get-NetAdapter … | ConvertTo-Json`` output (one object, or a list) by name."""
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        return {}
    items = data if isinstance(data, list) else [data]
    return {str(item.get("Name")): item for item in items if isinstance(item, dict)}


# NDIS_PHYSICAL_MEDIUM (ntddndis.h): 1 wireless LAN, 8 wireless WAN, 9 native 802.11,
# 14 802.3 (Ethernet); Get-NetAdapter's PhysicalMediaType names them.
_NDIS_MEDIUM = {1: "wifi", 9: "wifi", 8: "cellular", 14: "wired", 0: None}
_CELLULAR_DESCRIPTIONS = ("remote ndis", "rndis", "mobile broadband", "wwan", "mbim", "cdc ecm",
                          "cdc ncm", "quectel", "sierra", "fibocom", "telit", "simcom", "huawei",
                          "zte", "lte", "5g", "4g")


def windows_adapter_kind(adapter: Mapping) -> str:
    """The kind of one Windows adapter from its media type and driver description: a USB
    modem or a phone's tethering (RNDIS/ECM) reports 802.3, so its description decides."""
    description = str(adapter.get("InterfaceDescription") or "").lower()
    if any(re.search(rf"\b{re.escape(word)}\b", description) for word in _CELLULAR_DESCRIPTIONS):
        return "cellular"
    media = str(adapter.get("PhysicalMediaType") or "").lower()
    if "wireless wan" in media:
        return "cellular"
    if "802.11" in media or "wireless lan" in media:
        return "wifi"
    if "802.3" in media:
        return "wired"
    medium = adapter.get("NdisPhysicalMedium")
    return (_NDIS_MEDIUM.get(medium) if isinstance(medium, int) else None) or "unknown"


WIRELESS = ("wl", "wlan", "wi-fi", "wifi", "wireless", "ath", "ra")
CELLULAR = ("ww", "wwan", "rmnet", "cdc", "mbim", "qmi", "usb", "mobile", "cellular", "ppp")
WIRED = ("en", "eth", "ethernet", "lan", "em", "eno", "enp")


def interface_kind_from_name(name: str) -> str:
    """The last resort where the system describes nothing: the interface's name."""
    lowered = name.lower()
    if lowered.startswith(CELLULAR) or "mobile broadband" in lowered or "cellular" in lowered:
        return "cellular"
    if lowered.startswith(WIRELESS) or "wi-fi" in lowered or "wireless" in lowered:
        return "wifi"
    if lowered.startswith(WIRED) or "ethernet" in lowered:
        return "wired"
    return "unknown"
