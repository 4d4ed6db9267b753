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

from phusong.config import COUNTRY_BOUNDS
from phusong.errors import InputFormatError
from phusong.store.cells import OPERATOR_CODES
from phusong.store.records import OPERATOR_PATTERN

from .grid import lonlat_from

from .pathloss import LogDistanceFit

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

    def neighbours(self, X: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """log10 3D distances (m) to the ``k`` nearest sites of each point, and their indices."""
        k = min(k, len(self.xy))
        distance, index = cKDTree(self.xy).query(X, k=k, workers=-1)
        if k == 1:
            distance, index = distance[:, None], index[:, None]
        return np.log10(np.hypot(distance, HEIGHT_OFFSET_M)), index

    def trend_at(self, log_d: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Strongest predicted RSRP over the given :meth:`neighbours`."""
        return (self.intercept[index] - self.slope * log_d).max(axis=1)

    def trend(self, X: np.ndarray, k: int = 4) -> np.ndarray:
        """Strongest predicted RSRP over the ``k`` nearest sites at ``X``."""
        if len(self.xy) == 0:
            return np.full(len(X), -np.inf)
        return self.trend_at(*self.neighbours(X, k))

    def with_trend(self, fit: "LogDistanceFit") -> "LocatedSites":
        """The same sites with a fitted common intercept and slope."""
        return LocatedSites(self.xy, np.full(len(self.xy), fit.intercept), fit.slope,
                            self.cell_ids)

    def with_unlisted(self, X: np.ndarray, y: np.ndarray, served_by: np.ndarray,
                      distance_m: float, slope: float | None = None,
                      margin_db: float = 10.0) -> tuple["LocatedSites", int]:
        """These sites plus the serving cells the list cannot explain.

        A cell (``served_by``: each reading's cell id) is added, placed by
        :func:`locate_sites` with ``slope``, when its readings are, by median,
        ``margin_db`` stronger than these sites' trend predicts there and it lies
        farther than ``distance_m`` from every listed site. Only the cells stronger
        than the list are located.
        """
        served_by = np.asarray(served_by).astype(str)
        excess = self._excess_by_cell(X, y, served_by)
        stronger = np.isin(served_by, excess.index[excess.to_numpy() > margin_db])
        located = locate_sites(X[stronger], y[stronger], served_by[stronger], slope)
        if len(located.xy) == 0:
            return self, 0
        distance, _ = cKDTree(self.xy).query(located.xy, k=1, workers=-1)
        extra = np.flatnonzero(distance > distance_m)
        merged = LocatedSites(np.vstack([self.xy, located.xy[extra]]),
                              np.concatenate([self.intercept, located.intercept[extra]]),
                              self.slope,
                              np.concatenate([self.cell_ids, located.cell_ids[extra]]))
        return merged, len(extra)

    def _excess_by_cell(self, X: np.ndarray, y: np.ndarray, served_by: np.ndarray
                        ) -> pd.Series:
        """Per serving cell, the median level of its readings above what the nearest of
        these sites explains, less the median over every reading."""
        level = y + self.slope * self.neighbours(X, k=1)[0][:, 0]
        return pd.Series(level - np.median(level)).groupby(served_by).median()

    def without_silent(self, X: np.ndarray, silent_X: np.ndarray, radius_m: float = 300.0,
                       min_readings: int = 5,
                       silent_share: float = 0.8) -> tuple["LocatedSites", int]:
        """These sites less those the readings show off air.

        A site is dropped when at least ``min_readings`` readings lie within
        ``radius_m`` of it and ``silent_share`` of them saw no NR (``silent_X``): an NR
        site on air is attached to that close.
        """
        if len(silent_X) == 0:
            return self, 0
        near_silent = cKDTree(silent_X).query_ball_point(self.xy, radius_m, return_length=True)
        near_heard = (cKDTree(X).query_ball_point(self.xy, radius_m, return_length=True)
                      if len(X) else np.zeros(len(self.xy), int))
        total = near_silent + near_heard
        off_air = (total >= min_readings) & (near_silent >= silent_share * total)
        kept = LocatedSites(self.xy[~off_air], self.intercept[~off_air], self.slope,
                            self.cell_ids[~off_air])
        return kept, int(off_air.sum())

    def with_site_intercepts(self, y: np.ndarray, nearest: tuple[np.ndarray, np.ndarray],
                             common: float, prior_readings: float = 10.0) -> "LocatedSites":
        """Each site's intercept from the readings nearest to it (``nearest``: their
        :meth:`neighbours` with ``k=1``): the mean of ``y + slope log10(d)``, shrunk
        towards ``common`` as if ``prior_readings`` more readings had that value."""
        if np.isinf(prior_readings):
            return LocatedSites(self.xy, np.full(len(self.xy), common), self.slope, self.cell_ids)
        log_d, index = nearest[0][:, 0], nearest[1][:, 0]
        level = y + self.slope * log_d
        n = np.bincount(index, minlength=len(self.xy))
        total = np.bincount(index, level, minlength=len(self.xy))
        intercept = (total + prior_readings * common) / (n + prior_readings)
        return LocatedSites(self.xy, intercept, self.slope, self.cell_ids)


def _log_d(points: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """log10 of the 3D distance from every candidate (rows) to every point (columns)."""
    # one buffer: the squared 3D distances, then half their log10, in place
    log_d = points[None, :, 0] - candidates[:, None, 0]
    log_d *= log_d
    dy = points[None, :, 1] - candidates[:, None, 1]
    dy *= dy
    log_d += dy
    log_d += HEIGHT_OFFSET_M**2
    np.log10(log_d, out=log_d)
    log_d *= 0.5
    return log_d


def _misfit(points: np.ndarray, values: np.ndarray, slope: float,
            candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared misfit and intercept of a site at each candidate position."""
    level = _log_d(points, candidates)
    level *= slope
    level += values[None, :]
    intercept = level.mean(axis=1)
    level -= intercept[:, None]
    level *= level
    return level.sum(axis=1), intercept


def _square(centre: np.ndarray, half: float, step: float) -> np.ndarray:
    offsets = np.arange(-half, half + step / 2, step)
    return centre + np.stack(np.meshgrid(offsets, offsets), -1).reshape(-1, 2)


def _locate_one(points: np.ndarray, values: np.ndarray, slope: float, search_m: float,
                step_m: float) -> tuple[np.ndarray, float]:
    """Coarse-to-fine grid search: steps of 4 × ``step_m``, then ``step_m`` around the best."""
    strongest = np.argsort(values)[-5:]
    weights = 10 ** (values[strongest] / 20)
    centre = (points[strongest] * weights[:, None]).sum(0) / weights.sum()
    coarse = _square(centre, search_m, 4 * step_m)
    misfit, _ = _misfit(points, values, slope, coarse)
    fine = _square(coarse[int(np.argmin(misfit))], 4 * step_m, step_m)
    misfit, intercept = _misfit(points, values, slope, fine)
    best = int(np.argmin(misfit))
    return fine[best], float(intercept[best])


def locate_sites(X: np.ndarray, y: np.ndarray, cell_ids: np.ndarray,
                 slope: float | None = None, min_readings: int = 3, search_m: float = 1500.0,
                 step_m: float = 50.0) -> LocatedSites:
    """Estimate a site position and intercept for every cell with enough readings.

    Parameters
    ----------
    X, y
        Positions (m) and RSRP (dBm) of readings that name their serving cell.
    cell_ids
        The serving cell of each reading.
    slope
        dB per decade used to place the sites (TR 38.901 UMa NLOS when omitted); the
        models refit it with the intercepts (:mod:`~phusong.coverage.pathloss`).

    Readings without NR do not place the sites. Counted against the signal a candidate
    predicts there, they favour a site on the road, whose signal falls fastest along it:
    on simulated campaigns they put the sites too close to the routes (0.12 decade of
    distance short when 30 % of readings miss NR), the trend ran low away from the roads
    and the readings-alone intervals held for 72 % of communes with data; placed by the
    measured readings alone, 87 % (``benchmarks/calibration.py --modes readings``).
    """
    cell_ids = np.asarray(cell_ids).astype(str)
    order = np.argsort(cell_ids, kind="stable")
    ids, starts = np.unique(cell_ids[order], return_index=True)
    groups = [g for g in np.split(order, starts[1:]) if len(g) >= min_readings]
    first_slope = slope if slope is not None else DEFAULT_SLOPE_DB_PER_DECADE
    xy, intercepts, kept = [], [], []
    for group in groups:
        position, a = _locate_one(X[group], y[group], first_slope, search_m, step_m)
        xy.append(position)
        intercepts.append(a)
        kept.append(cell_ids[group[0]])
    return LocatedSites(np.array(xy).reshape(-1, 2), np.array(intercepts), first_slope,
                        np.array(kept))


def known_sites(xy: np.ndarray) -> LocatedSites:
    """Known site positions, with the default trend until one is fitted."""
    return LocatedSites(xy, np.zeros(len(xy)), DEFAULT_SLOPE_DB_PER_DECADE,
                        np.array([f"listed-{i}" for i in range(len(xy))]))


SITE_COLUMNS = ("operator", "technology", "lon", "lat")
MCC_MNC = OPERATOR_PATTERN.pattern


def operator_code(name: pd.Series) -> pd.Series:
    """MCC-MNC of each operator given as MCC-MNC or by name (NaN when unknown)."""
    cleaned = name.str.strip()
    by_name = cleaned.str.casefold().str.replace(r"[\s_-]", "", regex=True).map(OPERATOR_CODES)
    return cleaned.where(cleaned.str.match(MCC_MNC, na=False), by_name)


def read_csv_table(path: Path, what: str) -> pd.DataFrame:
    """A UTF-8 CSV as text columns, with one clear error for what cannot be one."""
    if path.is_dir():
        raise InputFormatError(f"{path} is a folder, not a {what} CSV file")
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""])
    except FileNotFoundError as exc:
        raise InputFormatError(f"{what} not found: {path}") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFormatError(f"{path.name} is empty") from exc
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{path.name} is not UTF-8: save it as CSV UTF-8") from exc
    except pd.errors.ParserError as exc:
        raise InputFormatError(f"{path.name} is not a readable CSV: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputFormatError(f"{path.name} has a header but no rows")
    return frame


def read_sites(path: str | Path, crs: str | None = None) -> pd.DataFrame:
    """A site list CSV (``operator``, ``technology``, ``lon``, ``lat``), validated.

    ``operator`` is MCC-MNC as in the readings (452-04) or a Vietnamese operator's name
    (Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile); ``technology`` NR rows are
    the 5G sites. ``lon``/``lat`` are WGS 84 degrees, or easting/northing in ``crs``
    when given (e.g. EPSG:9214 for VN-2000). Every bad row is reported by line number
    and refuses the file.
    """
    path = Path(path)
    frame = read_csv_table(path, "site list")
    missing = [c for c in SITE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    lon, lat = lonlat_from(crs, pd.to_numeric(frame["lon"], errors="coerce"),
                           pd.to_numeric(frame["lat"], errors="coerce"))
    lon, lat = pd.Series(lon, index=frame.index), pd.Series(lat, index=frame.index)
    operator = operator_code(frame["operator"])
    west, south, east, north = COUNTRY_BOUNDS
    bad = ~(lon.between(west, east) & lat.between(south, north)) | operator.isna()
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:20])
        raise InputFormatError(f"{path.name}: rows without a known operator (MCC-MNC or name) "
                               f"or a position in Vietnam at line(s) {lines}")
    return pd.DataFrame({"operator": operator,
                         "technology": frame["technology"].fillna("").str.strip().str.upper(),
                         "lon": lon, "lat": lat})
