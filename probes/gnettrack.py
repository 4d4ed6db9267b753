"""G-NetTrack Pro logs: main, events and data-test logs, by header name.

The app's columns are configurable and differ across versions and exports, so
columns are found by name with known aliases, never by position. Its own logs are
tab-separated with CRLF; exported or post-processed ones (such as the published
uccmisl 5G dataset, Raca et al., ACM MMSys 2020) are often comma-separated (the
delimiter is sniffed from the header). ``-`` and sentinels mean "unknown". Times are
local, ``YYYY.MM.DD_hh.mm.ss`` (ISO 8601 also read).

Every row of a main or events log is a signal reading. ``DL_bitrate``/``UL_bitrate``
(kbit/s the phone moved in that second, whatever it was doing) stay on the reading as
throughput samples; ``TESTDOWNLINK``/``TESTUPLINK`` are filled only while a data test
runs, and each run of consecutive rows with them becomes one speed test. A data-test
log (every row a test result, no per-second columns) gives speed tests only. Cell
identities are read in decimal (``Node``, ``CellID``, ``LAC``) or hex (``NODEHEX``,
``CELLHEX``, ``LACHEX``), with ``RAWCELLID`` as the 28-bit ECI.

On a 5G row the serving values (``Level``/``RSRP``, ``Qual``/``RSRQ``, ``SNR``) are the NR
cell's, and app versions that log it give the NSA anchor's LTE values in
``SecondCell_RSRP``/``SecondCell_RSRQ``/``SecondCell_SNR`` (in published logs of the app,
e.g. the "YouTube goes 5G" dataset, 2022, the anchor columns of a 5G row continue the
values of the LTE row before it). Files with named NR columns (``SS_RSRP``, ``NR_RSRP``…)
give the NR leg there and the anchor in the serving columns. ``NRx…``, ``NRxLev1``,
``NARFCN1``… are neighbouring cells (the uccmisl datasets document ``NRxRSRP``/``NRxRSRQ``
as "the neighbouring cell", in their 4G edition of 2017–18 too, before any NR): never read
as NR. An NR value on a row that is not 5G is stale and is not NR evidence; a 5G row with
anchor values but no NR value is the NSA anchor with the NR leg not measured. A device that
logged any 5G row in a file is taken as 5G-capable. ``State``: D data, U upload, I idle,
V voice, VD voice and data.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from phusong.config import COUNTRY_BOUNDS
from phusong.errors import InputFormatError

from phusong.store import cells
from .importing import CUT_SHORT, ImportOptions, Row, content_id, cut_short, read_text
from phusong.store.schema import SIGNAL_LAYER, SPEED_LAYER

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
    "node_hex": ("NODEHEX", "NodeHex"),
    "cell": ("CellID", "CID", "Cell_ID", "CI"),
    "cell_hex": ("CELLHEX", "CellHex"),
    "eci": ("RAWCELLID", "RawCellID", "ECI"),
    "tac": ("LAC", "TAC"),
    "tac_hex": ("LACHEX", "TACHEX", "LacHex"),
    "arfcn": ("ARFCN", "EARFCN", "UARFCN"),
    "pci": ("PSC", "PCI"),
    "band": ("BAND", "Band"),
    "nr_rsrp": ("NR_RSRP", "NRRSRP", "SS_RSRP", "SSRSRP", "NR-RSRP"),
    "nr_rsrq": ("NR_RSRQ", "NRRSRQ", "SS_RSRQ", "SSRSRQ", "NR-RSRQ"),
    "nr_sinr": ("NR_SINR", "NRSINR", "SS_SINR", "SSSINR", "NR-SINR"),
    "nr_pci": ("NR_PCI", "NRPCI"),
    "nr_arfcn": ("NR_ARFCN", "NRARFCN"),
    "anchor_rsrp": ("SecondCell_RSRP",),
    "anchor_rsrq": ("SecondCell_RSRQ",),
    "anchor_snr": ("SecondCell_SNR", "SecondCell_SINR"),
    "state": ("State", "DeviceState"),
    "dl_kbps": ("DL_bitrate", "DL_BITRATE", "DLBitrate"),
    "ul_kbps": ("UL_bitrate", "UL_BITRATE", "ULBitrate"),
    "test_down_kbps": ("TESTDOWNLINK",),
    "test_up_kbps": ("TESTUPLINK",),
    "ping_ms": ("PINGAVG", "Ping", "PING"),
    "loss_pct": ("PINGLOSS",),
    "jitter_ms": ("PINGSTDEV",),
    "accuracy": ("Accuracy", "GPSAccuracy", "Acc"),
}
NR_MEANINGS = ("nr_rsrp", "nr_rsrq", "nr_sinr", "nr_pci", "nr_arfcn")
NR_FIELDS = {"nr_rsrp": "nr_ss_rsrp_dbm", "nr_rsrq": "nr_ss_rsrq_db", "nr_sinr": "nr_ss_sinr_db",
             "nr_pci": "nr_pci", "nr_arfcn": "nr_arfcn"}
TEST_MEANINGS = ("test_down_kbps", "test_up_kbps")
STATES = {"D": "data", "U": "data", "I": "idle", "V": "voice", "VD": "data", "DV": "data",
          "DATA": "data", "IDLE": "idle", "VOICE": "voice"}
# Rows of one data test follow each other; a longer pause starts another test.
TEST_GAP = timedelta(seconds=5)


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
        i = self.columns.get(meaning)
        if i is None or i >= len(self.values):
            return None
        try:
            return cells.number(self.values[i])
        except ValueError:
            raise ValueError(f"{meaning} {self.values[i].strip()!r} is not a number") from None

    def integer(self, meaning: str) -> int | None:
        value = self.number(meaning)
        return None if value is None else int(value)

    def hex_or_decimal(self, hex_meaning: str, meaning: str) -> int | None:
        """An identity from its hex column, else its decimal one."""
        text = self.text(hex_meaning)
        if text is not None:
            try:
                return int(text.lower().removeprefix("0x"), 16)
            except ValueError:
                raise ValueError(f"{hex_meaning} {text!r} is not hexadecimal") from None
        return self.integer(meaning)


def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Rows of a G-NetTrack main, events or data-test log (see the module documentation)."""
    text = read_text(path)
    lines = text.splitlines()
    if not lines:
        raise InputFormatError(f"{path.name} is empty")
    delimiter = _delimiter(lines[0])
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    columns = _columns(header)
    if not {"time", "lon", "lat"} <= set(columns):
        raise InputFormatError(f"{path.name} is not a G-NetTrack measurement log: its header "
                               "lacks Timestamp, Longitude or Latitude")
    records = list(_records(lines, delimiter))
    # a file cut inside its last line cuts the record that line ends (none if it ends a blank
    # one, such as the opening quote of a record never written)
    cut_record = cut_short(text) and bool(records) and records[-1][1] == len(lines)
    rows = [(f"line {start}", delimiter.join(values), _Fields(values, columns))
            for start, _, values in records]
    cut = rows.pop() if cut_record else None
    has_tests = any(m in columns for m in TEST_MEANINGS)
    tested = [any(fields.text(m) is not None for m in TEST_MEANINGS) for *_, fields in rows]
    data_test = has_tests and "dl_kbps" not in columns and "state" not in columns and all(tested)
    if cut is not None:
        yield Row(SPEED_LAYER if data_test else SIGNAL_LAYER, cut[0], cut[1], reason=CUT_SHORT)
    if data_test:
        yield from _data_test_rows(rows, options)
        return
    signal = list(_signal_rows(rows, columns, options))
    _warn_time_zone(path, [r.record for r in signal if r.record is not None], options)
    yield from signal
    if has_tests:
        yield from _test_runs(rows, tested, options)


def _records(lines: list[str], delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each non-empty record after the header, with the file lines it starts and ends on (a
    quoted value may hold a line break: the published "YouTube goes 5G" logs quote each
    time after one)."""
    reader = csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=delimiter)
    while True:
        start = reader.line_num + 2
        values = next(reader, None)
        if values is None:
            return
        if any(v.strip() for v in values):
            yield start, reader.line_num + 1, values


def _signal_rows(rows: list[tuple[str, str, _Fields]], columns: dict[str, int],
                 options: ImportOptions) -> Iterator[Row]:
    parsed = []
    has_nr = any(m in columns for m in NR_MEANINGS)
    for locator, raw, fields in rows:
        try:
            parsed.append(Row(SIGNAL_LAYER, locator, raw, _signal_record(fields, has_nr,
                                                                        options)))
        except ValueError as exc:
            parsed.append(Row(SIGNAL_LAYER, locator, raw, reason=str(exc)))
    capable = any(r.record and r.record["technology"] in ("NR-NSA", "NR-SA") for r in parsed)
    for row in parsed:
        if row.record is not None:
            row.record["device_5g_capable"] = capable
    return iter(parsed)


def _data_test_rows(rows: list[tuple[str, str, _Fields]], options: ImportOptions
                    ) -> Iterator[Row]:
    for locator, raw, fields in rows:
        try:
            yield Row(SPEED_LAYER, locator, raw, _speed_record([fields], options))
        except ValueError as exc:
            yield Row(SPEED_LAYER, locator, raw, reason=str(exc))


def _test_runs(rows: list[tuple[str, str, _Fields]], tested: list[bool],
               options: ImportOptions) -> Iterator[Row]:
    """One speed test per run of consecutive rows with data-test values."""
    run: list[tuple[str, str, _Fields]] = []
    last: datetime | None = None
    for row, has_test in zip(rows + [None], tested + [False]):
        when = _row_time(row[2], options) if has_test else None
        if run and (not has_test or when is None or last is None or when - last > TEST_GAP):
            locator = run[0][0] if len(run) == 1 else f"{run[0][0]}–{run[-1][0].split()[-1]}"
            raw = "\n".join(r[1] for r in run)
            try:
                yield Row(SPEED_LAYER, locator, raw, _speed_record([r[2] for r in run], options))
            except ValueError as exc:
                yield Row(SPEED_LAYER, locator, raw, reason=str(exc))
            run = []
        if has_test:
            run.append(row)
            last = when


def _row_time(fields: _Fields, options: ImportOptions) -> datetime | None:
    try:
        return _time(fields.text("time") or "", options)
    except ValueError:
        return None


def _warn_time_zone(path: Path, records: list[dict], options: ImportOptions) -> None:
    """Local times read in the default zone while positions lie abroad: say so."""
    if options.time_zone_given:
        return
    west, south, east, north = COUNTRY_BOUNDS
    abroad = sum(1 for r in records if r["lon"] is not None and r["lat"] is not None and not (
        west <= r["lon"] <= east and south <= r["lat"] <= north))
    if abroad:
        options.notes.append(
            f"{path.name}: {abroad} readings lie outside Vietnam, but their local times were "
            f"read as {options.time_zone}: give the log's time zone with --tz (e.g. "
            "--tz Europe/Dublin) or the times are shifted")


def _operator(fields: _Fields) -> tuple[str | None, str | None]:
    """MCC-MNC from the operator column or a known operator name; else the source's name
    of it (an anonymised "A"), kept apart rather than made unknown."""
    name = fields.text("operator_name")
    for text in (fields.text("operator"), name):
        try:
            code = cells.operator_code(text)
        except ValueError:
            continue
        if code is not None:
            return code, None
    return None, name or fields.text("operator")


def _position(fields: _Fields) -> tuple[float | None, float | None]:
    lon, lat = fields.number("lon"), fields.number("lat")
    if lon == 0 and lat == 0:
        return None, None
    return lon, lat


def _technology(fields: _Fields, notes: list[str]) -> str | None:
    try:
        return cells.technology(fields.text("technology"))
    except ValueError:
        notes.append(f"technology {fields.text('technology')!r} not known")
        return None


def _legs(fields: _Fields, technology: str | None, has_nr: bool, notes: list[str]
          ) -> tuple[str | None, dict, dict]:
    """The row's technology, its NR values and its LTE values (see the module documentation).

    A 5G row with a named NR column's value is NSA when it also has serving values (the
    anchor's), else SA; with named NR columns but none on the row, the NSA anchor. Without
    named NR columns its serving values are the NR leg's, NSA when the anchor columns hold
    a value. A row the source calls NSA or SA keeps that name. NR values on rows of other
    technologies are stale: left out, and named in ``nulled_fields``.
    """
    nr = {NR_FIELDS[m]: fields.number(m) if m in ("nr_rsrp", "nr_rsrq", "nr_sinr")
          else fields.integer(m) for m in NR_MEANINGS}
    serving = _lte_values(fields.number("level"), fields.number("quality"),
                          fields.number("snr"))
    if technology not in ("NR", "NR-NSA", "NR-SA"):
        given = {k: v for k, v in nr.items() if v is not None}
        if given:
            notes.append("stale NR values on a " + (technology or "unknown") + " row: "
                         + ", ".join(f"{k}={v:g}" for k, v in given.items()))
        return technology, dict.fromkeys(nr), serving if technology == "LTE" else _lte_values()
    if has_nr:
        lte = serving
    else:
        nr.update(zip(("nr_ss_rsrp_dbm", "nr_ss_rsrq_db", "nr_ss_sinr_db"), serving.values()))
        lte = _lte_values(fields.number("anchor_rsrp"), fields.number("anchor_rsrq"),
                          fields.number("anchor_snr"))
    standalone = nr["nr_ss_rsrp_dbm"] is not None and lte["lte_rsrp_dbm"] is None
    if technology == "NR":
        technology = "NR-SA" if standalone else "NR-NSA"
    return technology, nr, _lte_values() if technology == "NR-SA" else lte


def _lte_values(rsrp: float | None = None, rsrq: float | None = None,
                sinr: float | None = None) -> dict:
    return {"lte_rsrp_dbm": rsrp, "lte_rsrq_db": rsrq, "lte_sinr_db": sinr}


def _identity(fields: _Fields, technology: str | None) -> dict:
    """Cell identity: eNB, local cell, ECI, TAC from decimal or hex columns."""
    node = fields.hex_or_decimal("node_hex", "node")
    cell = fields.hex_or_decimal("cell_hex", "cell")
    tac = fields.hex_or_decimal("tac_hex", "tac")
    lte = technology in ("LTE", "NR-NSA")
    eci = fields.integer("eci") if lte else None
    if eci is None and lte and node is not None and cell is not None and cell < 256:
        eci = node * 256 + cell
    if eci is not None and lte:
        node, cell = cells.lte_site(eci), eci & 0xFF
    return {"cell_id": f"{node}-{cell}" if node is not None and cell is not None else None,
            "tac": tac, "eci": eci, "enb_id": node if lte else None}


def _signal_record(fields: _Fields, has_nr: bool, options: ImportOptions) -> dict:
    time = _time(fields.text("time") or "", options)
    lon, lat = _position(fields)
    operator, operator_name = _operator(fields)
    notes: list[str] = []
    technology, nr, lte = _legs(fields, _technology(fields, notes), has_nr, notes)
    identity = _identity(fields, technology)
    state = fields.text("state")
    record = {
        "time_utc": time, "lon": lon, "lat": lat, "operator": operator,
        "operator_name": operator_name, "technology": technology,
        "probe_id": options.probe_id or KIND,
        "position_source": "gnss" if lon is not None else "none",
        "position_accuracy_m": fields.number("accuracy"),
        "device_state": STATES.get(state.upper(), "unknown") if state else "unknown",
        "pci": fields.integer("pci"), "arfcn": fields.integer("arfcn"),
        "band": fields.text("band"), "rssi_dbm": fields.number("rssi"),
        "dl_throughput_kbps": fields.number("dl_kbps"),
        "ul_throughput_kbps": fields.number("ul_kbps"),
        # the eNB of an LTE row or of an NSA anchor: an LTE site
        "site_id": cells.site_key(operator or operator_name, "LTE", identity["enb_id"]),
        "nulled_fields": "; ".join(notes) or None,
        **identity, **lte, **nr,
    }
    record["reading_id"] = content_id(KIND, *sorted((k, str(v)) for k, v in record.items()
                                                    if k != "probe_id"))
    return record


def _speed_record(run: list[_Fields], options: ImportOptions) -> dict:
    """A data test from its rows: started at the first, its result in the last."""
    first, result = run[0], run[-1]
    time = _time(first.text("time") or "", options)
    end = _time(result.text("time") or "", options)
    lon, lat = _position(first)
    down, up = result.number("test_down_kbps"), result.number("test_up_kbps")
    if down is None and up is None:
        raise ValueError("no download or upload figure (TESTDOWNLINK/TESTUPLINK)")
    technology = cells.technology(first.text("technology"))
    operator, operator_name = _operator(first)
    record = {
        "time_utc": time, "end_utc": end if end > time else None, "lon": lon, "lat": lat,
        "operator": operator, "operator_name": operator_name,
        "technology": "NR-NSA" if technology == "NR" else technology,
        "probe_id": options.probe_id or KIND, "tool": "gnettrack", "status": "ok",
        "position_source": "gnss" if lon is not None else "none",
        "interface_kind": "cellular",
        "download_bps": None if down is None else down * 1000,
        "upload_bps": None if up is None else up * 1000,
        "latency_ms": result.number("ping_ms"), "jitter_ms": result.number("jitter_ms"),
        "packet_loss_pct": result.number("loss_pct"),
    }
    record["reading_id"] = content_id(KIND, "speed", *sorted(
        (k, str(v)) for k, v in record.items() if k != "probe_id"))
    return record
