"""The peers the default is measured against, with the same scikit-learn interface:
inverse-distance weighting, local ordinary kriging, scikit-learn's Gaussian process and
PyKrige's ordinary kriging. None is used to produce a figure unless asked for by name
(``--method``) or chosen by cross-validation (``--method auto``).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, check_X_y, check_array

from .blocks import block_reduce, reduce_and_subsample


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
