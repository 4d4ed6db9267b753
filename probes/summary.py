"""A probe day in figures: readings, tests, failures by reason, distance and hours.

Read from the store (and from the run's log beside it for device faults, which are
not readings): what a liaison officer reports at the end of a day in the field.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .position import metres_between
from phusong.store.schema import SIGNAL_LAYER, SPEED_LAYER
from phusong.store.readings import ReadingStore

# Readings further apart than this are separate sessions: the time between is not worked.
SESSION_GAP_S = 600.0
# A jump between fixes faster than this (m/s) is a bad fix, not road covered.
MAX_SPEED_M_S = 70.0
FAULT_LINE = re.compile(r" DEVICE FAULT (?P<device>\S+): (?P<reason>.*?)(?: \(asking again.*)?$")


@dataclass
class DaySummary:
    """What a store (and its run log) holds."""

    signal: int = 0
    signal_with_fix: int = 0
    technologies: dict[str, int] = field(default_factory=dict)
    tests: int = 0
    failed_tests: int = 0
    failures: Counter = field(default_factory=Counter)
    device_faults: Counter = field(default_factory=Counter)
    distance_km: float = 0.0
    hours: float = 0.0
    first_utc: str | None = None
    last_utc: str | None = None


def summarise(store_path: str | Path, log_path: str | Path | None = None) -> DaySummary:
    """The summary of a store; device faults from ``log_path`` (the run log by default)."""
    from .probe import run_log_path

    with ReadingStore(store_path, readonly=True) as store:
        signal = store.read_table(SIGNAL_LAYER, columns=["time_utc", "probe_id", "technology"])
        speed = store.read_table(SPEED_LAYER, columns=["time_utc", "probe_id", "status",
                                                       "failure_reason"])
    summary = DaySummary(signal=len(signal), signal_with_fix=int(signal["lon"].notna().sum()),
                         tests=int((speed["status"] != "failed").sum()),
                         failed_tests=int((speed["status"] == "failed").sum()))
    summary.technologies = signal["technology"].fillna("unknown").value_counts().to_dict()
    summary.failures = Counter(speed.loc[speed["status"] == "failed", "failure_reason"]
                               .fillna("unknown").map(_reason_kind))
    times = pd.concat([signal[["time_utc", "probe_id"]], speed[["time_utc", "probe_id"]]])
    if len(times):
        summary.first_utc, summary.last_utc = times["time_utc"].min(), times["time_utc"].max()
        summary.hours = _hours(times)
    summary.distance_km = _distance_m(signal) / 1000
    log = Path(log_path) if log_path else run_log_path(Path(store_path))
    if log.is_file():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = FAULT_LINE.search(line)
            if match:
                summary.device_faults[f"{match['device']}: {_reason_kind(match['reason'])}"] += 1
    return summary


def _reason_kind(reason: str) -> str:
    """A reason without its varying numbers, so that reasons count by kind."""
    return re.sub(r"\d+(\.\d+)?", "N", reason)


def _seconds(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["time_utc"], utc=True, format="ISO8601").astype("int64") / 1e9 \
        if len(frame) else pd.Series(dtype=float)


def _hours(times: pd.DataFrame) -> float:
    total = 0.0
    for _, rows in times.groupby(times["probe_id"].fillna("")):
        seconds = np.sort(pd.to_datetime(rows["time_utc"], utc=True, format="ISO8601")
                          .astype("int64").to_numpy() / 1e9)
        gaps = np.diff(seconds)
        total += float(gaps[gaps <= SESSION_GAP_S].sum())
    return total / 3600


def _distance_m(signal: pd.DataFrame) -> float:
    located = signal[signal["lon"].notna()].copy()
    total = 0.0
    for _, rows in located.groupby(located["probe_id"].fillna("")):
        rows = rows.assign(t=_seconds(rows)).sort_values("t")
        lon, lat, t = rows["lon"].to_numpy(), rows["lat"].to_numpy(), rows["t"].to_numpy()
        if len(rows) < 2:
            continue
        steps = metres_between(lon[:-1], lat[:-1], lon[1:], lat[1:])
        dt = np.diff(t)
        ok = (dt > 0) & (dt <= SESSION_GAP_S) & (steps <= MAX_SPEED_M_S * np.maximum(dt, 1))
        total += float(np.sum(steps[ok]))
    return total
