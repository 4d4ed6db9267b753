"""Network Survey (Android app) LTE and NR records: CSV files and GeoPackage tables.

Field names are those of the app's CSV constants and messaging API
(``com.craxiom.networksurvey.constants.csv.LteCsvConstants``/``NrCsvConstants``):
``deviceTime``, ``latitude``, ``longitude``, ``accuracy``, ``mcc``, ``mnc``, ``tac``,
``eci``/``nci``, ``earfcn``/``narfcn``, ``pci``, ``rsrp``/``rsrq`` (LTE) and
``ssRsrp``/``ssRsrq``/``ssSinr`` (NR), ``servingCell``, ``provider``. CSV files start
with ``#`` comment lines; GeoPackages hold the tables ``LTE_MESSAGE`` and
``NR_MESSAGE`` with point geometries. Times are RFC 3339 (or epoch milliseconds).
Serving-cell rows become readings; neighbour rows (``servingCell`` false) are kept in
the quarantine until the store has a neighbour-cell table.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from phusong.errors import InputFormatError

from phusong.store import cells
from .importing import CUT_SHORT, ImportOptions, Row, content_id, cut_short, read_text
from phusong.store.schema import SIGNAL_LAYER

KIND = "networksurvey"
TABLES = {"LTE_MESSAGE": "LTE", "NR_MESSAGE": "NR"}


def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Rows of a Network Survey CSV or GeoPackage."""
    if path.suffix.lower() == ".gpkg":
        yield from _geopackage(path, options)
        return
    text = read_text(path)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise InputFormatError(f"{path.name} holds no Network Survey records")
    header = next(csv.reader([lines[0]]))
    technology = "NR" if any(h.strip() in ("nci", "ssRsrp", "narfcn") for h in header) else "LTE"
    records = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    last = len(records) if cut_short(text) else None
    for number, values in enumerate(records, start=1):
        if number == last:
            yield Row(SIGNAL_LAYER, f"record {number}", ",".join(values), reason=CUT_SHORT)
            continue
        record = dict(zip((h.strip() for h in header), values))
        yield _row(record, technology, f"record {number}", ",".join(values), options)


def _geopackage(path: Path, options: ImportOptions) -> Iterator[Row]:
    import pyogrio

    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # noqa: BLE001 - GDAL's errors vary; one clear message
        raise InputFormatError(f"cannot read {path.name} as a GeoPackage: {exc}") from exc
    found = [table for table in TABLES if table in layers]
    if not found:
        raise InputFormatError(f"{path.name} has no LTE_MESSAGE or NR_MESSAGE table")
    for table in found:
        frame = pyogrio.read_dataframe(path, layer=table)
        geometry = frame.pop("geometry") if "geometry" in frame else None
        for index, record in enumerate(frame.to_dict(orient="records")):
            if geometry is not None and geometry.iloc[index] is not None:
                point = geometry.iloc[index]
                record.setdefault("longitude", point.x)
                record.setdefault("latitude", point.y)
            raw = json.dumps(record, default=str, ensure_ascii=False)
            yield _row(record, TABLES[table], f"{table} row {index + 1}", raw, options)


def _get(record: dict, *names: str) -> Any:
    folded = {str(k).casefold(): v for k, v in record.items()}
    for name in names:
        value = folded.get(name.casefold())
        if not cells.missing(value):
            return value
    return None


def _number(record: dict, *names: str) -> float | None:
    value = _get(record, *names)
    try:
        return cells.number(value)
    except ValueError:
        raise ValueError(f"{names[0]} {value!r} is not a number") from None


def _time(value: Any) -> datetime:
    if value is None:
        raise ValueError("deviceTime is missing")
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, timezone.utc)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"deviceTime {text!r} has no offset (RFC 3339 requires one)")
    return parsed.astimezone(timezone.utc)


def _row(record: dict, technology: str, locator: str, raw: str,
         options: ImportOptions) -> Row:
    try:
        serving = str(_get(record, "servingCell") or "true").strip().lower()
        if serving in ("false", "0", "no"):
            return Row(SIGNAL_LAYER, locator, raw, reason="neighbour-cell measurement: the "
                       "store has no neighbour-cell table yet")
        return Row(SIGNAL_LAYER, locator, raw, _record(record, technology, options))
    except (ValueError, TypeError) as exc:
        return Row(SIGNAL_LAYER, locator, raw, reason=str(exc))


def _record(record: dict, technology: str, options: ImportOptions) -> dict:
    operator = cells.operator_code(_get(record, "mcc"), _get(record, "mnc")) \
        if _get(record, "mcc") is not None else None
    result: dict[str, Any] = {
        "time_utc": _time(_get(record, "deviceTime", "time")),
        "lon": _number(record, "longitude"), "lat": _number(record, "latitude"),
        "position_accuracy_m": _number(record, "accuracy"),
        "operator": operator, "probe_id": options.probe_id or KIND,
        "tac": _number(record, "tac"), "pci": _number(record, "pci"),
    }
    result["position_source"] = "gnss" if result["lon"] is not None else "none"
    if technology == "LTE":
        eci = _number(record, "eci")
        result.update(technology="LTE", lte_rsrp_dbm=_number(record, "rsrp"),
                      lte_rsrq_db=_number(record, "rsrq"),
                      arfcn=_number(record, "earfcn"), eci=eci,
                      enb_id=cells.lte_site(eci), cell_id=None if eci is None else str(int(eci)))
        result["site_id"] = cells.site_key(operator, "LTE", result["enb_id"])
    else:
        nci = _number(record, "nci")
        gnb = cells.nr_site(nci, options.gnb_id_bits)
        result.update(technology="NR-SA", nr_ss_rsrp_dbm=_number(record, "ssRsrp"),
                      nr_ss_rsrq_db=_number(record, "ssRsrq"),
                      nr_ss_sinr_db=_number(record, "ssSinr"),
                      nr_arfcn=_number(record, "narfcn"), nr_pci=result.pop("pci"), nci=nci,
                      gnb_id=gnb, gnb_id_bits=options.gnb_id_bits if nci is not None else None,
                      cell_id=None if nci is None else str(int(nci)),
                      site_id=cells.site_key(operator, "NR", gnb))
    result["reading_id"] = content_id(KIND, *sorted((k, str(v)) for k, v in result.items()
                                                    if k != "probe_id"))
    return result
