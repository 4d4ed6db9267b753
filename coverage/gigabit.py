"""Gigabit fixed broadband: operators' availability declarations, verified by speed tests.

Like every regulator (Ofcom, FCC BDC), phusong counts fixed broadband as
*availability over premises* declared by operators, not as measured throughput;
wired speed tests then confirm or challenge the declarations (Ofcom Connected Nations
methodology; FCC Broadband Data Collection challenge process).

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

A row has either ``lon``/``lat`` or ``commune_code``. Validation is strict: a
malformed row refuses the whole file, with every problem listed by line number.

Rows that are well formed but cannot be counted are quarantined with their reason
(``declarations_quarantine.csv`` beside the estimate) and named in the warnings:
a row repeated exactly, a ``commune_code`` that matches no unit (codes that lost
their leading zeros in a spreadsheet are restored against the boundary codes
first), a point outside every unit, and an operator declaring more households in
a commune than it has (beyond ``OVERCOUNT_TOLERANCE``). A commune with refused
over-declarations has insufficient data; when most rows match no unit the file
is refused.

A commune's gigabit households are, per operator, the households it declares at
≥ ``min_down_mbps``; operators overlap, so the commune figure is the largest
operator's (a lower bound of their union), capped at the commune's households.
The province share is the sum of these capped figures over its households.

Verification: a wired test on a plan of ≥ ``min_down_mbps`` *confirms* when it
reaches ≥ 90 % of its line rate (the smaller of NIC link speed and plan); it
*fails* below 50 %. Two or more failing tests at the same place (within
``CHALLENGE_RADIUS_M``) raise a **challenge** on the commune.

Status: declared availability is a count, not a sample, so a commune's
``gigabit_p_target_met`` is 1 or 0, and its status met or not met, unless a
challenge puts a share at or above the target in doubt: then it is
``uncertain`` (a challenged commune is never met). The province's is met when
its share reaches the target even with the challenged and refused communes
counted at 0 %, not met when it misses it even with them at 100 %, and
uncertain between.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from phusong.errors import InputFormatError
from phusong.store.declarations import DECLARATION_COLUMNS as COLUMNS
from phusong.store.declarations import declaration_row as _row

from .grid import Membership, lonlat_from
from .sites import read_csv_table
from .targets import INSUFFICIENT, MET, NOT_MET, UNCERTAIN, Targets

CONFIRM_SHARE = 0.90
FAIL_SHARE = 0.50
CHALLENGE_RADIUS_M = 250.0
HOUSEHOLD_SIZE = 3.5  # persons per household, Vietnam 2019 census
# Declared households may exceed the commune's (estimated from population) by this factor
# before the declarations are refused.
OVERCOUNT_TOLERANCE = 1.10
# Above this share of rows that match no unit, the file is refused as a whole.
MAX_UNMATCHED_SHARE = 0.5


def read_declarations(path: str | Path, crs: str | None = None) -> pd.DataFrame:
    """Read and strictly validate a declarations CSV (see the module documentation).

    ``lon``/``lat`` are WGS 84 degrees, or easting/northing in ``crs`` when given (e.g.
    EPSG:9214 for VN-2000). The frame has a ``line`` column: each row's line number.
    """
    path = Path(path)
    frame = read_csv_table(path, "declarations file")
    missing = [c for c in ("operator", "technology", "max_down_mbps", "max_up_mbps")
               if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if unknown:
        hints = [f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                 for c in unknown for close in [difflib.get_close_matches(c, COLUMNS, n=1)]]
        raise InputFormatError(f"{path.name} has unknown column(s) {', '.join(hints)}")
    if crs is not None and {"lon", "lat"} <= set(frame.columns):
        _reproject_text_columns(frame, crs)
    rows, problems = [], []
    for line, raw in zip(range(2, len(frame) + 2), frame.to_dict(orient="records")):
        try:
            rows.append({**_row({k: v for k, v in raw.items() if isinstance(v, str)}),
                         "line": line})
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        shown = "; ".join(problems[:20]) + ("; …" if len(problems) > 20 else "")
        raise InputFormatError(f"{path.name} has {len(problems)} invalid row(s): {shown}")
    return pd.DataFrame(rows)


def declarations_from_store(store_path: str | Path) -> pd.DataFrame | None:
    """The declarations imported into a store (``phusong import declarations``), in the
    form of :func:`read_declarations`; ``None`` when it holds none."""
    from phusong.store import ReadingStore
    from phusong.store.schema import DECLARATIONS_LAYER

    with ReadingStore(store_path, readonly=True) as store:
        if DECLARATIONS_LAYER not in store.layers():
            return None
        frame = store.read_table(DECLARATIONS_LAYER, columns=list(COLUMNS[:4]) + [
            "commune_code", "households", "as_of"])
    if frame.empty:
        return None
    frame["households"] = frame["households"].fillna(1).astype(int)
    frame["line"] = np.arange(1, len(frame) + 1)
    return frame[list(COLUMNS) + ["line"]]


def _reproject_text_columns(frame: pd.DataFrame, crs: str) -> None:
    """Replace projected ``lon``/``lat`` text by WGS 84 degrees where both are numbers."""
    x = pd.to_numeric(frame["lon"], errors="coerce")
    y = pd.to_numeric(frame["lat"], errors="coerce")
    both = x.notna() & y.notna()
    lon, lat = lonlat_from(crs, x[both], y[both])
    frame.loc[both, "lon"] = [repr(float(v)) for v in lon]
    frame.loc[both, "lat"] = [repr(float(v)) for v in lat]


def match_codes(codes: pd.Series, unit_codes: pd.Series) -> tuple[pd.Series, int]:
    """Each declared code's unit index (-1 when none), restoring leading zeros that a
    spreadsheet dropped (``7216`` or ``7216.0`` → ``07216``) when that is unambiguous;
    and how many codes needed it."""
    index_of = {code: i for i, code in enumerate(unit_codes)}
    by_number: dict[str, int] = {}
    for code, i in index_of.items():
        key = code.lstrip("0") if code.isdigit() else None
        if key is not None:
            by_number[key] = -2 if key in by_number else i  # -2: ambiguous
    exact = codes.map(index_of)
    stripped = codes.str.replace(r"\.0+$", "", regex=True).str.strip().str.lstrip("0")
    restored = stripped.map(by_number).where(stripped.str.isdigit().fillna(False))
    restored = restored.where(restored != -2)
    unit = exact.fillna(restored).fillna(-1).astype(int)
    n_restored = int((exact.isna() & restored.notna()).sum())
    return unit, n_restored


def assign_declarations(declarations: pd.DataFrame, member: Membership,
                        unit_codes: pd.Series, households: np.ndarray
                        ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Each countable declaration with its ``unit``, the quarantined ones with their
    ``reason``, and warnings (see the module documentation)."""
    frame = declarations.copy()
    frame["unit"] = -1
    frame["reason"] = ""
    frame["overcount"] = False  # refused for declaring more households than the commune has
    warnings = []
    duplicated = frame.duplicated(subset=list(COLUMNS), keep="first")
    if duplicated.any():
        first = frame.groupby(list(COLUMNS), dropna=False)["line"].transform("min")
        frame.loc[duplicated, "reason"] = "duplicate of line " + first[duplicated].astype(str)
    coded = frame["commune_code"].notna()
    if coded.any():
        unit, n_restored = match_codes(frame.loc[coded, "commune_code"].astype(str), unit_codes)
        frame.loc[coded, "unit"] = unit.to_numpy()
        if n_restored:
            warnings.append(f"declarations: {n_restored} commune codes matched only after "
                            "restoring their leading zeros")
        unmatched = coded & (frame["unit"] < 0)
        frame.loc[unmatched & (frame["reason"] == ""), "reason"] = (
            "commune_code " + frame.loc[unmatched, "commune_code"].astype(str)
            + " matches no unit of the boundaries")
    pointed = ~coded
    if pointed.any():
        _, unit = member.unit_of_lonlat(frame.loc[pointed, "lon"].to_numpy(),
                                        frame.loc[pointed, "lat"].to_numpy())
        frame.loc[pointed, "unit"] = unit
        outside = pointed & (frame["unit"] < 0) & (frame["reason"] == "")
        frame.loc[outside, "reason"] = [f"point ({lon:.5f}, {lat:.5f}) lies outside every unit"
                                        for lon, lat in frame.loc[outside, ["lon", "lat"]]
                                        .itertuples(index=False)]
    unmatched_share = float(((frame["unit"] < 0) & (frame["reason"] != "")
                             & ~duplicated).mean())
    if unmatched_share > MAX_UNMATCHED_SHARE:
        examples = ", ".join(frame.loc[frame["unit"] < 0, "reason"].head(3))
        raise InputFormatError(f"{100 * unmatched_share:.0f} % of the declarations match no "
                               f"unit of the boundaries ({examples}): are they for these "
                               "boundaries, with the same commune codes?")
    _refuse_overcounts(frame, households, unit_codes)
    quarantined = frame[frame["reason"] != ""]
    if len(quarantined):
        reasons = quarantined["reason"].str.replace(r"\d[\d.,]*", "N", regex=True)
        counts = reasons.str.split(":").str[0].value_counts()
        warnings.append(f"declarations: {len(quarantined)} row(s) not counted ("
                        + "; ".join(f"{n} × {r}" for r, n in counts.items())
                        + "), listed in declarations_quarantine.csv")
    return frame[frame["reason"] == ""], quarantined, warnings


def _refuse_overcounts(frame: pd.DataFrame, households: np.ndarray,
                       unit_codes: pd.Series) -> None:
    """Quarantine an operator's rows in a commune where it declares more households
    than the commune has (beyond the tolerance)."""
    ok = frame["reason"] == ""
    totals = frame[ok].groupby(["unit", "operator"])["households"].transform("sum")
    limit = households[frame.loc[ok, "unit"].to_numpy()] * OVERCOUNT_TOLERANCE
    over = totals.to_numpy() > limit
    index = frame.index[ok][over]
    frame.loc[index, "overcount"] = True
    for i in index:
        unit = frame.at[i, "unit"]
        frame.at[i, "reason"] = (
            f"operator {frame.at[i, 'operator']} declares {totals[i]:.0f} households in "
            f"commune {unit_codes.iloc[unit]}, which has about {households[unit]:.0f}: "
            "check the households column")


def declared_gigabit_households(declarations: pd.DataFrame, n_units: int,
                                min_down_mbps: float) -> np.ndarray:
    """Per unit, the largest operator's declared households at ≥ ``min_down_mbps``
    (rows with their ``unit`` from :func:`assign_declarations`)."""
    frame = declarations[declarations["max_down_mbps"] >= min_down_mbps]
    per_operator = frame.groupby(["unit", "operator"])["households"].sum()
    best = per_operator.groupby(level="unit").max()
    out = np.zeros(n_units)
    out[best.index.to_numpy(dtype=int)] = best.to_numpy()
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


@dataclass
class GigabitResult:
    """What :func:`add_gigabit` adds beside the commune columns."""

    province: dict
    warnings: list[str] = field(default_factory=list)
    quarantined: pd.DataFrame | None = None


def add_gigabit(communes: pd.DataFrame, member: Membership, speed_tests: pd.DataFrame,
                declarations: pd.DataFrame | None, targets: Targets) -> GigabitResult:
    """Gigabit columns (declared share of households, verification, challenge, status)
    and the province's figure."""
    n = member.n_units
    households = np.round(communes["population"].to_numpy(dtype=float) / HOUSEHOLD_SIZE)
    communes["households"] = households
    challenged = _add_verification(communes, member, speed_tests, targets)
    if declarations is None or declarations.empty:
        communes["gigabit_declared_households"] = np.nan
        communes["gigabit_share_pct"] = np.nan
        communes["gigabit_verification"] = "no_declarations"
        communes["gigabit_p_target_met"] = np.nan
        communes["gigabit_status"] = INSUFFICIENT
        return GigabitResult({})
    accepted, quarantined, warnings = assign_declarations(declarations, member,
                                                          communes["code"], households)
    refused = np.zeros(n, dtype=bool)
    over = quarantined["overcount"].astype(bool)
    refused[quarantined.loc[over, "unit"].to_numpy(dtype=int)] = True
    declared = np.fmin(declared_gigabit_households(accepted, n, targets.gigabit_min_down_mbps),
                       households)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(households > 0, 100 * declared / households, np.nan)
    share[refused] = np.nan
    meets = share >= targets.gigabit_min_pct
    p_met = np.where(np.isnan(share), np.nan,
                     np.where(meets & challenged, np.nan, meets.astype(float)))
    status = np.where(meets, MET, NOT_MET).astype(object)
    status[meets & challenged] = UNCERTAIN
    status[np.isnan(share)] = INSUFFICIENT
    communes["gigabit_declared_households"] = np.where(refused, np.nan, declared)
    communes["gigabit_share_pct"] = share
    communes["gigabit_verification"] = np.where(
        challenged, "challenged",
        np.where(communes["gigabit_confirmed_tests"] > 0, "verified", "unverified"))
    communes["gigabit_p_target_met"] = p_met
    communes["gigabit_status"] = status
    province = _province_gigabit(households, declared, challenged, refused, targets)
    province["communes_gigabit_met"] = int((status == MET).sum())
    province["communes_gigabit_uncertain"] = int((status == UNCERTAIN).sum())
    province["communes_gigabit_challenged"] = int(challenged.sum())
    province["declarations_quarantined"] = int(len(quarantined))
    return GigabitResult(province, warnings,
                         quarantined.drop(columns=["unit"]) if len(quarantined) else None)


def _add_verification(communes: pd.DataFrame, member: Membership, speed_tests: pd.DataFrame,
                      targets: Targets) -> np.ndarray:
    """Counts of gigabit tests, confirming and failing, per unit; the challenged units."""
    n = member.n_units
    tests = verify_tests(speed_tests, targets.gigabit_min_down_mbps)
    xy, unit = member.unit_of_lonlat(tests["lon"].to_numpy(), tests["lat"].to_numpy())
    inside = unit >= 0
    count = lambda mask: np.bincount(unit[inside & mask], minlength=n)  # noqa: E731
    communes["gigabit_tests"] = count(np.ones(len(unit), bool))
    communes["gigabit_confirmed_tests"] = count(tests["confirms"].to_numpy(bool))
    failing = tests["fails"].to_numpy(bool)
    communes["gigabit_failed_tests"] = count(failing)
    challenged = challenged_units(xy[failing], unit[failing], n)
    communes["gigabit_challenged"] = challenged
    return challenged


def _province_gigabit(households: np.ndarray, declared: np.ndarray, challenged: np.ndarray,
                      refused: np.ndarray, targets: Targets) -> dict:
    """The province share over the same capped figures as the communes', with bounds for
    the challenged and refused communes (at 0 % and at 100 %)."""
    known = ~np.isnan(households)
    if not known.any() or households[known].sum() <= 0:
        return {"province_gigabit_status": INSUFFICIENT}
    total = households[known].sum()
    counted = np.where(refused, 0, declared)[known]
    doubtful = (challenged | refused)[known]
    share = 100 * counted.sum() / total
    low = 100 * counted[~doubtful].sum() / total
    high = 100 * (counted[~doubtful].sum() + households[known][doubtful].sum()) / total
    target = targets.gigabit_min_pct
    status = MET if low >= target else NOT_MET if high < target else UNCERTAIN
    return {
        "province_gigabit_share_pct": float(share),
        "province_gigabit_low_pct": float(low),
        "province_gigabit_high_pct": float(high),
        "province_gigabit_p_target_met": {MET: 1.0, NOT_MET: 0.0}.get(status),
        "province_gigabit_status": status,
    }
