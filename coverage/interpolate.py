"""Spatial interpolators with the scikit-learn regressor interface.

``X`` is an (n, 2) array of projected coordinates in metres, ``y`` the values.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, check_X_y, check_array


def block_reduce(X: np.ndarray, y: np.ndarray, spacing: float,
                 reduction: str = "median") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce points to one per ``spacing``-sized block: mean position, reduced value.

    Dense drive tests put hundreds of readings in one cell; reducing them first
    keeps neighbourhoods spatially spread and the fit fast.

    Returns
    -------
    coordinates, values, counts
        One row per non-empty block.
    """
    X = np.asarray(X, dtype=float)
    keys = np.floor(X / spacing).astype(np.int64)
    frame = pd.DataFrame({"kx": keys[:, 0], "ky": keys[:, 1], "x": X[:, 0], "y": X[:, 1],
                          "v": np.asarray(y, dtype=float)})
    grouped = frame.groupby(["kx", "ky"], sort=False)
    reduced = grouped.agg(x=("x", "mean"), y=("y", "mean"), v=("v", reduction),
                          n=("v", "size"))
    return reduced[["x", "y"]].to_numpy(), reduced["v"].to_numpy(), reduced["n"].to_numpy()


def reduce_and_subsample(X: np.ndarray, y: np.ndarray, block_size: float, max_points: int,
                         random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-reduce, then draw at most ``max_points`` blocks at random (for O(n³) methods)."""
    Xr, yr, _ = block_reduce(X, y, block_size)
    if len(yr) > max_points:
        keep = np.random.default_rng(random_state).choice(len(yr), max_points, replace=False)
        Xr, yr = Xr[keep], yr[keep]
    return Xr, yr


class InverseDistance(RegressorMixin, BaseEstimator):
    """Inverse-distance weighting over the ``n_neighbors`` nearest points.

    Parameters
    ----------
    n_neighbors
        How many nearest data points enter each prediction.
    power
        Exponent of the inverse distance weights.
    smoothing
        Distance (m) added to every distance, so a data point does not dominate
        exactly at its location and the prediction is smooth.

    Attributes
    ----------
    tree_, y_
        The fitted k-d tree and values.
    """

    def __init__(self, n_neighbors: int = 8, power: float = 2.0, smoothing: float = 25.0):
        self.n_neighbors = n_neighbors
        self.power = power
        self.smoothing = smoothing

    def fit(self, X: np.ndarray, y: np.ndarray) -> "InverseDistance":
        X, y = check_X_y(X, y, dtype=float)
        self.tree_ = cKDTree(X)
        self.y_ = y
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray, return_std: bool = False):
        """Weighted mean of the neighbours; with ``return_std``, their weighted spread."""
        check_is_fitted(self, "tree_")
        X = check_array(X, dtype=float)
        k = min(self.n_neighbors, len(self.y_))
        distance, index = self.tree_.query(X, k=k, workers=-1)
        if k == 1:
            distance, index = distance[:, None], index[:, None]
        weights = 1.0 / (distance + self.smoothing) ** self.power
        weights /= weights.sum(axis=1, keepdims=True)
        values = self.y_[index]
        mean = np.einsum("ij,ij->i", weights, values)
        if not return_std:
            return mean
        spread = np.sqrt(np.einsum("ij,ij->i", weights, (values - mean[:, None]) ** 2))
        return mean, spread


class PathLossKriging(RegressorMixin, BaseEstimator):
    """Log-distance path-loss trend from serving sites, plus kriged residuals.

    The trend is the strongest of the nearby sites' ``a - b log10(d)``. Sites come
    from ``sites`` (known positions), else are located from the readings'
    serving cell ids (``cell_ids`` passed to :meth:`fit`), else the trend is the
    mean of the data and the model is plain simple kriging.
    Values at or below ``censor_dbm`` mean "no NR seen by an active, capable device":
    they place sites and pull the residuals down where the trend claims signal.

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

    Attributes
    ----------
    sites_ : LocatedSites or None
    variogram_ : ExponentialVariogram
    """

    def __init__(self, sites=None, slope: float | None = None, n_neighbors: int = 12,
                 block_size: float = 50.0, censor_dbm: float = -140.0):
        self.sites = sites
        self.slope = slope
        self.n_neighbors = n_neighbors
        self.block_size = block_size
        self.censor_dbm = censor_dbm

    def _trend(self, X: np.ndarray) -> np.ndarray:
        if self.sites_ is None:
            return np.full(len(X), self.mean_)
        return self.sites_.trend(X)

    def fit(self, X: np.ndarray, y: np.ndarray, cell_ids=None) -> "PathLossKriging":
        from .kriging import fit_variogram
        from .sites import known_sites_trend, locate_sites

        X, y = check_X_y(X, y, dtype=float)
        self.n_features_in_ = X.shape[1]
        silent = y <= self.censor_dbm
        Xm, ym = X[~silent], y[~silent]
        if len(ym) == 0:
            raise ValueError("no uncensored value to fit")
        self.mean_ = float(np.mean(ym))
        self.sites_ = None
        if self.sites is not None and len(self.sites):
            self.sites_ = known_sites_trend(np.asarray(self.sites, dtype=float).reshape(-1, 2),
                                            Xm, ym, self.slope)
        elif cell_ids is not None:
            ids = np.asarray(cell_ids)[~silent]
            known = ids != None  # noqa: E711 (object arrays)
            located = locate_sites(Xm[known], ym[known], ids[known], X[silent], self.slope)
            self.sites_ = located if len(located.xy) else None
        self.censor_level_ = float(np.min(ym))
        trend_m = self._trend(Xm)
        residual = ym - trend_m
        Xr = Xm
        if silent.any():
            trend_s = self._trend(X[silent])
            claims = trend_s > self.censor_level_ - 3
            Xr = np.vstack([Xm, X[silent][claims]])
            residual = np.concatenate([residual, self.censor_level_ - 3 - trend_s[claims]])
        self.X_, self.residual_, _ = block_reduce(Xr, residual, self.block_size)
        self.variogram_ = fit_variogram(self.X_, self.residual_)
        return self

    def predict(self, X: np.ndarray, return_std: bool = False):
        """Trend plus kriged residual; with ``return_std`` the kriging standard deviation."""
        from .kriging import local_kriging

        check_is_fitted(self, "variogram_")
        X = check_array(X, dtype=float)
        residual, std = local_kriging(self.X_, self.residual_, X, self.variogram_,
                                      self.n_neighbors)
        mean = self._trend(X) + residual
        return (mean, std) if return_std else mean


def default_interpolator() -> PathLossKriging:
    """The unfitted default interpolator: path-loss trend with kriged residuals."""
    return PathLossKriging()


class OrdinaryKriging(RegressorMixin, BaseEstimator):
    """Ordinary kriging over the ``n_neighbors`` nearest (block-reduced) points.

    The exponential variogram is fitted to the data by weighted least squares.

    Attributes
    ----------
    variogram_ : ExponentialVariogram
    """

    def __init__(self, n_neighbors: int = 16, block_size: float = 50.0):
        self.n_neighbors = n_neighbors
        self.block_size = block_size

    def fit(self, X: np.ndarray, y: np.ndarray) -> "OrdinaryKriging":
        from .kriging import fit_variogram

        X, y = check_X_y(X, y, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.X_, self.y_, _ = block_reduce(X, y, self.block_size)
        self.variogram_ = fit_variogram(self.X_, self.y_ - self.y_.mean())
        return self

    def predict(self, X: np.ndarray, return_std: bool = False):
        from .kriging import local_kriging

        check_is_fitted(self, "variogram_")
        X = check_array(X, dtype=float)
        mean, std = local_kriging(self.X_, self.y_, X, self.variogram_, self.n_neighbors,
                                  ordinary=True)
        return (mean, std) if return_std else mean


class GaussianProcess(RegressorMixin, BaseEstimator):
    """scikit-learn's Gaussian process (Matérn 3/2 + white noise) on a subsample.

    Exact GPs cost O(n³): the data are block-reduced, then at most ``max_points``
    are drawn at random.
    """

    def __init__(self, max_points: int = 1500, block_size: float = 100.0, random_state: int = 0):
        self.max_points = max_points
        self.block_size = block_size
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> "GaussianProcess":
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        X, y = check_X_y(X, y, dtype=float)
        self.n_features_in_ = X.shape[1]
        Xr, yr = reduce_and_subsample(X, y, self.block_size, self.max_points, self.random_state)
        kernel = ConstantKernel(50.0) * Matern(length_scale=500.0, nu=1.5) + WhiteKernel(10.0)
        self.model_ = GaussianProcessRegressor(kernel, normalize_y=True,
                                               random_state=self.random_state).fit(Xr, yr)
        return self

    def predict(self, X: np.ndarray, return_std: bool = False):
        check_is_fitted(self, "model_")
        return self.model_.predict(check_array(X, dtype=float), return_std=return_std)


class PyKrigeOrdinaryKriging(RegressorMixin, BaseEstimator):
    """PyKrige's ordinary kriging (C backend, local neighbourhood), for comparison.

    PyKrige builds the full (n+1)² matrix even with ``n_closest_points``, so the
    data are block-reduced and subsampled to ``max_points``, as its maintainers advise.
    """

    def __init__(self, n_closest_points: int = 50, max_points: int = 5000,
                 block_size: float = 50.0, random_state: int = 0):
        self.n_closest_points = n_closest_points
        self.max_points = max_points
        self.block_size = block_size
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> "PyKrigeOrdinaryKriging":
        from pykrige.ok import OrdinaryKriging as PyKrigeOK

        X, y = check_X_y(X, y, dtype=float)
        self.n_features_in_ = X.shape[1]
        Xr, yr = reduce_and_subsample(X, y, self.block_size, self.max_points, self.random_state)
        self.model_ = PyKrigeOK(Xr[:, 0], Xr[:, 1], yr, variogram_model="exponential")
        return self

    def predict(self, X: np.ndarray, return_std: bool = False):
        check_is_fitted(self, "model_")
        X = check_array(X, dtype=float)
        mean, variance = self.model_.execute("points", X[:, 0], X[:, 1], backend="C",
                                             n_closest_points=self.n_closest_points)
        mean = np.asarray(mean, dtype=float)
        return (mean, np.sqrt(np.maximum(np.asarray(variance), 0))) if return_std else mean


METHODS = {
    "pathloss": PathLossKriging,
    "kriging": OrdinaryKriging,
    "idw": InverseDistance,
    "gp": GaussianProcess,
    "pykrige": PyKrigeOrdinaryKriging,
}


def make_interpolator(name: str):
    """An unfitted interpolator by its short name (see :data:`METHODS`)."""
    from phusong.errors import ConfigError

    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    return METHODS[name]()
