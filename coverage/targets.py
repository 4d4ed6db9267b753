"""Provincial targets and the status of each commune against them."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from phusong.config import default_targets
from phusong.errors import TargetsError

MET, NOT_MET, UNCERTAIN, INSUFFICIENT = "met", "not_met", "uncertain", "insufficient_data"
STATUSES = (MET, NOT_MET, UNCERTAIN, INSUFFICIENT)
# A figure is called met / not met only when its whole 90 % interval (5th to 95th
# percentile) lies at or above / below the target, that is when the probability that the
# true share reaches the target is at least / at most these; between them it is uncertain.
P_MET = 0.95
P_NOT_MET = 0.05
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
    if path.is_dir():
        raise TargetsError(f"{path} is a folder, not a targets TOML file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise TargetsError(f"targets file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise TargetsError(f"{path.name} is not UTF-8: save it as UTF-8") from exc
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
        year=int(_number(plan, "year", "plan", 2000, 2100)) if "year" in plan else 0,
        coverage_5g_min_pct=_number(g5, "min_share_pct", "targets.coverage_5g", 0, 100),
        coverage_5g_basis=basis,
        threshold_dbm=_number(g5, "threshold_dbm", "targets.coverage_5g", -156, -31),
        gigabit_min_pct=_number(gig, "min_share_pct", "targets.gigabit_fixed", 0, 100),
        gigabit_min_down_mbps=_number(gig, "min_down_mbps", "targets.gigabit_fixed", 1, 1e6),
    )


def status_from_interval(low: np.ndarray, high: np.ndarray, target_pct: float,
                         sufficient: np.ndarray) -> np.ndarray:
    """``met`` where the whole 90 % interval is at or above the target, ``not_met`` where it
    is below, ``uncertain`` where it straddles the target, and ``insufficient_data``
    wherever the data do not support a figure: a status never contradicts its interval."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    result = np.where(low >= target_pct, MET,
                      np.where(high < target_pct, NOT_MET, UNCERTAIN)).astype(object)
    result[~np.asarray(sufficient, dtype=bool) | np.isnan(low) | np.isnan(high)] = INSUFFICIENT
    return result


def status_from_probability(p_met: np.ndarray, sufficient: np.ndarray) -> np.ndarray:
    """``met`` where P(target met) ≥ :data:`P_MET`, ``not_met`` where ≤ :data:`P_NOT_MET`,
    ``uncertain`` between, and ``insufficient_data`` wherever the data do not support
    a figure."""
    p_met = np.asarray(p_met, dtype=float)
    result = np.where(p_met >= P_MET, MET,
                      np.where(p_met <= P_NOT_MET, NOT_MET, UNCERTAIN)).astype(object)
    result[~np.asarray(sufficient, dtype=bool) | np.isnan(p_met)] = INSUFFICIENT
    return result
