"""Signal readings from cellular modems: Quectel AT answers and ModemManager's JSON.

Quectel (``AT+QENG="servingcell"`` in its LTE, NR5G-SA and EN-DC forms, single-line
and multi-line; ``AT+QENG="neighbourcell"``; ``AT+QNWINFO``; ``AT+QSPN``; ``AT+CSQ``;
``AT+CESQ``; ``ATI``) and ModemManager (``mmcli -m any --signal-get -J``, and
``mmcli -m any -J`` for the operator and technology). The same parser reads a live
modem's answer and a saved one, so captures can be replayed. Field orders follow
Quectel's documentation, checked against the captures in tests/fixtures/real/modem
(note the EN-DC NR line's RSRP, SINR, RSRQ order, and RSRQ before RSRP in neighbour
lines). Some firmware reports NR SINR in tenths of a dB (180 for 18 dB): values above
40 dB are read as tenths, and the raw answer and the modem model are kept with each
reading so a wrong guess can be redone. Quectel's -32768 ("not available", e.g. every
field of an idle EN-DC NR leg) is a missing value, so the LTE anchor stays a reading.
Values outside the 3GPP ranges are left to the store, which nulls them (or quarantines a
reading whose RSRP is impossible) with the reason.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from phusong.errors import InputFormatError
from phusong.store import cells

STATES = {"CONNECT": "data", "NOCONN": "idle"}
MAX_SINR_DB = 40.0


@dataclass
class ModemReading:
    """One answer's reading: values for the store's signal layer, and neighbour cells."""

    values: dict[str, Any] = field(default_factory=dict)
    neighbours: list[dict[str, Any]] = field(default_factory=list)
    raw: str = ""

    def record(self) -> dict[str, Any]:
        return {**self.values, "source_record": self.raw}


def _fields(line: str) -> list[str]:
    body = line.split(":", 1)[1] if ":" in line else line
    return [f.strip().strip('"') for f in body.split(",")]


def _int(text: str | None, base: int = 10) -> int | None:
    if text is None or cells.missing(text):
        return None
    try:
        return int(text, base)
    except ValueError:
        return None


def _num(text: str | None) -> float | None:
    try:
        return cells.number(text)
    except ValueError:
        return None


def _sinr(text: str | None) -> float | None:
    value = _num(text)
    if value is not None and abs(value) > MAX_SINR_DB:
        value /= 10  # firmware reporting tenths of a dB
    return value


def _plmn(mcc: str | None, mnc: str | None) -> str | None:
    if mcc is None or mnc is None or cells.missing(mcc) or cells.missing(mnc):
        return None
    return f"{mcc.zfill(3)}-{mnc.zfill(2)}"


def _lte(fields: list[str]) -> dict[str, Any]:
    """``"LTE",<is_tdd>,<MCC>,<MNC>,<cellID hex>,<PCID>,<earfcn>,<band>,<UL_bw>,<DL_bw>,
    <TAC hex>,<RSRP>,<RSRQ>,<RSSI>,<SINR>,…`` (fields from "LTE" on)."""
    get = lambda i: fields[i] if i < len(fields) else None  # noqa: E731
    eci = _int(get(4), 16)
    operator = _plmn(get(2), get(3))
    return {"operator": operator, "eci": eci, "enb_id": cells.lte_site(eci),
            "cell_id": None if eci is None else str(eci), "pci": _int(get(5)),
            "arfcn": _int(get(6)), "band": None if get(7) is None else f"B{get(7)}",
            "tac": _int(get(10), 16), "lte_rsrp_dbm": _num(get(11)),
            "lte_rsrq_db": _num(get(12)), "rssi_dbm": _num(get(13)),
            "lte_sinr_db": _sinr(get(14)),
            "site_id": cells.site_key(operator, "LTE", cells.lte_site(eci))}


def _nr_nsa(fields: list[str]) -> dict[str, Any]:
    """``"NR5G-NSA",<MCC>,<MNC>,<PCID>,<RSRP>,<SINR>,<RSRQ>,<ARFCN>,<band>,…``."""
    get = lambda i: fields[i] if i < len(fields) else None  # noqa: E731
    return {"nr_pci": _int(get(3)), "nr_ss_rsrp_dbm": _num(get(4)),
            "nr_ss_sinr_db": _sinr(get(5)), "nr_ss_rsrq_db": _num(get(6)),
            "nr_arfcn": _int(get(7))}


def _nr_sa(fields: list[str], gnb_id_bits: int) -> dict[str, Any]:
    """``"NR5G-SA",<duplex>,<MCC>,<MNC>,<cellID hex>,<PCID>,<TAC hex>,<ARFCN>,<band>,
    <NR_DL_bw>,<RSRP>,<RSRQ>,<SINR>,…``."""
    get = lambda i: fields[i] if i < len(fields) else None  # noqa: E731
    nci = _int(get(4), 16)
    operator = _plmn(get(2), get(3))
    gnb = cells.nr_site(nci, gnb_id_bits)
    return {"operator": operator, "nci": nci, "gnb_id": gnb,
            "gnb_id_bits": gnb_id_bits if nci is not None else None,
            "cell_id": None if nci is None else str(nci), "nr_pci": _int(get(5)),
            "tac": _int(get(6), 16), "nr_arfcn": _int(get(7)),
            "band": None if get(8) is None else f"n{get(8)}", "nr_ss_rsrp_dbm": _num(get(10)),
            "nr_ss_rsrq_db": _num(get(11)), "nr_ss_sinr_db": _sinr(get(12)),
            "site_id": cells.site_key(operator, "NR", gnb)}


def _neighbour(fields: list[str]) -> dict[str, Any]:
    """``"neighbourcell intra|inter","LTE",<earfcn>,<PCI>,<RSRQ>,<RSRP>,<RSSI>,<SINR>,…``
    and the NR form ``…,"NR",<ARFCN>,<PCI>,<RSRP>,<SINR>,<RSRQ>``."""
    get = lambda i: fields[i] if i < len(fields) else None  # noqa: E731
    relation = fields[0].replace("neighbourcell", "").strip() or None
    if get(1) == "LTE":
        return {"technology": "LTE", "relation": relation, "arfcn": _int(get(2)),
                "pci": _int(get(3)), "rsrq_db": _num(get(4)), "rsrp_dbm": _num(get(5)),
                "rssi_dbm": _num(get(6)), "sinr_db": _sinr(get(7))}
    return {"technology": "NR-NSA", "relation": relation, "arfcn": _int(get(2)),
            "pci": _int(get(3)), "rsrp_dbm": _num(get(4)), "sinr_db": _sinr(get(5)),
            "rsrq_db": _num(get(6))}


def parse_at(answer: str, gnb_id_bits: int = 24) -> ModemReading:
    """The last reading in a Quectel modem's answers (see :func:`parse_at_log`)."""
    readings = parse_at_log(answer, gnb_id_bits)
    return readings[-1] if readings else ModemReading(raw=answer.strip())


def parse_at_log(text: str, gnb_id_bits: int = 24) -> list[ModemReading]:
    """Every reading in a log of a Quectel modem's answers: each ``servingcell`` answer
    starts one; neighbour, network and quality answers join the current one."""
    readings: list[ModemReading] = []
    context: dict[str, Any] = {}
    lines: list[str] = []
    current: _Poll | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip().strip("'")
        if line.startswith("response:"):
            line = line.split(":", 1)[1].strip().strip("'")
        lines.append(raw_line)
        upper = line.upper()
        fields = _fields(line) if upper.startswith("+") else []
        if upper.startswith("+QENG:") and fields and fields[0] == "servingcell":
            if current is not None:
                readings.append(current.finish(context))
            current, lines = _Poll(gnb_id_bits), [raw_line]
            current.serving(fields)
        elif upper.startswith("+QENG:") and current is not None:
            current.other(fields)
        elif upper.startswith("+QNWINFO:") and len(fields) > 1 and fields[1]:
            _read_operator(fields[1], context)
        elif upper.startswith("+CSQ:"):
            level = _int(fields[0])
            if level is not None and level != 99:
                context["rssi_dbm"] = -113.0 + 2 * level
        elif upper.startswith("+CESQ:"):
            context.update(cesq(line))
        elif re.match(r"^(RM|RG|EM|EC|EG|BG)\d{2,3}[A-Z0-9-]*$", line):
            context["device_model"] = f"Quectel {line}"
        if current is not None:
            current.raw = "\n".join(lines)
    if current is not None:
        readings.append(current.finish(context))
    elif context.get("lte_rsrp_dbm") is not None or context.get("rssi_dbm") is not None:
        poll = _Poll(gnb_id_bits)
        poll.raw = text.strip()
        poll.technologies.add("LTE") if context.get("lte_rsrp_dbm") is not None else None
        readings.append(poll.finish(context))
    return readings


def _read_operator(text: str, context: dict[str, Any]) -> None:
    """The operator of a ``+QNWINFO`` answer into ``context``; an unreadable one (a garbled
    serial line) is left out and named in ``nulled_fields``, and the reading kept."""
    try:
        context["operator"] = cells.operator_code(text)
        context.pop("nulled_fields", None)
    except ValueError as exc:
        context.pop("operator", None)
        context["nulled_fields"] = str(exc)


class _Poll:
    """One ``servingcell`` answer being read."""

    def __init__(self, gnb_id_bits: int) -> None:
        self.gnb_id_bits = gnb_id_bits
        self.values: dict[str, Any] = {}
        self.neighbours: list[dict[str, Any]] = []
        self.technologies: set[str] = set()
        self.state: str | None = None
        self.raw = ""

    def serving(self, fields: list[str]) -> None:
        self.state = fields[1] if len(fields) > 1 else None
        if len(fields) > 2:
            self.other(fields[2:])

    def other(self, fields: list[str]) -> None:
        kind = fields[0] if fields else ""
        if kind == "LTE":
            self.values.update(_lte(fields))
            self.technologies.add("LTE")
        elif kind == "NR5G-NSA":
            self.values.update(_nr_nsa(fields))
            self.technologies.add("NR-NSA")
        elif kind == "NR5G-SA":
            self.values.update(_nr_sa(fields, self.gnb_id_bits))
            self.technologies.add("NR-SA")
        elif kind.startswith("neighbourcell"):
            self.neighbours.append(_neighbour(fields))

    def finish(self, context: dict[str, Any]) -> ModemReading:
        values = {**{k: v for k, v in context.items() if k not in self.values}, **self.values}
        if "NR-SA" in self.technologies:
            values["technology"] = "NR-SA"
        elif "NR-NSA" in self.technologies and values.get("nr_ss_rsrp_dbm") is not None:
            values["technology"] = "NR-NSA"
        elif "LTE" in self.technologies:
            values["technology"] = "LTE"
        values["device_state"] = STATES.get((self.state or "").upper(), "unknown")
        model = values.get("device_model", "")
        values["device_5g_capable"] = bool(self.technologies & {"NR-NSA", "NR-SA"}) or \
            bool(re.search(r"\b(RM5|RG5|RM2)", model))
        return ModemReading(values, self.neighbours, self.raw.strip())


def cesq(line: str) -> dict[str, Any]:
    """``+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>`` (3GPP TS 27.007): LTE RSRP =
    −141 + rsrp, RSRQ = −20 + rsrq/2; 255 is unknown."""
    fields = [_int(f) for f in _fields(line)]
    fields += [None] * (6 - len(fields))
    out: dict[str, Any] = {}
    if fields[5] not in (None, 255):
        out["lte_rsrp_dbm"] = -141.0 + fields[5]
    if fields[4] not in (None, 255):
        out["lte_rsrq_db"] = -20.0 + 0.5 * fields[4]
    return out


def _mm_value(text: Any) -> float | None:
    if text is None or str(text).strip() in ("--", ""):
        return None
    return _num(str(text))


def parse_mmcli(signal_json: str, modem_json: str | None = None) -> ModemReading:
    """A reading from ``mmcli --signal-get -J`` (``modem.signal`` or a bare ``signal``
    object), with the operator and technology from ``mmcli -m any -J`` when given."""
    data = _json_object(signal_json, "mmcli --signal-get -J")
    signal = _object(data.get("modem", data)).get("signal", {})
    lte, nr = signal.get("lte", {}), signal.get("5g", {})
    values = {
        "lte_rsrp_dbm": _mm_value(lte.get("rsrp")), "lte_rsrq_db": _mm_value(lte.get("rsrq")),
        "lte_sinr_db": _mm_value(lte.get("snr")), "rssi_dbm": _mm_value(lte.get("rssi")),
        "nr_ss_rsrp_dbm": _mm_value(nr.get("rsrp")), "nr_ss_rsrq_db": _mm_value(nr.get("rsrq")),
        "nr_ss_sinr_db": _mm_value(nr.get("snr")),
    }
    has_lte = any(values[k] is not None for k in ("lte_rsrp_dbm", "lte_rsrq_db", "rssi_dbm"))
    has_nr = values["nr_ss_rsrp_dbm"] is not None
    values["technology"] = "NR-NSA" if has_nr and has_lte else "NR-SA" if has_nr else \
        "LTE" if has_lte else None
    raw = signal_json.strip()
    if modem_json:
        modem = _object(_json_object(modem_json, "mmcli -m any -J").get("modem", {}))
        generic, gpp = modem.get("generic", {}), modem.get("3gpp", {})
        code = gpp.get("operator-code")
        values["operator"] = cells.operator_code(code) if code and code != "--" else None
        technologies = " ".join(generic.get("access-technologies", [])).lower()
        values["device_state"] = "data" if generic.get("state") == "connected" else "idle"
        values["device_5g_capable"] = "5gnr" in technologies or has_nr or "5gnr" in " ".join(
            generic.get("supported-capabilities", [])).lower()
        values["device_model"] = generic.get("model")
        raw += "\n" + modem_json.strip()
    else:
        values["device_state"] = "unknown"
        values["device_5g_capable"] = has_nr
    return ModemReading(values={k: v for k, v in values.items() if v is not None}, raw=raw)


def _json_object(text: str, command: str) -> dict[str, Any]:
    """The JSON object a saved ``command`` output holds; an error naming it otherwise."""
    try:
        return _object(json.loads(text))
    except (json.JSONDecodeError, InputFormatError) as exc:
        raise InputFormatError(f"this is not the JSON output of {command}: {exc}") from None


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputFormatError(f"expected a JSON object, found {type(value).__name__}")
    return value
