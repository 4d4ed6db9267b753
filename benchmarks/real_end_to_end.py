"""The province's figure on real drives, end to end: estimate from some drives, check on
others. The referee of every engine change.

Run:  python benchmarks/real_end_to_end.py PATH/TO/hamburg_bremen_2021/drives
      [--mapping TOML] [--format table] [--tz ZONE] [--technology lte] [--threshold-dbm DBM]
      [--units-m 1000,5000] [--resolution 100] [--target-pct 60] [--work DIR]
      [--threshold-recalibration] [--option KEY=VALUE …] [--day-offset]

``--option`` passes keywords to ``estimate_coverage`` (``locate_sites=true``,
``unseen_sites=true``, ``small_area_fill=true``: the components that are off by default),
so that each component can be judged on the same drives.

The campaign's files (every ``*.geojson``, ``*.csv``, ``*.txt`` under PATH, in subfolders too,
or PATH itself; files that are not of the format are named and left out) are
imported with ``phusong import FORMAT --mapping TOML --region any`` (by default the
Hamburg–Bremen drives' mapping, benchmarks/mappings/hamburg_bremen_2021.toml: ENQT GmbH /
HAW Hamburg, CC BY-NC 4.0, not shipped). The readings are split by UTC day into two halves
(the Hamburg–Bremen drives: 13 and 17 September 2021; one day's campaign at its median
time), or at ``--split-at`` (one season's drives, then the next's); ``estimate`` runs on one
half and is
checked against the other, both ways, for each operator alone and for any operator, on
square units of each size in ``--units-m`` (those holding held-out readings), in the UTM zone
of the drives.

Held-out readings are reduced to 10 m cells (the median value; the drives repeat values
between modem reports): per operator, a cell is covered when its median reaches the
threshold; for any operator, when one of the operators measured there (all of them) does.
Printed per direction and scope:

- over the held-out cells: mean P(covered) (the estimate's grid at the cell) against the
  observed covered share, the Brier score against a constant's (the observed share itself)
  and against that of the best monotone recalibration of the same P(covered) (fitted to the
  held-out outcomes: what reshaping the probabilities alone could reach), the calibration by
  decile of P(covered), and how many cells the estimate reports as not measured; beside it
  the Brier score of a peer that needs no model (:func:`local_share_peer`);
- per unit with at least 30 held-out cells: how often the observed share lies inside the
  estimate's 90 % interval, the error (estimate minus observed) and its RMSE, and the
  statuses ``met``/``not_met`` on the wrong side of ``--target-pct`` against the observed
  share;
- on the 10 m cells both halves measured, the estimate's Brier score beside the bound set
  by the training half's own value at the same cell (see :func:`repeat_ceiling`).
"""
from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong.coverage import load_boundaries, load_targets
from phusong.coverage.estimate import estimate_coverage
from phusong.coverage.evidence import evidence_for, load_signal_xy
from phusong.coverage.interpolate import PathLossKriging
from phusong.coverage.targets import MET, NOT_MET

MAPPING = Path(__file__).resolve().parent / "mappings" / "hamburg_bremen_2021.toml"
CELL_M = 10.0
# LTE is judged at -105 dBm RSRP (a good-coverage level; estimate's own LTE default is -110)
LTE_THRESHOLD_DBM = -105.0
MIN_UNIT_CELLS = 30
# the peer's neighbourhood: a few 10 m cells either way along a road
PEER_RADIUS_M = 60.0
SUFFIXES = (".geojson", ".csv", ".txt", ".json", ".gpkg")


def import_campaign(path: Path, fmt: str, mapping: Path | None, work: Path,
                    tz: str | None = None, operator: str | None = None) -> Path:
    """The campaign's readings in a store under ``work`` (imported once, then reused);
    ``tz`` is the zone of times written without one (the importer's default otherwise),
    ``operator`` that of readings whose files name none."""
    store = work / "campaign.gpkg"
    if store.exists():
        return store
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*")
                                                 if p.is_file()
                                                 and p.suffix.lower() in SUFFIXES)
    command = [sys.executable, "-m", "phusong.cli", "import", fmt, *map(str, files),
               "--store", str(store), "--region", "any"]
    if mapping is not None:
        command += ["--mapping", str(mapping)]
    if tz is not None:
        command += ["--tz", tz]
    if operator is not None:
        command += ["--operator", operator]
    # a file that is not a log of the format (a README.txt) is named on stderr and left out
    done = subprocess.run(command, stdout=subprocess.DEVNULL)
    if done.returncode not in (0, 1) or not store.exists():
        raise SystemExit(f"import of {path} failed (exit {done.returncode})")
    return store


@dataclass
class Half:
    """The readings of some UTC days: ``since`` ≤ time < ``until``."""

    label: str
    since: datetime
    until: datetime


def day_halves(evidence: pd.DataFrame) -> tuple[Half, Half]:
    """The campaign's UTC days split in two: the first half of its days and the rest; a
    campaign of one day is split at its median time."""
    times = pd.to_datetime(evidence["time_utc"], utc=True, format="ISO8601").dropna()
    days = sorted(times.dt.normalize().unique())
    if len(days) < 2:
        middle = times.median().to_pydatetime()
        first, last = times.min().to_pydatetime(), times.max().to_pydatetime()
        # to the second when the halves are minutes long: the labels name them apart
        clock = "%H:%M" if last - first >= timedelta(minutes=10) else "%H:%M:%S"
        return (Half(f"{first:%d.%m} {first:{clock}}–{middle:{clock}}", first, middle),
                Half(f"{middle:%d.%m} {middle:{clock}}–{last:{clock}}", middle,
                     last + timedelta(seconds=1)))
    cut = (len(days) + 1) // 2

    def half(chosen) -> Half:
        start = chosen[0].to_pydatetime()
        end = chosen[-1].to_pydatetime() + timedelta(days=1)
        label = f"{start:%d.%m}" + ("" if len(chosen) == 1 else f"–{chosen[-1]:%d.%m}")
        return Half(label, start, end)

    return half(days[:cut]), half(days[cut:])


def halves_split_at(evidence: pd.DataFrame, when: datetime) -> tuple[Half, Half]:
    """The readings before ``when`` (UTC) and those from it on: a campaign whose sets of
    drives follow each other (one season, then the next) split where the user says."""
    times = pd.to_datetime(evidence["time_utc"], utc=True, format="ISO8601").dropna()
    first, last = times.min().to_pydatetime(), times.max().to_pydatetime()
    if not first < when <= last:
        raise SystemExit(f"--split-at {when:%Y-%m-%d %H:%M} UTC leaves one half empty: the "
                         f"readings run from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}")
    return (Half(f"{first:%d.%m}–{when:%d.%m %H:%M}", first, when),
            Half(f"{when:%d.%m %H:%M}–{last:%d.%m}", when, last + timedelta(seconds=1)))


def square_units(xy: np.ndarray, size_m: float, crs: str, out: Path) -> Path:
    """Square units of ``size_m`` holding any of the points ``xy``, written to ``out`` in
    WGS 84 (as a user's boundary file would be), 100 people per km²."""
    corners = np.unique(np.floor(xy / size_m).astype(np.int64), axis=0)
    boxes = shapely.box(corners[:, 0] * size_m, corners[:, 1] * size_m,
                        (corners[:, 0] + 1) * size_m, (corners[:, 1] + 1) * size_m)
    codes = [f"{size_m / 1000:g}km_E{e}_N{n}" for e, n in corners]
    units = gpd.GeoDataFrame({"code": codes, "name": codes,
                              "population": 100 * size_m**2 / 1e6},
                             geometry=boxes, crs=crs).to_crs("EPSG:4326")
    units.to_file(out, driver="GPKG")
    return out


def held_out_cells(evidence: pd.DataFrame, operators: list[str], threshold: float
                   ) -> pd.DataFrame:
    """The held-out 10 m cells of ``operators`` (all of them measured there), with
    ``x``, ``y`` and ``covered`` (any of the operators' medians reaches ``threshold``)."""
    rows = evidence[evidence["operator"].isin(operators)]
    key = [np.floor(rows["x"] / CELL_M).astype(np.int64).rename("ix"),
           np.floor(rows["y"] / CELL_M).astype(np.int64).rename("iy")]
    per_operator = rows.groupby(key + [rows["operator"]]).agg(
        x=("x", "mean"), y=("y", "mean"), value=("value", "median"))
    cells = per_operator.groupby(level=[0, 1]).agg(
        x=("x", "mean"), y=("y", "mean"), best=("value", "max"), n=("value", "size"))
    cells = cells[cells["n"] == len(operators)]
    return pd.DataFrame({"x": cells["x"].to_numpy(), "y": cells["y"].to_numpy(),
                         "best": cells["best"].to_numpy(),
                         "covered": cells["best"].to_numpy() >= threshold},
                        index=cells.index)


def scope_operators(scope: str, operators: list[str], train: pd.DataFrame,
                    test: pd.DataFrame) -> list[str]:
    """The operators a scope is scored on: itself, or for ``any`` every operator with
    readings in both halves; none when the scope's operator lacks readings in one."""
    in_both = [op for op in operators
               if (train["operator"] == op).any() and (test["operator"] == op).any()]
    if scope == "any":
        return in_both
    return [scope] if scope in in_both else []


def repeat_ceiling(result, train_cells: pd.DataFrame, test_cells: pd.DataFrame) -> dict:
    """On the 10 m cells both halves measured: the estimate's Brier score against the best
    that the training half's own value at the same cell can give (the isotonic regression
    of the held-out outcome on the training median, fitted to the held-out outcomes
    themselves, so an optimistic bound) and against a constant's.

    When the drives repeat a road, what one day's value there says about the other's bounds
    what any estimate from that day can say: this is that bound."""
    from sklearn.isotonic import IsotonicRegression

    both = test_cells.index.intersection(train_cells.index)
    if len(both) == 0:
        return {"repeat_cells": 0, "estimate": np.nan, "same_cell_bound": np.nan}
    covered = test_cells.loc[both, "covered"].to_numpy(float)
    before = train_cells.loc[both, "best"].to_numpy()
    oracle = IsotonicRegression(out_of_bounds="clip").fit(before, covered).predict(before)
    index = result.grid.cell_of(test_cells.loc[both, ["x", "y"]].to_numpy())
    p = np.where(index >= 0, result.p_covered_model[np.maximum(index, 0)], np.nan)
    ok = np.isfinite(p)
    share = covered[ok].mean()
    # a constant is exact where every cell had the same outcome: no ratio to speak of
    constant = share * (1 - share) if 0 < share < 1 else np.nan
    return {"repeat_cells": int(ok.sum()),
            "estimate": np.mean((p[ok] - covered[ok]) ** 2) / constant,
            "same_cell_bound": np.mean((oracle[ok] - covered[ok]) ** 2) / constant}


def local_share_peer(train_cells: pd.DataFrame, cells: pd.DataFrame,
                     radius_m: float = PEER_RADIUS_M) -> np.ndarray:
    """A peer that needs no model: at each of ``cells``, the covered share of the training
    half's 10 m cells (:func:`held_out_cells` of the training half) within ``radius_m``, or
    the training half's whole share where none is that close."""
    from scipy.spatial import cKDTree

    covered = train_cells["covered"].to_numpy(float)
    if len(covered) == 0:
        return np.full(len(cells), np.nan)
    near = cKDTree(train_cells[["x", "y"]].to_numpy()).query_ball_point(
        cells[["x", "y"]].to_numpy(), radius_m)
    count = np.fromiter((len(n) for n in near), int, len(near))
    total = np.fromiter((covered[n].sum() for n in near), float, len(near))
    return np.where(count > 0, total / np.maximum(count, 1), covered.mean())


def offsets_between(evidence: pd.DataFrame, first: np.ndarray, second: np.ndarray
                    ) -> dict[str, tuple[float, int]]:
    """Per operator, the mean of (first half − second half) of the measured values on the
    10 m cells both halves measured, and the number of such cells: a change of the
    network's level between the halves that no model of one half can know."""
    measured = evidence["nr_measured"].to_numpy(bool)
    rows = evidence[measured]
    first, second = first[measured], second[measured]
    keys = (np.floor(rows["x"] / CELL_M).astype(np.int64).astype(str) + ":"
            + np.floor(rows["y"] / CELL_M).astype(np.int64).astype(str))
    result = {}
    for operator in sorted(rows["operator"].dropna().unique()):
        mine = (rows["operator"] == operator).to_numpy()
        a, b = (rows["value"][mine & half].groupby(keys[mine & half]).median()
                for half in (first, second))
        both = a.index.intersection(b.index)
        result[str(operator)] = (float((a[both] - b[both]).mean()), len(both))
    return result


def reliability(p: np.ndarray, observed: np.ndarray) -> str:
    bins = np.clip((p * 10).astype(int), 0, 9)
    return "; ".join(f"{p[bins == b].mean():.2f}→{observed[bins == b].mean():.2f} "
                     f"({(bins == b).sum()})" for b in range(10) if (bins == b).any())


def score_cells(result, cells: pd.DataFrame, peer: np.ndarray) -> list[dict]:
    """Held-out cells against the estimate's P(covered) grid, and against ``peer`` (a
    probability per cell, :func:`local_share_peer`): all of them, and those the estimate
    reports as measured (near its readings)."""
    index = result.grid.cell_of(cells[["x", "y"]].to_numpy())
    ok = index >= 0
    p = result.p_covered_model[np.where(ok, index, 0)]
    ok &= np.isfinite(p)
    measured = result.reliable[np.where(ok, index, 0)] & ok
    covered = cells["covered"].to_numpy()
    rows = []
    for cells_used, chosen in (("all", ok), ("measured", measured)):
        p_used, observed = p[chosen], covered[chosen]
        share = observed.mean()
        rows.append({"cells_used": cells_used, "cells": int(chosen.sum()),
                     "mean_p": p_used.mean(), "observed": share,
                     "brier": np.mean((p_used - observed) ** 2),
                     "brier_constant": share * (1 - share),
                     "brier_recalibrated": recalibrated_brier(p_used, observed),
                     "brier_peer": np.mean((peer[chosen] - observed) ** 2),
                     "reliability": reliability(p_used, observed)})
    return rows


def recalibrated_brier(p: np.ndarray, observed: np.ndarray) -> float:
    """The Brier score of the best monotone recalibration of ``p`` (the isotonic regression
    of the outcomes on it, fitted to those outcomes themselves: an optimistic bound). What no
    reshaping of these probabilities can beat: only a better ranking of the cells can."""
    from sklearn.isotonic import IsotonicRegression

    if len(p) == 0:
        return np.nan
    fitted = IsotonicRegression(out_of_bounds="clip").fit(p, observed).predict(p)
    return float(np.mean((fitted - observed) ** 2))


def score_units(result, cells: pd.DataFrame, target_pct: float
                ) -> tuple[dict, pd.DataFrame]:
    """Units with at least :data:`MIN_UNIT_CELLS` held-out cells: the observed share
    against the estimate's share, interval and status; and each unit's figures."""
    unit = result.membership.unit_of(cells[["x", "y"]].to_numpy())
    inside = unit >= 0
    observed = pd.Series(cells["covered"].to_numpy()[inside]).groupby(unit[inside]).agg(
        ["mean", "size"])
    observed = observed[observed["size"] >= MIN_UNIT_CELLS]
    communes = result.communes.iloc[observed.index.to_numpy()]
    share = communes[_column(communes, "share_{}_area_pct")].to_numpy()
    low = communes[_column(communes, "share_{}_low_pct")].to_numpy()
    high = communes[_column(communes, "share_{}_high_pct")].to_numpy()
    status = communes["status"].to_numpy()
    obs = 100 * observed["mean"].to_numpy()
    rated = np.isfinite(share)
    error = (share - obs)[rated]
    details = pd.DataFrame({"code": communes["code"].to_numpy(), "share": share, "low": low,
                            "high": high, "observed": obs, "cells": observed["size"].to_numpy(),
                            "status": status})
    calls = np.isin(status, [MET, NOT_MET])
    wrong = ((status == MET) & (obs < target_pct)) | ((status == NOT_MET) & (obs >= target_pct))
    n = observed["size"].to_numpy()
    # the interval widened to the shares a sample of n cells can show (k / n)
    low_n, high_n = 100 * np.floor(low * n / 100) / n, 100 * np.ceil(high * n / 100) / n
    return {"units": len(observed), "rated": int(rated.sum()),
            "in_interval": int(((low <= obs) & (obs <= high))[rated].sum()),
            "in_interval_k_n": int(((low_n <= obs) & (obs <= high_n))[rated].sum()),
            # the point at an end of its interval, where the interval could reach past it
            "one_sided": int(((np.isclose(share, high) & ~np.isclose(share, 100))
                              | (np.isclose(share, low) & ~np.isclose(share, 0)))[rated].sum()),
            "mean_error_pp": error.mean() if len(error) else np.nan,
            "rmse_pp": np.sqrt(np.mean(error**2)) if len(error) else np.nan,
            "calls": int(calls.sum()), "wrong_side": int(wrong.sum())}, details


def _column(frame: pd.DataFrame, pattern: str) -> str:
    """The column of the estimated technology (``5g`` or ``lte``) named by ``pattern``."""
    for tech in ("5g", "lte"):
        if pattern.format(tech) in frame:
            return pattern.format(tech)
    raise KeyError(pattern)


def parse_options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        lowered = value.lower()
        options[key] = (True if lowered == "true" else False if lowered == "false"
                        else float(value) if value.replace(".", "", 1).lstrip("-").isdigit()
                        else value)
    return options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("campaign", type=Path)
    parser.add_argument("--format", default="table")
    parser.add_argument("--mapping", type=Path, default=None,
                        help="column mapping for --format table (default: the Hamburg–Bremen "
                             "drives' mapping)")
    parser.add_argument("--tz", default=None,
                        help="time zone of times the files write without one, e.g. "
                             "Europe/Dublin for a phone's local-time log (G-NetTrack); the "
                             "halves are UTC days")
    parser.add_argument("--split-at", type=_utc, default=None,
                        help="split the readings at this UTC date or time (YYYY-MM-DD[THH:MM]) "
                             "instead of into halves of their days")
    parser.add_argument("--operator", default=None,
                        help="operator of the readings whose files name none (a G-NetTrack log "
                             "without an operator column), as for phusong import")
    parser.add_argument("--technology", choices=("lte", "nr"), default="lte")
    parser.add_argument("--threshold-dbm", type=float, default=None,
                        help="covered at or above this RSRP (default: the targets file's for "
                             "NR, -105 dBm for LTE)")
    parser.add_argument("--units-m", default="1000,5000")
    parser.add_argument("--resolution", type=float, default=100.0)
    parser.add_argument("--target-pct", type=float, default=None,
                        help="target for the met/not_met statuses (default: the targets file's)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder to keep the imported store in between runs")
    parser.add_argument("--units-csv", type=Path, default=None,
                        help="also write every scored unit's share, interval and observation")
    parser.add_argument("--threshold-recalibration", action="store_true",
                        help="P(covered) recalibrated at the threshold (off by default)")
    parser.add_argument("--option", action="append", default=[],
                        help="extra estimate_coverage keyword, as key=value")
    parser.add_argument("--day-offset", action="store_true",
                        help="diagnostic: each operator's estimate asked at the threshold "
                             "moved by its level change between the halves (measured on the "
                             "held-out half, so not an estimate anyone could make)")
    return parser


@dataclass
class Campaign:
    """One imported campaign, split into its two halves, with what every fold shares."""

    store: Path
    everything: pd.DataFrame
    crs: str
    halves: tuple[Half, Half]
    in_half: dict[str, np.ndarray]
    operators: list[str]
    targets: object
    threshold_dbm: float
    offsets: dict
    units_of: dict[float, gpd.GeoDataFrame]


def load_campaign(args: argparse.Namespace, work: Path) -> Campaign:
    """Import the campaign, split it by day and make the square units; print its outline."""
    mapping = args.mapping or (MAPPING if args.format == "table" else None)
    store = import_campaign(args.campaign, args.format, mapping, work, args.tz, args.operator)
    readings = load_signal_xy(store, None)
    crs = readings.attrs["crs"]
    everything = evidence_for(readings, args.technology)
    if everything.empty:
        raise SystemExit(f"no {args.technology.upper()} reading in {args.campaign}: nothing "
                         "to estimate from (--technology?)")
    halves = (day_halves(everything) if args.split_at is None
              else halves_split_at(everything, args.split_at))
    operators = sorted(everything["operator"].dropna().astype(str).unique())
    targets = load_targets()
    if args.target_pct is not None:
        targets = dataclasses.replace(targets, coverage_5g_min_pct=args.target_pct)
    threshold_dbm = args.threshold_dbm if args.threshold_dbm is not None else (
        targets.threshold_dbm if args.technology == "nr" else LTE_THRESHOLD_DBM)
    print(f"{len(everything):,} {args.technology.upper()} readings, operators "
          f"{', '.join(operators)}; threshold {threshold_dbm:g} dBm; "
          f"target {targets.coverage_5g_min_pct:g} %; "
          f"halves {halves[0].label} and {halves[1].label}; options {args.option or 'none'}")
    in_half = {half.label: _within(everything, half) for half in halves}
    offsets = offsets_between(everything, *in_half.values())
    print(f"level of {halves[0].label} minus {halves[1].label} on the 10 m cells both measured: "
          + "; ".join(f"{op} {d:+.2f} dB ({n:,} cells)" if n else f"{op} none in common"
                      for op, (d, n) in offsets.items()))
    units_of = {size: load_boundaries(square_units(everything[["x", "y"]].to_numpy(), size, crs,
                                                   work / f"units_{size:g}.gpkg"),
                                      "code", "name", "population", region="any")
                for size in (float(s) for s in args.units_m.split(","))}
    return Campaign(store, everything, crs, halves, in_half, operators, targets, threshold_dbm,
                    offsets, units_of)


@dataclass
class Scores:
    """What every fold adds to the printed tables."""

    cells: list[dict] = dataclasses.field(default_factory=list)
    units: list[dict] = dataclasses.field(default_factory=list)
    details: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    repeats: list[dict] = dataclasses.field(default_factory=list)
    notes: set[str] = dataclasses.field(default_factory=set)


def _half_in(campaign: Campaign, half: Half, crs: str) -> pd.DataFrame:
    frame = campaign.everything[campaign.in_half[half.label]].copy()
    frame["x"], frame["y"] = _reproject(frame, campaign.crs, crs)
    return frame


def score_fold(campaign: Campaign, args: argparse.Namespace, train: Half, test: Half,
               size: float, scores: Scores) -> None:
    """Estimate from ``train`` on units of ``size`` and score every scope on ``test``."""
    units = campaign.units_of[size]
    held_out = _half_in(campaign, test, units.crs.to_string())
    trained_on = _half_in(campaign, train, units.crs.to_string())
    operators = campaign.operators
    for scope in ["any"] + operators:
        if args.day_offset and scope == "any":
            continue
        chosen = scope_operators(scope, operators, trained_on, held_out)
        if not chosen:
            scores.notes.add(f"{train.label}→{test.label} {scope} not scored: no readings "
                             "of it in both halves")
            continue
        if scope == "any" and chosen != operators:
            scores.notes.add(f"any operator: scored on {', '.join(chosen)}, the operators "
                             "with readings in both halves")
        threshold = campaign.threshold_dbm + _level_change(
            campaign.offsets, scope, train, campaign.halves, args.day_offset)
        started = time.perf_counter()
        result = estimate_coverage(
            campaign.store, units, resolution=args.resolution, targets=campaign.targets,
            threshold_dbm=threshold, technology=args.technology,
            since=train.since, until=train.until,
            operators=None if chosen == operators else chosen,
            interpolator=PathLossKriging(recalibrate_threshold=args.threshold_recalibration),
            **parse_options(args.option))
        seconds = time.perf_counter() - started
        cells = held_out_cells(held_out, chosen, campaign.threshold_dbm)
        if cells.empty:
            scores.notes.add(f"{train.label}→{test.label} {scope} not scored: no held-out "
                             f"10 m cell that {', '.join(chosen)} all measured")
            continue
        label = {"direction": f"{train.label}→{test.label}", "scope": scope}
        if size == next(iter(campaign.units_of)):
            train_cells = held_out_cells(trained_on, chosen, campaign.threshold_dbm)
            scores.cells += [{**label, **row, "seconds": seconds} for row in score_cells(
                result, cells, local_share_peer(train_cells, cells))]
            scores.repeats.append({**label, **repeat_ceiling(result, train_cells, cells)})
        unit_scores, per_unit = score_units(result, cells,
                                            campaign.targets.coverage_5g_min_pct)
        scores.units.append({**label, "unit_km": size / 1000, **unit_scores})
        scores.details.append(per_unit.assign(**label, unit_km=size / 1000))


def main() -> None:
    args = _parser().parse_args()
    work = args.work or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    campaign = load_campaign(args, work)
    scores = Scores()
    for train, test in (campaign.halves, campaign.halves[::-1]):
        for size in campaign.units_of:
            score_fold(campaign, args, train, test, size, scores)
    for note in sorted(scores.notes):
        print(f"note: {note}")
    _print(scores.cells, scores.units, scores.repeats)
    if args.units_csv is not None:
        pd.concat(scores.details).to_csv(args.units_csv, index=False, float_format="%.2f")


def _level_change(offsets: dict, scope: str, train: Half, halves: tuple[Half, Half],
                  wanted: bool) -> float:
    """How much stronger ``scope``'s network was in the training half than in the other
    (dB, on the cells both measured): a reading of the other half at the threshold would
    have read this much more in the training half. Zero unless ``wanted``."""
    if not wanted:
        return 0.0
    first_minus_second = offsets[scope][0]
    return first_minus_second if train is halves[0] else -first_minus_second


def _ratio(brier, constant) -> np.ndarray:
    """Brier score over a constant's; NaN where the constant is exact (one outcome)."""
    brier, constant = np.asarray(brier, float), np.asarray(constant, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(constant > 0, brier / constant, np.nan)


def _worst(values: np.ndarray) -> float:
    values = np.asarray(values, float)
    return float(np.nanmax(values)) if np.isfinite(values).any() else np.nan


def _utc(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD[THH:MM]") from None


def _within(evidence: pd.DataFrame, half: Half) -> np.ndarray:
    times = pd.to_datetime(evidence["time_utc"], utc=True, format="ISO8601")
    return ((times >= half.since) & (times < half.until)).to_numpy()


def _reproject(frame: pd.DataFrame, source: str, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """``x``/``y`` of ``frame`` (in ``source``) in ``crs``."""
    from pyproj import Transformer

    if source == crs:
        return frame["x"].to_numpy(), frame["y"].to_numpy()
    return Transformer.from_crs(source, crs, always_xy=True).transform(
        frame["x"].to_numpy(), frame["y"].to_numpy())


def _print(cell_rows: list[dict], unit_rows: list[dict], repeat_rows: list[dict]) -> None:
    cells = pd.DataFrame(cell_rows)
    units = pd.DataFrame(unit_rows)
    with pd.option_context("display.width", 220, "display.max_colwidth", 200):
        print("\nheld-out 10 m cells: mean P(covered) against the observed share; Brier "
              "against a constant's (ratio), and that of the best monotone recalibration of "
              "the same P, fitted to the held-out outcomes (recal_ratio); the peer's ratio "
              f"(the covered share of the training half's 10 m cells within {PEER_RADIUS_M:g} m)")
        print(cells.drop(columns=["reliability", "brier_recalibrated", "brier_peer"]).assign(
            ratio=_ratio(cells["brier"], cells["brier_constant"]),
            recal_ratio=_ratio(cells["brier_recalibrated"], cells["brier_constant"]),
            peer_ratio=_ratio(cells["brier_peer"], cells["brier_constant"])
        ).to_string(index=False, float_format="{:.3f}".format))
        print("\ncalibration by decile of P(covered) (mean P → observed share, cells):")
        for row in cell_rows:
            print(f"{row['direction']:>12} {row['scope']:>7} {row['cells_used']:>8}: "
                  f"{row['reliability']}")
        print(f"\nunits with ≥ {MIN_UNIT_CELLS} held-out cells: observed share inside the 90 % "
              "interval, error (pp), wrong-side statuses; one_sided: the point at an end of "
              "its interval (but at 0 or 100 %)")
        print(units.to_string(index=False, float_format="{:.2f}".format))
        print("\nthe 10 m cells both halves measured: Brier / constant's of the estimate "
              "and the bound of the training half's own value at the cell (isotonic, "
              "fitted to the outcomes)")
        print(pd.DataFrame(repeat_rows).to_string(index=False, float_format="{:.2f}".format))
    rated = units["rated"].sum()
    near = cells[cells["cells_used"] == "measured"]
    print("\nthe operators pooled (each cell scored by its own operator's estimate):")
    for (direction, used), part in cells[cells["scope"] != "any"].groupby(
            ["direction", "cells_used"], sort=False):
        n = part["cells"].sum()
        p, observed = ((part[c] * part["cells"]).sum() / n for c in ("mean_p", "observed"))
        brier = (part["brier"] * part["cells"]).sum() / n
        print(f"{direction:>12} {used:>8}: mean P {p:.3f}, observed {observed:.3f}, "
              f"Brier {brier:.3f} against a constant's {observed * (1 - observed):.3f} "
              f"({_ratio(brier, observed * (1 - observed)):.2f})")
    print(f"\nmeasured cells: mean P − observed within "
          f"{100 * (near['mean_p'] - near['observed']).abs().max():.1f} pp (worst); "
          f"Brier / constant's {_worst(_ratio(near['brier'], near['brier_constant'])):.2f} "
          "(worst); "
          f"units: observed share inside the interval {units['in_interval'].sum()} of {rated} "
          f"({100 * units['in_interval'].sum() / max(rated, 1):.0f} %; "
          f"{100 * units['in_interval_k_n'].sum() / max(rated, 1):.0f} % to the k/n a unit's "
          f"sample can show); wrong side "
          f"{units['wrong_side'].sum()} of {units['calls'].sum()} calls "
          f"({100 * units['wrong_side'].sum() / max(units['calls'].sum(), 1):.1f} %)")


if __name__ == "__main__":
    main()
