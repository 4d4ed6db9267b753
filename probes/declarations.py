"""Operators' fixed-broadband availability declarations: the row schema, and the importer.

The schema (columns, technologies, validation of one row) is documented in
:mod:`phusong.coverage.gigabit`, which counts the declarations; here a declarations CSV
is imported into the store like any other source: every row kept or quarantined with
its reason, a row repeated in a file quarantined as a duplicate, and a re-import adding
nothing (each declaration is keyed by its content).
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from phusong.config import COUNTRY_BOUNDS
from phusong.errors import InputFormatError

from .importing import ImportOptions, Row, content_id, read_text
from .schema import DECLARATIONS_LAYER as DECLARATIONS_TABLE

DECLARATION_TECHNOLOGIES = ("FTTH", "GPON", "XG-PON", "XGS-PON", "10G-EPON", "EPON", "DOCSIS3.1", "FWA",
                "OTHER")
DECLARATION_COLUMNS = ("operator", "technology", "max_down_mbps", "max_up_mbps", "lon", "lat",
           "commune_code", "households", "as_of")


def _positive(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be > 0, not {text}")
    return value


def declaration_row(raw: dict[str, str]) -> dict:
    get = {k: (raw.get(k) or "").strip() for k in DECLARATION_COLUMNS}
    if not get["operator"]:
        raise ValueError("operator is empty")
    technology = get["technology"].upper()
    if technology not in DECLARATION_TECHNOLOGIES:
        raise ValueError(f"technology {get['technology']!r} is not one of {', '.join(DECLARATION_TECHNOLOGIES)}")
    row = {"operator": get["operator"], "technology": technology,
           "max_down_mbps": _positive(get["max_down_mbps"], "max_down_mbps"),
           "max_up_mbps": _positive(get["max_up_mbps"], "max_up_mbps"),
           "lon": np.nan, "lat": np.nan, "commune_code": None, "households": 1, "as_of": None}
    has_point = bool(get["lon"] or get["lat"])
    if has_point == bool(get["commune_code"]):
        raise ValueError("give either lon/lat or commune_code (exactly one)")
    if has_point:
        try:
            row["lon"], row["lat"] = float(get["lon"]), float(get["lat"])
        except ValueError:
            raise ValueError(f"lon/lat ({get['lon']!r}, {get['lat']!r}) are not numbers") from None
        west, south, east, north = COUNTRY_BOUNDS
        if not (west <= row["lon"] <= east and south <= row["lat"] <= north):
            raise ValueError(f"lon/lat ({row['lon']}, {row['lat']}) is outside Vietnam")
    else:
        row["commune_code"] = get["commune_code"]
    if get["households"]:
        households = _positive(get["households"], "households")
        if households != int(households):
            raise ValueError(f"households {get['households']!r} is not an integer")
        row["households"] = int(households)
    elif not has_point:
        raise ValueError("households is required with commune_code")
    if get["as_of"]:
        try:
            as_of = date.fromisoformat(get["as_of"])
        except ValueError:
            raise ValueError(f"as_of {get['as_of']!r} is not YYYY-MM-DD") from None
        if as_of > date.today() + timedelta(days=1):
            raise ValueError(f"as_of {as_of.isoformat()} is in the future: a declaration is "
                             "dated when it was made")
        row["as_of"] = as_of.isoformat()
    return row


def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Rows of a declarations CSV for the store's ``declarations`` table."""
    reader = csv.DictReader(io.StringIO(read_text(path)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in DECLARATION_COLUMNS[:4] if c not in header]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    reader.fieldnames = header
    first_line: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        text = ",".join(str(v) for v in raw.values() if v is not None)
        try:
            row = declaration_row({k: v for k, v in raw.items() if isinstance(v, str)})
        except ValueError as exc:
            yield Row(DECLARATIONS_TABLE, f"line {line}", text, reason=str(exc))
            continue
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        key = content_id("declaration", *sorted((k, str(v)) for k, v in row.items()))
        if key in first_line:
            yield Row(DECLARATIONS_TABLE, f"line {line}", text,
                      reason=f"duplicate of line {first_line[key]}")
            continue
        first_line[key] = line
        yield Row(DECLARATIONS_TABLE, f"line {line}", text, {**row, "reading_id": key})
