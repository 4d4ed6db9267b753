"""Locating cells from the readings they serve, and their path-loss trend.

Signal falls with log-distance from the serving site. Each cell id seen in the
readings is placed where a log-distance model best explains its readings (a
grid search around the weighted centroid of its strongest readings, as
OpenCelliD-style locators start from), penalised where nearby readings of the
same operator saw no NR (which removes the mirror ambiguity of a straight road).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from phusong.errors import InputFormatError

# 3GPP TR 38.901 UMa NLOS: 39.08 dB per decade of 3D distance; site height 25 m, UE 1.5 m.
DEFAULT_SLOPE_DB_PER_DECADE = 39.08
HEIGHT_OFFSET_M = 23.5


@dataclass
class LocatedSites:
    """Estimated site positions ``xy`` (m), intercepts ``a`` (dB at 1 m) and the slope."""

    xy: np.ndarray
    intercept: np.ndarray
    slope: float
    cell_ids: np.ndarray

    def trend(self, X: np.ndarray, k: int = 4) -> np.ndarray:
        """Strongest predicted RSRP over the ``k`` nearest sites at ``X``."""
        if len(self.xy) == 0:
            return np.full(len(X), -np.inf)
        k = min(k, len(self.xy))
        distance, index = cKDTree(self.xy).query(X, k=k, workers=-1)
        if k == 1:
            distance, index = distance[:, None], index[:, None]
        level = self.intercept[index] - self.slope * np.log10(np.hypot(distance, HEIGHT_OFFSET_M))
        return level.max(axis=1)


def _log_d(points: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    d = np.hypot(points[None, :, 0] - candidates[:, None, 0], points[None, :, 1] - candidates[:, None, 1])
    return np.log10(np.hypot(d, HEIGHT_OFFSET_M))


def _misfit(points: np.ndarray, values: np.ndarray, silent: np.ndarray, slope: float,
            silent_level: float, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared misfit and intercept of a site at each candidate position."""
    logd = _log_d(points, candidates)
    intercept = (values[None, :] + slope * logd).mean(axis=1)
    misfit = ((values[None, :] + slope * logd - intercept[:, None]) ** 2).sum(axis=1)
    if len(silent):
        predicted = intercept[:, None] - slope * _log_d(silent, candidates)
        misfit += (np.maximum(predicted - silent_level, 0) ** 2).sum(axis=1)
    return misfit, intercept


def _square(centre: np.ndarray, half: float, step: float) -> np.ndarray:
    offsets = np.arange(-half, half + step / 2, step)
    return centre + np.stack(np.meshgrid(offsets, offsets), -1).reshape(-1, 2)


def _locate_one(points: np.ndarray, values: np.ndarray, silent: np.ndarray, slope: float,
                silent_level: float, search_m: float, step_m: float) -> tuple[np.ndarray, float]:
    """Coarse-to-fine grid search: steps of 4 × ``step_m``, then ``step_m`` around the best."""
    strongest = np.argsort(values)[-5:]
    weights = 10 ** (values[strongest] / 20)
    centre = (points[strongest] * weights[:, None]).sum(0) / weights.sum()
    coarse = _square(centre, search_m, 4 * step_m)
    misfit, _ = _misfit(points, values, silent, slope, silent_level, coarse)
    fine = _square(coarse[int(np.argmin(misfit))], 4 * step_m, step_m)
    misfit, intercept = _misfit(points, values, silent, slope, silent_level, fine)
    best = int(np.argmin(misfit))
    return fine[best], float(intercept[best])


def locate_sites(X: np.ndarray, y: np.ndarray, cell_ids: np.ndarray,
                 silent_X: np.ndarray | None = None, slope: float | None = None,
                 min_readings: int = 3, search_m: float = 1500.0,
                 step_m: float = 50.0) -> LocatedSites:
    """Estimate a site position and intercept for every cell with enough readings.

    Parameters
    ----------
    X, y
        Positions (m) and RSRP (dBm) of readings that name their serving cell.
    cell_ids
        The serving cell of each reading.
    silent_X
        Positions where a capable, active device of the same operator saw no NR.
    slope
        dB per decade; estimated from the readings (within-cell regression) when omitted.
    """
    cell_ids = np.asarray(cell_ids).astype(str)
    silent_X = np.empty((0, 2)) if silent_X is None else np.asarray(silent_X, dtype=float)
    silent_tree = cKDTree(silent_X) if len(silent_X) else None
    silent_level = float(np.min(y)) if len(y) else -125.0
    order = np.argsort(cell_ids, kind="stable")
    ids, starts = np.unique(cell_ids[order], return_index=True)
    groups = [g for g in np.split(order, starts[1:]) if len(g) >= min_readings]
    first_slope = slope if slope is not None else DEFAULT_SLOPE_DB_PER_DECADE
    xy, intercept, kept = [], [], []
    for group in groups:
        pts, vals = X[group], y[group]
        silent = np.empty((0, 2))
        if silent_tree is not None:
            near = silent_tree.query_ball_point(pts.mean(0), search_m + 1500.0)
            silent = silent_X[near[:300]] if len(near) else silent
        position, a = _locate_one(pts, vals, silent, first_slope, silent_level, search_m, step_m)
        xy.append(position)
        intercept.append(a)
        kept.append(cell_ids[group[0]])
    sites = LocatedSites(np.array(xy).reshape(-1, 2), np.array(intercept), first_slope,
                         np.array(kept))
    if slope is None and len(groups):
        sites.slope = _pooled_slope(X, y, groups, sites.xy)
        sites.intercept = np.array([
            np.mean(y[g] + sites.slope * np.log10(np.hypot(
                np.hypot(*(X[g] - sites.xy[i]).T), HEIGHT_OFFSET_M)))
            for i, g in enumerate(groups)
        ])
    return sites


def _pooled_slope(X: np.ndarray, y: np.ndarray, groups: list[np.ndarray],
                  xy: np.ndarray) -> float:
    """Within-cell least-squares slope of RSRP on log10 distance, clipped to 20–50 dB/decade."""
    num = den = 0.0
    for i, g in enumerate(groups):
        logd = np.log10(np.hypot(np.hypot(*(X[g] - xy[i]).T), HEIGHT_OFFSET_M))
        dl, dy = logd - logd.mean(), y[g] - y[g].mean()
        num += float(dl @ dy)
        den += float(dl @ dl)
    if den == 0:
        return DEFAULT_SLOPE_DB_PER_DECADE
    return float(np.clip(-num / den, 20.0, 50.0))


def known_sites_trend(xy: np.ndarray, X: np.ndarray, y: np.ndarray,
                      slope: float | None = None) -> LocatedSites:
    """Log-distance trend from known site positions: ``a - b log10(d3D)`` to the nearest
    site, ``a`` (and ``b`` unless given, clipped to 20–50 dB/decade) by least squares."""
    distance, _ = cKDTree(xy).query(X, k=1, workers=-1)
    logd = np.log10(np.hypot(distance, HEIGHT_OFFSET_M))
    if slope is None:
        dl = logd - logd.mean()
        slope = (float(np.clip(-(dl @ (y - y.mean())) / (dl @ dl), 20.0, 50.0))
                 if dl @ dl > 0 else DEFAULT_SLOPE_DB_PER_DECADE)
    intercept = float(np.mean(y + slope * logd))
    return LocatedSites(xy, np.full(len(xy), intercept), slope, np.arange(len(xy)).astype(str))


SITE_COLUMNS = ("operator", "technology", "lon", "lat")


def read_sites(path: str | Path) -> pd.DataFrame:
    """A site list CSV (``operator``, ``technology``, ``lon``, ``lat`` in WGS 84), validated.

    ``operator`` is MCC-MNC as in the readings; ``technology`` NR rows are the 5G sites.
    Every bad row is reported by line number and refuses the file.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFormatError(f"site list not found: {path}") from exc
    missing = [c for c in SITE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    bad = ~(lon.between(100, 112) & lat.between(6, 25)) | frame["operator"].isna()
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:20])
        raise InputFormatError(f"{path.name}: rows without an operator or a position in "
                               f"Vietnam at line(s) {lines}")
    return pd.DataFrame({"operator": frame["operator"].str.strip(),
                         "technology": frame["technology"].fillna("").str.strip().str.upper(),
                         "lon": lon, "lat": lat})
