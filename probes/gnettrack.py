"""G-NetTrack Pro logs: main, events and data-test logs, by header name.

The app's columns are configurable and differ across versions and exports, so
columns are found by name with known aliases, never by position. Its own logs are
tab-separated with CRLF; exported or post-processed ones are often comma-separated
(the delimiter is sniffed from the header). ``-`` and sentinels mean "unknown".
Times are local, ``YYYY.MM.DD_hh.mm.ss`` (ISO 8601 also read). The main and events
logs give signal readings (the events log also the device ``State``: D data, I
idle); the data-test log gives speed tests (``TESTDOWNLINK``/``DL_bitrate`` in
kbit/s). A device that logged any NR row in a file is taken as 5G-capable.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from phusong.errors import InputFormatError

from . import cells
from .importing import ImportOptions, Row, content_id, read_text
from .schema import SIGNAL_LAYER, SPEED_LAYER

KIND = "gnettrack"
TIME_FORMATS = ("%Y.%m.%d_%H.%M.%S", "%Y-%m-%d %H:%M:%S", "%Y.%m.%d %H:%M:%S",
                "%d.%m.%Y %H:%M:%S")
# Store meaning → the header names G-NetTrack versions and exports use for it.
ALIASES = {
    "time": ("Timestamp", "Time", "Date"),
    "lon": ("Longitude", "Lon", "LON"),
    "lat": ("Latitude", "Lat", "LAT"),
    "operator": ("Operator", "MCCMNC", "PLMN", "MCC-MNC"),
    "operator_name": ("Operatorname", "OperatorName", "Carrier"),
    "technology": ("NetworkTech", "NetworkMode", "Technology", "Tech"),
    "level": ("Level", "RSRP", "LTERSRP"),
    "quality": ("Qual", "RSRQ", "LTERSRQ"),
    "snr": ("SNR", "SINR", "RSSNR"),
    "rssi": ("LTERSSI", "RSSI"),
    "node": ("Node", "eNB", "ENB", "eNodeB", "gNB"),
    "cell": ("CellID", "CID", "Cell_ID", "CI"),
    "tac": ("LAC", "TAC"),
    "arfcn": ("ARFCN", "EARFCN", "UARFCN"),
    "pci": ("PSC", "PCI"),
    "band": ("BAND", "Band"),
    "nr_rsrp": ("NRxRSRP", "NR_RSRP", "NRRSRP", "SS_RSRP", "SSRSRP", "NR-RSRP"),
    "nr_rsrq": ("NRxRSRQ", "NR_RSRQ", "NRRSRQ", "SS_RSRQ", "SSRSRQ", "NR-RSRQ"),
    "nr_sinr": ("NRxSINR", "NR_SINR", "NRSINR", "SS_SINR", "SSSINR", "NRxSNR", "NR-SINR"),
    "nr_pci": ("NRxPCI", "NR_PCI", "NRPCI"),
    "nr_arfcn": ("NRxARFCN", "NR_ARFCN", "NRARFCN", "NARFCN"),
    "state": ("State", "DeviceState"),
    "down_kbps": ("TESTDOWNLINK", "DL_bitrate", "DL_BITRATE", "DLBitrate"),
    "up_kbps": ("TESTUPLINK", "UL_bitrate", "UL_BITRATE", "ULBitrate"),
    "ping_ms": ("PINGAVG", "Ping", "PING"),
    "loss_pct": ("PINGLOSS",),
    "jitter_ms": ("PINGSTDEV",),
    "accuracy": ("Accuracy", "GPSAccuracy", "Acc"),
}
STATES = {"D": "data", "I": "idle", "U": "data", "DATA": "data", "IDLE": "idle"}


def _columns(header: list[str]) -> dict[str, int]:
    """Index of each meaning's column, by exact name and then by case-insensitive name."""
    exact = {name.strip(): i for i, name in enumerate(header)}
    folded = {name.strip().casefold(): i for i, name in enumerate(header)}
    found = {}
    for meaning, names in ALIASES.items():
        for name in names:
            if name in exact or name.casefold() in folded:
                found[meaning] = exact.get(name, folded.get(name.casefold()))
                break
    return found


def _delimiter(header_line: str) -> str:
    return max(("\t", ",", ";"), key=header_line.count)


def _time(text: str, options: ImportOptions) -> datetime:
    text = text.strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=options.time_zone) \
                .astimezone(timezone.utc)
        except ValueError:
            continue
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time {text!r} is not YYYY.MM.DD_hh.mm.ss") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=options.time_zone)
    return value.astimezone(timezone.utc)


class _Fields:
    """One row's values by meaning."""

    def __init__(self, values: list[str], columns: dict[str, int]) -> None:
        self.values, self.columns = values, columns

    def text(self, meaning: str) -> str | None:
        i = self.columns.get(meaning)
        if i is None or i >= len(self.values) or cells.missing(self.values[i]):
            return None
        return self.values[i].strip()

    def number(self, meaning: str) -> float | None:
        text = self.text(meaning)
        try:
            return cells.number(text)
        except ValueError:
            raise ValueError(f"{meaning} {text!r} is not a number") from None

    def integer(self, meaning: str) -> int | None:
        value = self.number(meaning)
        return None if value is None else int(value)


def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Rows of a G-NetTrack main, events or data-test log."""
    lines = read_text(path).splitlines()
    if not lines:
        raise InputFormatError(f"{path.name} is empty")
    delimiter = _delimiter(lines[0])
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    columns = _columns(header)
    if not {"time", "lon", "lat"} <= set(columns):
        raise InputFormatError(f"{path.name} is not a G-NetTrack measurement log: its header "
                               "lacks Timestamp, Longitude or Latitude")
    speed = "down_kbps" in columns or "up_kbps" in columns
    layer = SPEED_LAYER if speed else SIGNAL_LAYER
    reader = csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=delimiter)
    parsed = []
    for number, values in enumerate(reader, start=2):
        raw = delimiter.join(values)
        if not any(v.strip() for v in values):
            continue
        try:
            fields = _Fields(values, columns)
            record = _speed_record(fields, options) if speed else _signal_record(fields, options)
            parsed.append(Row(layer, f"line {number}", raw, record))
        except ValueError as exc:
            parsed.append(Row(layer, f"line {number}", raw, reason=str(exc)))
    if not speed:
        capable = any(r.record and r.record["technology"] in ("NR-NSA", "NR-SA") for r in parsed)
        for row in parsed:
            if row.record is not None:
                row.record["device_5g_capable"] = capable
    yield from parsed


def _operator(fields: _Fields) -> str | None:
    """MCC-MNC from the operator column, else from a known operator name (an unknown name
    leaves it blank rather than refuse the row)."""
    code = fields.text("operator")
    if code is not None:
        return cells.operator_code(code)
    try:
        return cells.operator_code(fields.text("operator_name"))
    except ValueError:
        return None


def _position(fields: _Fields) -> tuple[float | None, float | None]:
    lon, lat = fields.number("lon"), fields.number("lat")
    if lon == 0 and lat == 0:
        return None, None
    return lon, lat


def _signal_record(fields: _Fields, options: ImportOptions) -> dict:
    time = _time(fields.text("time") or "", options)
    lon, lat = _position(fields)
    operator = _operator(fields)
    technology = cells.technology(fields.text("technology"))
    level, quality = fields.number("level"), fields.number("quality")
    nr = {"nr_ss_rsrp_dbm": fields.number("nr_rsrp"), "nr_ss_rsrq_db": fields.number("nr_rsrq"),
          "nr_ss_sinr_db": fields.number("nr_sinr")}
    lte = {"lte_rsrp_dbm": None, "lte_rsrq_db": None, "lte_sinr_db": None}
    if technology == "NR":
        # a 5G row with LTE values is NSA (its anchor's values), without them SA
        technology = "NR-NSA" if nr["nr_ss_rsrp_dbm"] is not None and level is not None \
            else "NR-SA"
        if nr["nr_ss_rsrp_dbm"] is None:
            nr = {"nr_ss_rsrp_dbm": level, "nr_ss_rsrq_db": quality,
                  "nr_ss_sinr_db": fields.number("snr")}
            level = quality = None
    if technology in ("LTE", "NR-NSA"):
        lte = {"lte_rsrp_dbm": level, "lte_rsrq_db": quality,
               "lte_sinr_db": fields.number("snr")}
    node, cell = fields.integer("node"), fields.integer("cell")
    eci = node * 256 + cell if technology in ("LTE", "NR-NSA") and node is not None \
        and cell is not None and cell < 256 else None
    enb = node if technology in ("LTE", "NR-NSA") else None
    state = fields.text("state")
    record = {
        "time_utc": time, "lon": lon, "lat": lat, "operator": operator,
        "technology": technology, "probe_id": options.probe_id or KIND,
        "position_source": "gnss" if lon is not None else "none",
        "position_accuracy_m": fields.number("accuracy"),
        "device_state": STATES.get(state.upper(), "unknown") if state else "unknown",
        "cell_id": f"{node}-{cell}" if node is not None and cell is not None else None,
        "pci": fields.integer("pci"), "arfcn": fields.integer("arfcn"),
        "band": fields.text("band"), "rssi_dbm": fields.number("rssi"),
        "tac": fields.integer("tac"), "eci": eci, "enb_id": enb,
        "nr_pci": fields.integer("nr_pci"), "nr_arfcn": fields.integer("nr_arfcn"),
        "site_id": cells.site_key(operator, technology, enb),
        **lte, **nr,
    }
    record["reading_id"] = content_id(KIND, *sorted((k, str(v)) for k, v in record.items()
                                                    if k != "probe_id"))
    return record


def _speed_record(fields: _Fields, options: ImportOptions) -> dict:
    time = _time(fields.text("time") or "", options)
    lon, lat = _position(fields)
    down, up = fields.number("down_kbps"), fields.number("up_kbps")
    if down is None and up is None:
        raise ValueError("no download or upload figure (TESTDOWNLINK/TESTUPLINK)")
    technology = cells.technology(fields.text("technology"))
    record = {
        "time_utc": time, "lon": lon, "lat": lat,
        "operator": _operator(fields),
        "technology": "NR-NSA" if technology == "NR" else technology,
        "probe_id": options.probe_id or KIND, "tool": "gnettrack",
        "position_source": "gnss" if lon is not None else "none",
        "interface_kind": "cellular",
        "download_bps": None if down is None else down * 1000,
        "upload_bps": None if up is None else up * 1000,
        "latency_ms": fields.number("ping_ms"), "jitter_ms": fields.number("jitter_ms"),
        "packet_loss_pct": fields.number("loss_pct"),
    }
    record["reading_id"] = content_id(KIND, "speed", *sorted(
        (k, str(v)) for k, v in record.items() if k != "probe_id"))
    return record
