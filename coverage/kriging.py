"""Exponential variograms and local kriging over k nearest neighbours.

Kriging systems are solved in batches (one small k×k system per target point),
so memory stays flat with the number of readings, unlike global kriging.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class ExponentialVariogram:
    """``γ(h) = nugget + psill · (1 − exp(−h / range_m))``."""

    nugget: float
    psill: float
    range_m: float

    def covariance(self, h: np.ndarray) -> np.ndarray:
        """Covariance of the smooth part (without the nugget)."""
        return self.psill * np.exp(-h / self.range_m)


def empirical_variogram(X: np.ndarray, r: np.ndarray, max_lag: float, n_lags: int = 15,
                        max_points: int = 4000,
                        rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binned semivariance of ``r``: lag centres, semivariances and pair counts."""
    rng = rng or np.random.default_rng(0)
    if len(X) > max_points:
        keep = rng.choice(len(X), max_points, replace=False)
        X, r = X[keep], r[keep]
    pairs = cKDTree(X).query_pairs(max_lag, output_type="ndarray")
    edges = np.linspace(0, max_lag, n_lags + 1)
    if len(pairs) == 0:
        return (edges[:-1] + edges[1:]) / 2, np.full(n_lags, np.nan), np.zeros(n_lags, int)
    h = np.hypot(*(X[pairs[:, 0]] - X[pairs[:, 1]]).T)
    sq = 0.5 * (r[pairs[:, 0]] - r[pairs[:, 1]]) ** 2
    which = np.clip(np.digitize(h, edges) - 1, 0, n_lags - 1)
    counts = np.bincount(which, minlength=n_lags)
    with np.errstate(invalid="ignore"):
        gamma = np.bincount(which, sq, n_lags) / counts
    return (edges[:-1] + edges[1:]) / 2, gamma, counts


def fit_variogram(X: np.ndarray, r: np.ndarray, max_lag: float = 3000.0) -> ExponentialVariogram:
    """Weighted least-squares fit of an exponential model to the empirical variogram."""
    # A floor keeps the fit defined for (near-)constant residuals.
    variance = max(float(np.var(r)), 1e-3) if len(r) > 1 else 1.0
    lags, gamma, counts = empirical_variogram(X, r, max_lag)
    ok = counts > 10
    if ok.sum() < 3:
        return ExponentialVariogram(0.1 * variance, 0.9 * variance, max_lag / 3)

    def model(h, nugget, psill, rng_m):
        return nugget + psill * (1 - np.exp(-h / rng_m))

    try:
        params, _ = curve_fit(
            model, lags[ok], gamma[ok], p0=(0.1 * variance, variance, max_lag / 5),
            sigma=1 / np.sqrt(counts[ok]),
            bounds=([0, 1e-6, 10.0], [4 * variance + 1, 4 * variance + 1, 5 * max_lag]),
        )
    except (RuntimeError, ValueError):
        return ExponentialVariogram(0.1 * variance, 0.9 * variance, max_lag / 3)
    return ExponentialVariogram(*map(float, params))


def scaled_to_variance(variogram: ExponentialVariogram, variance: float) -> ExponentialVariogram:
    """The variogram with its sill (nugget + partial sill) set to ``variance``."""
    factor = variance / (variogram.nugget + variogram.psill)
    return ExponentialVariogram(variogram.nugget * factor, variogram.psill * factor,
                                variogram.range_m)


def local_kriging(X: np.ndarray, r: np.ndarray, targets: np.ndarray,
                  variogram: ExponentialVariogram, n_neighbors: int = 16,
                  ordinary: bool = False, chunk: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    """Kriging prediction and standard deviation of the smooth field at ``targets``.

    ``r`` may hold several fields as columns (n, m): they share the neighbour systems, which
    are solved once, and the prediction has one column per field.

    Simple kriging (known mean 0) by default: far from the data the prediction
    returns to 0 and the standard deviation to ``sqrt(psill)``. With ``ordinary``
    the mean is estimated locally. The nugget is treated as measurement noise,
    so predictions are of the noise-free field.
    """
    k = min(n_neighbors, len(X))
    tree = cKDTree(X)
    # Beyond this distance every covariance is below 0.1 % of the sill: the data carry
    # no weight, so simple kriging returns the mean and the full variance without a solve.
    reach = np.inf if ordinary else 7 * variogram.range_m
    mean = np.zeros((len(targets), *np.shape(r)[1:]))
    std = np.full(len(targets), np.sqrt(variogram.psill))

    def solve(rows: np.ndarray) -> None:
        dist, idx = tree.query(targets[rows], k=k)
        if k == 1:
            dist, idx = dist[:, None], idx[:, None]
        near = dist[:, 0] < reach
        if not near.all():
            rows, dist, idx = rows[near], dist[near], idx[near]
        C = _neighbour_covariances(X[idx], variogram)
        c0 = variogram.covariance(dist)
        if ordinary:
            n = len(rows)
            A = np.ones((n, k + 1, k + 1))
            A[:, :k, :k] = C
            A[:, k, k] = 0
            b = np.ones((n, k + 1))
            b[:, :k] = c0
            sol = np.linalg.solve(A, b[..., None])[..., 0]
            w, mu = sol[:, :k], sol[:, k]
            var = variogram.psill - np.einsum("ij,ij->i", w, c0) - mu
        else:
            w = np.linalg.solve(C, c0[..., None])[..., 0]
            var = variogram.psill - np.einsum("ij,ij->i", w, c0)
        mean[rows] = np.einsum("ij,ij...->i...", w, r[idx])
        std[rows] = np.sqrt(np.maximum(var, 0))

    # NumPy releases the GIL in these array operations: chunks run on every core. A chunk's
    # covariance matrices (chunk × k² doubles, 2.3 MB at the defaults) stay in a core's L2
    # cache, which 10,000 targets a chunk overflowed (docs/speed.md).
    everything = np.arange(len(targets))
    batches = [everything[start:start + chunk] for start in range(0, len(targets), chunk)]
    if len(batches) > 1:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(solve, batches))
    elif batches:
        solve(batches[0])
    return mean, std


def _neighbour_covariances(points: np.ndarray, variogram: ExponentialVariogram) -> np.ndarray:
    """The (n, k, k) covariance matrices, nugget on the diagonal, of ``points`` (n, k, 2):
    each distance computed once, for the upper triangle."""
    n, k = points.shape[:2]
    upper, lower = np.triu_indices(k, 1)
    x, y = points[..., 0], points[..., 1]
    # differences in double precision (the coordinates are large), the rest in single: the
    # covariances differ by ~1e-7 of the sill, at half the cost of the exponentials
    dx = (x[:, upper] - x[:, lower]).astype(np.float32)
    dy = (y[:, upper] - y[:, lower]).astype(np.float32)
    pair = np.float32(variogram.psill) * np.exp(
        np.sqrt(dx * dx + dy * dy) * np.float32(-1 / variogram.range_m))
    C = np.empty((n, k, k))
    C[:, upper, lower] = pair
    C[:, lower, upper] = pair
    diagonal = np.arange(k)
    C[:, diagonal, diagonal] = variogram.psill + variogram.nugget
    return C
