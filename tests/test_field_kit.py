"""The field kit on the machines staff use: probe configuration as people write it, the
modem and GPS named by what they answer, Windows' paths, consoles and adapters.

Serial devices are real pseudo-terminals (:mod:`fake_devices`); the Windows adapter list
and the Linux ``/sys/class/net`` entries are written in their documented forms
(Microsoft's ``Get-NetAdapter`` properties; the kernel's sysfs-class-net ABI), as neither
Windows nor USB network adapters exist on this machine.
"""
from __future__ import annotations

import io
import json
import sys

import pytest

from helpers import run_cli
from phusong.errors import ConfigError
from phusong.host import (PortInfo, configure_stream, default_gnss_port, default_modem_source,
                          interface_kind, marks, parse_windows_adapters, user_data_dir,
                          windows_adapter_kind)
from phusong.i18n import localise
from phusong.probes.probe import ProbeConfig
from phusong.probes.sources import looks_like_nmea

pty_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")


def test_misspelt_keys_are_named_with_the_key_meant(tmp_path):
    path = tmp_path / "probe.toml"
    path.write_text('probe_id = "x"\n[postion]\nlat = 21.2\n[speed]\nserver_ur = "http://a"\n'
                    'every_minute = 10\n[modem]\nsource = "replay:x"\ntimeout = 3\n',
                    encoding="utf-8")
    warnings = ProbeConfig.load(path).warnings
    assert "unknown key postion: did you mean position?" in warnings
    assert "unknown key speed.server_ur: did you mean server_url?" in warnings
    assert "unknown key speed.every_minute: did you mean every_minutes?" in warnings
    assert "unknown key modem.timeout: did you mean timeout_s?" in warnings
    assert localise(warnings[0], "vi").startswith("khoá không xác định postion: có phải ý bạn")


def test_decimal_commas_are_read_and_words_refused(tmp_path):
    path = tmp_path / "probe.toml"
    path.write_text('[position]\nlat = "21,27"\nlon = "106,19"\n[speed]\nplan_down_mbps = 1000\n',
                    encoding="utf-8")
    config = ProbeConfig.load(path)
    assert (config.lat, config.lon, config.plan_down_mbps, config.warnings) == \
        (21.27, 106.19, 1000.0, [])
    path.write_text('[position]\nlat = "hai mốt"\nlon = 106.19\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[position\] lat = 'hai mốt' is not a number"):
        ProbeConfig.load(path)


def test_probe_check_warns_on_keys_and_refuses_a_bad_number(tmp_path):
    path = tmp_path / "probe.toml"
    path.write_text('[position]\nlat = "21,27"\nlon = 106.19\nbuad = 9600\n[modem]\n'
                    f'source = "replay:{tmp_path / "none.txt"}"\n', encoding="utf-8")
    proc = run_cli("--lang", "vi", "probe", "check", "--config", str(path), check=False)
    out = " ".join(proc.stdout.decode().split())
    assert "position.buad: có phải ý bạn là baud?" in out
    assert "21.27000, 106.19000" in out  # the comma read as a decimal point
    assert proc.returncode == 1  # the replay file is missing
    path.write_text('[position]\nlat = "x"\nlon = 106.19\n', encoding="utf-8")
    proc = run_cli("--lang", "en", "probe", "check", "--config", str(path), check=False)
    assert proc.returncode == 1
    assert "is not a number" in proc.stdout.decode() and "Traceback" not in proc.stderr.decode()


@pty_only
def test_check_names_a_modem_by_its_answer_and_a_gps_port_as_no_modem():
    from fake_devices import FakeGps, FakeModem
    from phusong.probes.self_check import identify_serial_modem

    with FakeModem() as modem, FakeGps() as gps:
        ok, key, values = identify_serial_modem(modem.name)
        assert (ok, key) == (True, "check.modem_ok")
        assert "Quectel RM520N-GL" in values["detail"]  # ATI's answer in the real capture
        ok, key, values = identify_serial_modem(gps.name)
        assert (ok, key) == (False, "check.modem_not_modem")
        assert "NMEA" in values["detail"]


@pty_only
def test_probe_init_writes_a_config_that_check_accepts(tmp_path):
    from fake_devices import FakeGps, FakeModem
    from phusong.probes.self_check import check_modem, check_position
    from phusong.probes.setup import probe_toml

    with FakeModem() as modem, FakeGps() as gps:
        ports = [PortInfo.of(modem.ports()[0]),
                 PortInfo(gps.name, "u-blox 7 - GPS/GNSS Receiver", 0x1546, 0x01A7)]
        text = probe_toml("laptop-7", ports, [("eth1", "cellular")],
                          default_modem_source("Windows", ports), default_gnss_port(ports))
        path = tmp_path / "probe.toml"
        path.write_text(text, encoding="utf-8")
        config = ProbeConfig.load(path)
        assert config.warnings == [] and config.probe_id == "laptop-7"
        assert (config.modem, config.nmea) == (f"serial:{modem.name}", gps.name)
        assert check_modem(config)[0] is True and check_position(config)[0] is True


def test_probe_init_never_writes_over_a_file_it_did_not_make(tmp_path):
    path = tmp_path / "probe.toml"
    run_cli("probe", "init", "--out", str(path), "--probe-id", "a")
    assert 'probe_id = "a"' in path.read_text(encoding="utf-8")
    ProbeConfig.load(path)  # the written template is a valid configuration
    run_cli("probe", "init", "--out", str(path), "--probe-id", "b")  # its own, unchanged
    edited = path.read_text(encoding="utf-8").replace("interval_s = 1.0", "interval_s = 2.0")
    path.write_text(edited, encoding="utf-8")
    proc = run_cli("probe", "init", "--out", str(path), check=False)
    assert proc.returncode == 1 and path.read_text(encoding="utf-8") == edited


def test_modem_and_gnss_ports_by_usb_identity():
    linux = [PortInfo("/dev/ttyUSB1", "RM500Q-GL", 0x2C7C, 0x0800, None, 1),
             PortInfo("/dev/ttyUSB2", "RM500Q-GL", 0x2C7C, 0x0800, None, 2),
             PortInfo("/dev/ttyS0", "n/a")]
    windows = [PortInfo("COM6", "Quectel USB NMEA Port (COM6)", 0x2C7C, 0x0800),
               PortInfo("COM5", "Quectel USB AT Port (COM5)", 0x2C7C, 0x0800),
               PortInfo("COM3", "Prolific USB-to-Serial Comm Port (COM3)", 0x067B, 0x2303)]
    assert default_modem_source("Windows", windows) == "serial:COM5"
    assert default_modem_source("Linux", linux, which=lambda _: None) == "serial:/dev/ttyUSB2"
    assert default_modem_source("Linux", linux, which=lambda _: "/usr/bin/mmcli") == "mmcli"
    assert default_modem_source("Windows", [PortInfo("COM1", "Communications Port")]) is None
    assert default_gnss_port(linux) == "/dev/ttyUSB1" and default_gnss_port(windows) == "COM6"


def test_windows_keeps_its_files_in_local_app_data(tmp_path):
    env = {"LOCALAPPDATA": r"C:\Users\lan\AppData\Local"}
    assert str(user_data_dir("Windows", env, tmp_path)).endswith("Local/phusong") or \
        str(user_data_dir("Windows", env, tmp_path)).endswith(r"Local\phusong")
    assert user_data_dir("Linux", {}, tmp_path) == tmp_path / ".phusong"
    assert user_data_dir("Windows", {"PHUSONG_HOME": str(tmp_path)}, tmp_path) == tmp_path


def test_a_windows_code_page_prints_marks_and_vietnamese_in_utf8():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    configure_stream(stream, "Windows")
    ok, fail = marks(stream.encoding)
    stream.write(f"{ok} {fail} Đã lưu")
    stream.flush()
    assert raw.getvalue().decode("utf-8") == "✓ ✗ Đã lưu"
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    configure_stream(stream, "Linux")  # left in its encoding, but it never raises
    ok, fail = marks(stream.encoding)
    assert (ok, fail) == ("[OK]", "[X]")
    stream.write("Đã lưu")
    stream.flush()


def test_interface_kinds_from_the_kernel_not_the_name(tmp_path):
    net = tmp_path / "net"
    drivers = tmp_path / "drivers"
    for name, driver in (("eth1", "rndis_host"), ("enp3s0", "e1000e"), ("usb0", "cdc_ether")):
        (drivers / driver).mkdir(parents=True, exist_ok=True)
        (net / name / "device").mkdir(parents=True)
        (net / name / "device" / "driver").symlink_to(drivers / driver)
        (net / name / "uevent").write_text(f"INTERFACE={name}\n", encoding="ascii")
    (net / "wlp2s0" / "wireless").mkdir(parents=True)
    (net / "wwan0").mkdir()
    (net / "wwan0" / "uevent").write_text("DEVTYPE=wwan\nINTERFACE=wwan0\n", encoding="ascii")
    kinds = {name: interface_kind(name, "Linux", net)
             for name in ("eth1", "enp3s0", "usb0", "wlp2s0", "wwan0")}
    assert kinds == {"eth1": "cellular", "enp3s0": "wired", "usb0": "cellular",
                     "wlp2s0": "wifi", "wwan0": "cellular"}


def test_windows_adapter_kinds_whatever_the_language_of_their_names():
    adapters = parse_windows_adapters(json.dumps([
        {"Name": "Ethernet 3", "InterfaceDescription": "Remote NDIS based Internet Sharing Device",
         "PhysicalMediaType": "802.3", "NdisPhysicalMedium": 14},
        {"Name": "Kết nối mạng cục bộ", "InterfaceDescription": "Realtek PCIe GbE Family "
         "Controller", "PhysicalMediaType": "802.3", "NdisPhysicalMedium": 14},
        {"Name": "Mạng không dây", "InterfaceDescription": "Intel(R) Wi-Fi 6 AX201 160MHz",
         "PhysicalMediaType": "Native 802.11", "NdisPhysicalMedium": 9},
        {"Name": "Di động", "InterfaceDescription": "Generic Mobile Broadband Adapter",
         "PhysicalMediaType": "Wireless WAN", "NdisPhysicalMedium": 8}], ensure_ascii=False))
    kinds = {name: interface_kind(name, "Windows", adapters=adapters) for name in adapters}
    assert kinds == {"Ethernet 3": "cellular", "Kết nối mạng cục bộ": "wired",
                     "Mạng không dây": "wifi", "Di động": "cellular"}
    one = parse_windows_adapters('{"Name": "Wi-Fi", "PhysicalMediaType": "Native 802.11"}')
    assert windows_adapter_kind(one["Wi-Fi"]) == "wifi" and parse_windows_adapters("junk") == {}


def test_nmea_is_told_from_bytes_read_at_the_wrong_baud_rate():
    from pathlib import Path

    real = (Path(__file__).parent / "fixtures" / "real" / "gpsd" / "bu353s4.log").read_bytes()
    assert looks_like_nmea(real)
    assert not looks_like_nmea(bytes(range(256)) * 8)
    corrupted = b"$GPRMC,120000.00,A,2116.200,N,10611.400,E,0.0,0.0,010125,,,A*00\r\n"
    assert not looks_like_nmea(corrupted)  # a checksum that does not add up
