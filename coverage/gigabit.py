"""Gigabit fixed broadband: operators' availability declarations, verified by speed tests.

Like every regulator (Ofcom, FCC BDC), phusong counts fixed broadband as
*availability over premises* declared by operators, not as measured throughput;
wired speed tests then confirm or challenge the declarations (GUIDE §2, §3).

Declarations CSV (UTF-8, one row per declaration, header names as below):

=================  ========  ===============================================================
column             required  meaning
=================  ========  ===============================================================
operator           yes       operator name or MCC-MNC
technology         yes       FTTH, GPON, XG-PON, XGS-PON, 10G-EPON, EPON, DOCSIS3.1, FWA, OTHER
max_down_mbps      yes       highest advertised download rate, Mbit/s (> 0)
max_up_mbps        yes       highest advertised upload rate, Mbit/s (> 0)
lon, lat           either    WGS 84 degrees of the serviceable premises or serving point
commune_code       either    code of the commune the declaration covers
households         with      serviceable households (integer ≥ 1); 1 when a point omits it
                   commune
as_of              no        date of the declaration, YYYY-MM-DD
=================  ========  ===============================================================

A row has either ``lon``/``lat`` or ``commune_code``. Validation is strict: any
bad row refuses the whole file, with every problem listed by line number.

A commune's gigabit households are, per operator, the households it declares at
≥ ``min_down_mbps``; operators overlap, so the commune figure is the largest
operator's (a lower bound of their union).

Verification: a wired test on a plan of ≥ ``min_down_mbps`` *confirms* when it
reaches ≥ 90 % of its line rate (the smaller of NIC link speed and plan); it
*fails* below 50 %. Two or more failing tests at the same place (within
``CHALLENGE_RADIUS_M``) raise a **challenge** on the commune.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from phusong.errors import InputFormatError

TECHNOLOGIES = ("FTTH", "GPON", "XG-PON", "XGS-PON", "10G-EPON", "EPON", "DOCSIS3.1", "FWA",
                "OTHER")
COLUMNS = ("operator", "technology", "max_down_mbps", "max_up_mbps", "lon", "lat",
           "commune_code", "households", "as_of")
CONFIRM_SHARE = 0.90
FAIL_SHARE = 0.50
CHALLENGE_RADIUS_M = 250.0
HOUSEHOLD_SIZE = 3.5  # persons per household, Vietnam 2019 census


def _positive(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be > 0, not {text}")
    return value


def _row(raw: dict[str, str]) -> dict:
    get = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    if not get["operator"]:
        raise ValueError("operator is empty")
    technology = get["technology"].upper()
    if technology not in TECHNOLOGIES:
        raise ValueError(f"technology {get['technology']!r} is not one of {', '.join(TECHNOLOGIES)}")
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
        if not (100 <= row["lon"] <= 112 and 6 <= row["lat"] <= 25):
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
            row["as_of"] = date.fromisoformat(get["as_of"]).isoformat()
        except ValueError:
            raise ValueError(f"as_of {get['as_of']!r} is not YYYY-MM-DD") from None
    return row


def read_declarations(path: str | Path) -> pd.DataFrame:
    """Read and strictly validate a declarations CSV (see the module documentation)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFormatError(f"declarations file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{path.name} is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("operator", "technology", "max_down_mbps", "max_up_mbps")
               if c not in header]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    reader.fieldnames = header
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(_row(raw))
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        shown = "; ".join(problems[:20]) + ("; …" if len(problems) > 20 else "")
        raise InputFormatError(f"{path.name} has {len(problems)} invalid row(s): {shown}")
    if not rows:
        raise InputFormatError(f"{path.name} holds no declaration")
    return pd.DataFrame(rows)


def declared_gigabit_households(declarations: pd.DataFrame, point_units: np.ndarray,
                                unit_codes: pd.Series, min_down_mbps: float) -> np.ndarray:
    """Per unit, the largest operator's declared households at ≥ ``min_down_mbps``.

    ``point_units`` gives the unit index of each row (-1 where the row names its
    commune by code or lies outside every unit).
    """
    index_of = {code: i for i, code in enumerate(unit_codes)}
    unit = np.where(point_units >= 0, point_units,
                    declarations["commune_code"].map(index_of).fillna(-1).to_numpy())
    frame = declarations.assign(unit=unit.astype(int))
    frame = frame[(frame["unit"] >= 0) & (frame["max_down_mbps"] >= min_down_mbps)]
    per_operator = frame.groupby(["unit", "operator"])["households"].sum()
    best = per_operator.groupby(level="unit").max()
    out = np.zeros(len(unit_codes))
    out[best.index.to_numpy()] = best.to_numpy()
    return out


def verify_tests(tests: pd.DataFrame, min_down_mbps: float) -> pd.DataFrame:
    """Mark wired tests on gigabit plans as confirming or failing their line rate."""
    wired = tests[(tests["interface_kind"] == "wired")
                  & (tests["plan_down_mbps"].fillna(0) >= min_down_mbps)].copy()
    line_rate = np.fmin(wired["link_speed_mbps"].fillna(np.inf), wired["plan_down_mbps"])
    ratio = wired["download_bps"] / (line_rate * 1e6)
    wired["confirms"] = ratio >= CONFIRM_SHARE
    wired["fails"] = ratio < FAIL_SHARE
    return wired


def challenged_units(failing_xy: np.ndarray, failing_units: np.ndarray, n_units: int) -> np.ndarray:
    """Units with two or more failing gigabit tests within ``CHALLENGE_RADIUS_M`` of each other."""
    from scipy.spatial import cKDTree

    flag = np.zeros(n_units, dtype=bool)
    if len(failing_xy) < 2:
        return flag
    for i, j in cKDTree(failing_xy).query_pairs(CHALLENGE_RADIUS_M):
        if failing_units[i] >= 0 and failing_units[i] == failing_units[j]:
            flag[failing_units[i]] = True
    return flag
