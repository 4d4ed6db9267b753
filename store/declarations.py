"""Operators' fixed-broadband availability declarations: the row schema and the validation
of one row, shared by the importer (:mod:`phusong.probes.declarations`) and the engine
(:mod:`phusong.coverage.gigabit`, which documents the schema and counts the declarations).
"""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from phusong.config import COUNTRY_BOUNDS
from phusong.errors import InputFormatError

from .schema import DECLARATIONS_LAYER as DECLARATIONS_TABLE  # noqa: F401 - re-exported

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


