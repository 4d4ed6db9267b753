"""Log-distance path-loss fit to censored readings (a Tobit regression).

A 5G-capable device with data active attaches to NR only above an attach
level, so far from a site the NR values it reports are the lucky ones: a
least-squares fit to them alone flattens the slope and overstates the signal
where coverage ends. Readings without NR are left-censored observations
("below the attach level"); maximising the censored likelihood
(Tobin 1958) recovers the slope, intercept and spread of the whole population.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr
from scipy.stats import norm

SLOPE_BOUNDS_DB_PER_DECADE = (20.0, 50.0)
MAX_FIT_POINTS = 200_000


@dataclass(frozen=True)
class LogDistanceFit:
    """``RSRP = intercept - slope * log10(d3D) + e``, ``e ~ N(0, sigma²)``."""

    intercept: float
    slope: float
    sigma: float


def fit_censored_log_distance(log_d: np.ndarray, values: np.ndarray, censored_log_d: np.ndarray,
                              level: float, slope: float | None = None,
                              random_state: int = 0) -> LogDistanceFit:
    """Maximum-likelihood log-distance fit with left-censored readings.

    Parameters
    ----------
    log_d, values
        log10 of the 3D distance (m) to the serving site, and the RSRP (dBm) seen there.
    censored_log_d
        log10 distances where the device saw no NR, i.e. a value below ``level``.
    level
        The attach level (dBm) below which NR is not reported.
    slope
        Fixed slope (dB per decade); fitted within 20–50 dB/decade when omitted.
    """
    rng = np.random.default_rng(random_state)
    log_d, values = _subsample(rng, np.asarray(log_d, float), np.asarray(values, float))
    censored_log_d, = _subsample(rng, np.asarray(censored_log_d, float))
    start = _least_squares(log_d, values, slope)

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, log_s = theta
        s = np.exp(log_s)
        z = (values - (a - b * log_d)) / s
        zc = (level - (a - b * censored_log_d)) / s
        mills = np.exp(norm.logpdf(zc) - log_ndtr(zc))
        nll = 0.5 * z @ z + len(z) * log_s - log_ndtr(zc).sum()
        # d(-log L)/d(a, b, log s)
        grad_a = -z.sum() / s + mills.sum() / s
        grad_b = (z @ log_d) / s - (mills @ censored_log_d) / s
        grad_log_s = -(z @ z) + len(z) + mills @ zc
        return float(nll), np.array([grad_a, grad_b, grad_log_s])

    bounds = [(None, None),
              (slope, slope) if slope is not None else SLOPE_BOUNDS_DB_PER_DECADE,
              (np.log(0.5), np.log(30.0))]
    result = minimize(negative_log_likelihood, start, jac=True, method="L-BFGS-B",
                      bounds=bounds)
    a, b, log_s = result.x
    return LogDistanceFit(float(a), float(b), float(np.exp(log_s)))


def censored_residual_mean(mean: np.ndarray, level: float, sigma: float) -> np.ndarray:
    """E[e | mean + e < level] for e ~ N(0, sigma²): what a censored reading says."""
    z = (level - np.asarray(mean, float)) / sigma
    return -sigma * np.exp(norm.logpdf(z) - log_ndtr(z))


def attach_level(values: np.ndarray, quantile: float = 0.005) -> float:
    """The attach level estimated from the weakest reported NR values."""
    return float(np.quantile(values, quantile))


def _subsample(rng: np.random.Generator, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(arrays[0])
    if n <= MAX_FIT_POINTS:
        return arrays
    keep = rng.choice(n, MAX_FIT_POINTS, replace=False)
    return tuple(a[keep] for a in arrays)


def _least_squares(log_d: np.ndarray, values: np.ndarray, slope: float | None) -> np.ndarray:
    if slope is None:
        dl = log_d - log_d.mean()
        denom = float(dl @ dl)
        slope = -(dl @ (values - values.mean())) / denom if denom > 0 else 35.0
        slope = float(np.clip(slope, *SLOPE_BOUNDS_DB_PER_DECADE))
    intercept = float(np.mean(values + slope * log_d))
    spread = float(np.std(values + slope * log_d)) or 6.0
    return np.array([intercept, slope, np.log(np.clip(spread, 1.0, 25.0))])
