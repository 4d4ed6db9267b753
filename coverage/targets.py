"""Provincial targets and the status of each commune against them."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from phusong.config import default_targets
from phusong.errors import TargetsError

MET, NOT_MET, INSUFFICIENT = "met", "not_met", "insufficient_data"
BASES = ("population", "area")


@dataclass(frozen=True)
class Targets:
    """The targets a province reports against (see ``data/targets.toml``)."""

    plan: str
    source: str
    year: int
    coverage_5g_min_pct: float
    coverage_5g_basis: str
    threshold_dbm: float
    gigabit_min_pct: float
    gigabit_min_down_mbps: float


def _number(table: dict, key: str, where: str, low: float, high: float) -> float:
    if key not in table:
        raise TargetsError(f"{where}.{key} is missing")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TargetsError(f"{where}.{key} must be a number, not {value!r}")
    if not low <= value <= high:
        raise TargetsError(f"{where}.{key} = {value} outside [{low}, {high}]")
    return float(value)


def load_targets(path: str | Path | None = None) -> Targets:
    """Read and validate a targets TOML file (the shipped Plan 182-KH/TU by default)."""
    path = Path(path) if path is not None else default_targets()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TargetsError(f"targets file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path.name} is not valid TOML: {exc}") from exc
    plan = data.get("plan", {})
    targets = data.get("targets", {})
    g5 = targets.get("coverage_5g")
    gig = targets.get("gigabit_fixed")
    if g5 is None or gig is None:
        raise TargetsError(f"{path.name} needs [targets.coverage_5g] and [targets.gigabit_fixed]")
    basis = g5.get("basis", "population")
    if basis not in BASES:
        raise TargetsError(f"targets.coverage_5g.basis must be one of {BASES}, not {basis!r}")
    return Targets(
        plan=str(plan.get("name", "")),
        source=str(plan.get("source", "")),
        year=int(plan.get("year", 0)),
        coverage_5g_min_pct=_number(g5, "min_share_pct", "targets.coverage_5g", 0, 100),
        coverage_5g_basis=basis,
        threshold_dbm=_number(g5, "threshold_dbm", "targets.coverage_5g", -156, -31),
        gigabit_min_pct=_number(gig, "min_share_pct", "targets.gigabit_fixed", 0, 100),
        gigabit_min_down_mbps=_number(gig, "min_down_mbps", "targets.gigabit_fixed", 1, 1e6),
    )


def status(share_pct: np.ndarray, sufficient: np.ndarray, target_pct: float) -> np.ndarray:
    """``met``/``not_met`` by comparing the share to the target; ``insufficient_data``
    wherever the data do not support a figure."""
    result = np.where(share_pct >= target_pct, MET, NOT_MET).astype(object)
    result[~sufficient | np.isnan(share_pct)] = INSUFFICIENT
    return result
