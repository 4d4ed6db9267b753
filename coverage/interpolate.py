"""The production interpolator (path-loss trend plus kriged residuals) and its helpers;
the peers it is measured against are in :mod:`~phusong.coverage.baselines`, the registry
of methods by name in :mod:`~phusong.coverage.methods`, the blocks in
:mod:`~phusong.coverage.blocks`.

``X`` is an (n, 2) array of projected coordinates in metres, ``y`` the values.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, check_X_y, check_array

from .blocks import block_codes, block_reduce, reduce_and_subsample  # noqa: F401 - re-exported


def censored_residuals(X: np.ndarray, residual: np.ndarray, silent: np.ndarray,
                       trend: np.ndarray, level: float, sigma: float, miss_rate: float,
                       block_size: float, n_neighbors: int) -> np.ndarray:
    """What each reading without NR (``silent``) says about its residual from ``trend``:
    below the attach ``level``, or a miss, judged against what the measured readings
    around it say (their ``residual`` kriged there, with its spread) rather than against
    the trend alone. Amid strong readings a reading without NR is then a miss, not a
    hole; far from any, it is what the trend says.
    """
    from .kriging import fit_variogram, local_kriging, scaled_to_variance
    from .pathloss import censored_residual_mean

    measured = ~silent
    if measured.sum() < 10:
        return censored_residual_mean(trend[silent], level, sigma, miss_rate)
    Xb, rb, _ = block_reduce(X[measured], residual[measured], block_size)
    variogram = scaled_to_variance(fit_variogram(Xb, rb), sigma**2)
    _, block, count = np.unique(block_codes(X[silent], block_size), return_inverse=True,
                                return_counts=True)
    centre = np.column_stack([np.bincount(block, X[silent, i]) / count for i in (0, 1)])
    local, std = local_kriging(Xb, rb, centre, variogram, n_neighbors)
    local, spread = local[block], np.sqrt(std[block] ** 2 + variogram.nugget)
    return local + censored_residual_mean(trend[silent] + local, level, spread, miss_rate)


class PathLossKriging(RegressorMixin, BaseEstimator):
    """Log-distance path-loss trend from serving sites, plus kriged residuals.

    The trend is the strongest of the nearby sites' ``a - b log10(d)``. Sites come
    from ``sites`` (known positions), else are located from the readings'
    serving cell ids (``cell_ids`` passed to :meth:`fit`), else the trend is the
    mean of the data and the model is plain simple kriging.
    Values at or below ``censor_dbm`` mean "no NR seen by an active, capable
    device": they are left-censored at the attach level, or misses whatever the
    signal, and the slope, the common intercept, the spread and the miss rate are
    fitted by censored maximum likelihood (:mod:`~phusong.coverage.pathloss`). Each site's intercept is then the mean of
    the readings nearest to it (censored ones at their expected value), shrunk
    towards the common one. The residuals' variogram shape is fitted to the data
    and its sill set to the fitted spread.

    Parameters
    ----------
    sites
        Known site positions, (m, 2) in the same CRS as ``X``.
    slope
        Path-loss slope in dB per decade of distance; estimated when omitted.
    n_neighbors
        Neighbours in each local kriging system.
    block_size
        Residuals are block-reduced (median) to this spacing before kriging.
    censor_dbm
        Values at or below are censored "no signal" readings.
    unlisted_distance_m
        With ``sites`` and ``cell_ids``, a serving cell located farther than this
        from every known site, whose readings are much stronger than the listed
        sites explain, is added as a site missing from the list (``None``: never). Listed
        sites whose close readings mostly saw no NR are dropped as off air.
    calibrate
        Learn, by spatial cross-validation on the training readings, how much of
        the trend's variation to keep, a shift of its level, a factor and floor
        on the standard deviation and how heavy the errors' tails are (a Student-t
        predictive distribution, :mod:`~phusong.coverage.calibration`), with the
        sites' positions as the full fit found them. A located trend that does not
        predict away from the roads is then shrunk towards plain kriging. The held-out
        predictions are kept, so that the probability of reaching a threshold can be
        recalibrated there (``calibration_.probability_above``).
    recalibrate_threshold
        With ``calibrate``, recalibrate P(covered) at the threshold (a shift and a
        spread factor of the predictive distribution fitted on the held-out readings).
        Off by default: on real drives P(covered) held out by day was further from the
        observed shares with it (benchmarks/real_end_to_end.py).

    Attributes
    ----------
    sites_ : LocatedSites or None
    trend_fit_ : LogDistanceFit
    censor_level_ : float
        The attach level: ``attach_dbm``, or the weakest NR values' level if higher.
    n_unlisted_ : int
        Sites added to a known list from the readings.
    n_off_air_ : int
        Listed sites dropped because the readings close to them saw no NR.
    variogram_ : ExponentialVariogram
    reading_residual_ : ndarray
        Each training reading's residual from the calibrated trend (readings without NR
        at their expected residual), before block reduction.
    calibration_ : TrendCalibration
        The trend weight, offset, spread and tail learnt when ``calibrate`` is set;
        ``predict``'s standard deviation is then that of a Student-t of
        ``calibration_.tail_dof`` degrees of freedom
        (:func:`~phusong.coverage.operators.probability_above`).
    device_offsets_ : DeviceOffsets
        The devices' level offsets taken out before kriging (none without
        ``device_ids``).
    """

    def __init__(self, sites=None, slope: float | None = None, n_neighbors: int = 12,
                 block_size: float = 50.0, censor_dbm: float = -140.0,
                 unlisted_distance_m: float | None = 800.0, site_prior_readings: float = 10.0,
                 calibrate: bool = True, miss_rate: float | None = None,
                 attach_dbm: float | None = None, recalibrate_threshold: bool = False):
        self.sites = sites
        self.recalibrate_threshold = recalibrate_threshold
        self.attach_dbm = attach_dbm
        self.miss_rate = miss_rate
        self.calibrate = calibrate
        self.site_prior_readings = site_prior_readings
        self.slope = slope
        self.n_neighbors = n_neighbors
        self.block_size = block_size
        self.censor_dbm = censor_dbm
        self.unlisted_distance_m = unlisted_distance_m

    def raw_trend(self, X: np.ndarray) -> np.ndarray:
        """The fitted path-loss trend at ``X``, before calibration."""
        if self.sites_ is None:
            return np.full(len(X), self.trend_fit_.intercept)
        return self.sites_.trend(X)

    def trend(self, X: np.ndarray) -> np.ndarray:
        """The trend the prediction builds on: :meth:`raw_trend` as calibrated."""
        return self.calibration_.apply(self.raw_trend(X), self.trend_mean_)

    def fit(self, X: np.ndarray, y: np.ndarray, cell_ids=None,
            device_ids=None) -> "PathLossKriging":
        """Fit to readings ``y`` at ``X``; ``cell_ids`` name each reading's serving cell
        (sites are located from them), ``device_ids`` the device that took it (each
        device's level offset is estimated and taken out, see
        :mod:`~phusong.coverage.devices`)."""
        from sklearn.base import clone

        from .calibration import NONE, cross_validated_calibration

        X, y = check_X_y(X, y, dtype=float)
        self.n_features_in_ = X.shape[1]
        cell_ids = None if cell_ids is None else np.asarray(cell_ids)
        raw_trend, y = self._fit_trend(X, y, cell_ids, device_ids)
        self.calibration_ = NONE
        if self.calibrate:
            # a site list stays known in every fold; located sites are located again
            # from each fold's training readings (cell_ids), never with the held-out block
            listed = self._has_site_list()
            known = self.sites_.xy if listed and self.sites_ is not None else None
            template = clone(self).set_params(calibrate=False, sites=known,
                                              unlisted_distance_m=None,
                                              miss_rate=self.trend_fit_.miss_rate)
            self.calibration_ = cross_validated_calibration(
                template, X, y, cell_ids=None if listed else cell_ids)
        self._fit_residuals(X, y, raw_trend)
        return self

    def _fit_trend(self, X: np.ndarray, y: np.ndarray, cell_ids,
                   device_ids) -> tuple[np.ndarray, np.ndarray]:
        """Fit the sites and the path-loss trend; the (uncalibrated) trend at ``X`` and
        ``y`` without the devices' offsets.

        The offsets are judged against the common trend, before each site's intercept
        is fitted: a site whose readings came from one probe would otherwise take that
        probe's offset as its own.
        """
        from .pathloss import attach_level, fit_censored_log_distance

        silent = y <= self.censor_dbm
        Xm, ym, Xs = X[~silent], y[~silent], X[silent]
        if len(ym) == 0:
            raise ValueError("no uncensored value to fit")
        self.censor_level_ = max(attach_level(ym), self.attach_dbm or -np.inf)
        served_by = None if cell_ids is None else cell_ids[~silent]
        self.sites_ = self._find_sites(Xm, ym, Xs, served_by)
        if self.sites_ is None:
            # without distances a miss cannot be told from a weak signal
            self.trend_fit_ = fit_censored_log_distance(
                np.zeros(len(ym)), ym, np.zeros(len(Xs)), self.censor_level_, slope=0.0,
                fit_miss_rate=False, miss_rate=self.miss_rate or 0.0)
            trend = self.raw_trend(X)
            return trend, self._without_device_offsets(X, y, trend, device_ids)
        near_m, near_s = self.sites_.neighbours(Xm), self.sites_.neighbours(Xs)
        self.trend_fit_ = fit_censored_log_distance(
            near_m[0][:, 0], ym, near_s[0][:, 0], self.censor_level_, self.slope,
            fit_miss_rate=self._has_site_list(), miss_rate=self.miss_rate or 0.0)
        common = self.sites_.with_trend(self.trend_fit_)
        trend = np.empty(len(X))
        trend[~silent], trend[silent] = common.trend_at(*near_m), common.trend_at(*near_s)
        y = self._without_device_offsets(X, y, trend, device_ids)
        self.sites_ = self._site_intercepts(common, y[~silent], near_m, near_s)
        trend[~silent], trend[silent] = self.sites_.trend_at(*near_m), self.sites_.trend_at(*near_s)
        return trend, y

    def _without_device_offsets(self, X: np.ndarray, y: np.ndarray, trend: np.ndarray,
                                device_ids) -> np.ndarray:
        """``y`` with each device's estimated offset taken from its measured values."""
        from .devices import estimate_device_offsets

        silent = y <= self.censor_dbm
        self.device_offsets_ = estimate_device_offsets(
            X, y, trend, silent, self.censor_level_, self.trend_fit_.sigma,
            self.trend_fit_.miss_rate, device_ids)
        if not self.device_offsets_.offsets:
            return y
        return np.where(silent, y, y - self.device_offsets_.at(device_ids))

    def _fit_residuals(self, X: np.ndarray, y: np.ndarray, raw: np.ndarray) -> None:
        """Krige what the trend (``raw`` at ``X``, calibrated here) leaves; censored
        readings enter at their expected residual (:func:`censored_residuals`)."""
        from .kriging import fit_variogram, scaled_to_variance

        self.trend_mean_ = float(raw.mean())
        trend = self.calibration_.apply(raw, self.trend_mean_)
        silent = y <= self.censor_dbm
        sigma = self.trend_fit_.sigma
        residual = np.where(silent, 0.0, y - trend)
        residual[silent] = censored_residuals(X, residual, silent, trend, self.censor_level_,
                                              sigma, self.trend_fit_.miss_rate,
                                              self.block_size, self.n_neighbors)
        self.reading_residual_ = residual
        self.X_, self.residual_, _ = block_reduce(X, residual, self.block_size)
        self.variogram_ = scaled_to_variance(fit_variogram(self.X_, self.residual_), sigma**2)

    def _site_intercepts(self, sites, ym: np.ndarray, near_m: tuple, near_s: tuple):
        """Per-site intercepts by EM: censored readings enter at their expected value.

        ``near_m``/``near_s``: the sites' :meth:`~LocatedSites.neighbours` of the
        measured and the censored readings.
        """
        from .pathloss import censored_residual_mean

        nearest = tuple(np.concatenate([m[:, :1], c[:, :1]]) for m, c in zip(near_m, near_s))
        for _ in range(3):
            trend = sites.trend_at(*near_s)
            imputed = trend + censored_residual_mean(trend, self.censor_level_,
                                                     self.trend_fit_.sigma,
                                                     self.trend_fit_.miss_rate)
            sites = sites.with_site_intercepts(np.concatenate([ym, imputed]), nearest,
                                               self.trend_fit_.intercept,
                                               self.site_prior_readings)
        return sites

    def _has_site_list(self) -> bool:
        return self.sites is not None and len(self.sites) > 0

    def _find_sites(self, Xm: np.ndarray, ym: np.ndarray, Xs: np.ndarray, served_by):
        from .sites import known_sites, locate_sites

        self.n_unlisted_ = self.n_off_air_ = 0
        named = None if served_by is None else pd.notna(served_by)  # None or NaN: no cell

        def located():
            if named is None:
                return None
            found = locate_sites(Xm[named], ym[named], served_by[named], self.slope)
            return found if len(found.xy) else None

        if not self._has_site_list():
            return located()
        sites, self.n_off_air_ = known_sites(
            np.asarray(self.sites, dtype=float).reshape(-1, 2)).without_silent(Xm, Xs)
        if len(sites.xy) == 0:
            return located()
        if named is not None and named.any() and self.unlisted_distance_m is not None:
            sites, self.n_unlisted_ = sites.with_unlisted(
                Xm[named], ym[named], served_by[named], self.unlisted_distance_m, self.slope)
        return sites

    def predict(self, X: np.ndarray, return_std: bool = False):
        """Trend plus kriged residual; with ``return_std`` its standard deviation (the
        kriging one, as calibrated)."""
        from .kriging import local_kriging

        check_is_fitted(self, "variogram_")
        X = check_array(X, dtype=float)
        residual, std = local_kriging(self.X_, self.residual_, X, self.variogram_,
                                      self.n_neighbors)
        mean = self.trend(X) + residual
        return (mean, self.calibration_.std(std)) if return_std else mean


def default_interpolator() -> PathLossKriging:
    """The unfitted default interpolator: path-loss trend with kriged residuals."""
    return PathLossKriging()
