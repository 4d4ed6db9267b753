"""Log-distance path-loss fit to censored readings (a Tobit regression).

A 5G-capable device with data active attaches to NR only above an attach
level, so far from a site the NR values it reports are the lucky ones: a
least-squares fit to them alone flattens the slope and overstates the signal
where coverage ends. Readings without NR are left-censored observations
("below the attach level"); maximising the censored likelihood
(Tobin 1958) recovers the slope, intercept and spread of the whole population.

Not every reading without NR is below the attach level: a non-standalone network
adds the NR leg only while there is enough traffic, and a device may miss it for a
moment anywhere. A censored reading is therefore a mixture, "below the attach
level" or "missed" with probability ``miss_rate`` whatever the signal (a
zero-inflated Tobit): ``P(no NR) = π + (1 − π) Φ((level − μ)/σ)``. Close to a site,
where the signal is far above the attach level, the share of readings without NR
is π itself, so the fit learns it from the data; it is 0 on a network that always
attaches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr

SLOPE_BOUNDS_DB_PER_DECADE = (20.0, 50.0)
MISS_RATE_BOUNDS = (0.0, 0.9)
MAX_FIT_POINTS = 50_000


@dataclass(frozen=True)
class LogDistanceFit:
    """``RSRP = intercept - slope * log10(d3D) + e``, ``e ~ N(0, sigma²)``; a reading
    misses NR whatever its signal with probability ``miss_rate``."""

    intercept: float
    slope: float
    sigma: float
    miss_rate: float = 0.0


def fit_censored_log_distance(log_d: np.ndarray, values: np.ndarray, censored_log_d: np.ndarray,
                              level: float, slope: float | None = None,
                              random_state: int = 0, fit_miss_rate: bool = True,
                              miss_rate: float = 0.0) -> LogDistanceFit:
    """Maximum-likelihood log-distance fit with left-censored readings.

    Parameters
    ----------
    log_d, values
        log10 of the 3D distance (m) to the serving site, and the RSRP (dBm) seen there.
    censored_log_d
        log10 distances where the device saw no NR, i.e. a value below ``level``
        (or a miss).
    level
        The attach level (dBm) below which NR is not reported.
    slope
        Fixed slope (dB per decade); fitted within 20–50 dB/decade when omitted.
    fit_miss_rate
        Learn the share of readings that miss NR whatever the signal, at least
        ``miss_rate``; else it is ``miss_rate``.
    """
    rng = np.random.default_rng(random_state)
    log_d, values = _subsample(rng, np.asarray(log_d, float), np.asarray(values, float))
    censored_log_d, = _subsample(rng, np.asarray(censored_log_d, float))
    miss_rate = float(np.clip(miss_rate, *MISS_RATE_BOUNDS))
    start = np.append(_least_squares(log_d, values, slope),
                      max(miss_rate, 0.05) if fit_miss_rate else miss_rate)

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, log_s, miss = theta
        s = np.exp(log_s)
        z = (values - (a - b * log_d)) / s
        zc = (level - (a - b * censored_log_d)) / s
        log_below = log_ndtr(zc)
        log_q = log_no_nr(log_below, miss)
        # the posterior weight of "below the attach level", times the inverse Mills ratio
        mills = np.exp(np.log1p(-miss) + _log_density(zc) - log_q)
        # sums of products, not BLAS dot products, which wake OpenBLAS's threads to spin
        # against the optimiser's own small BLAS calls
        zz = (z * z).sum()
        nll = 0.5 * zz + len(z) * (log_s - np.log1p(-miss)) - log_q.sum()
        grad_a = -z.sum() / s + mills.sum() / s
        grad_b = (z * log_d).sum() / s - (mills * censored_log_d).sum() / s
        grad_log_s = -zz + len(z) + (mills * zc).sum()
        # d(-log q)/dπ = -(1 - Φ)/q, capped where q underflows (a miss is then the only story)
        grad_miss = len(z) / (1 - miss) - (np.exp(np.minimum(-log_q, 50.0))
                                           - np.exp(log_below - log_q)).sum()
        return float(nll), np.array([grad_a, grad_b, grad_log_s, grad_miss])

    bounds = [(None, None),
              (slope, slope) if slope is not None else SLOPE_BOUNDS_DB_PER_DECADE,
              (np.log(0.5), np.log(30.0)),
              (miss_rate, MISS_RATE_BOUNDS[1]) if fit_miss_rate else (miss_rate, miss_rate)]
    result = minimize(negative_log_likelihood, start, jac=True, method="L-BFGS-B",
                      bounds=bounds)
    a, b, log_s, miss = result.x
    return LogDistanceFit(float(a), float(b), float(np.exp(log_s)), float(miss))


def log_no_nr(log_below: np.ndarray, miss_rate: float) -> np.ndarray:
    """log P(no NR) = log(π + (1 − π) Φ), from ``log_below`` = log Φ."""
    if miss_rate <= 0:
        return np.asarray(log_below, float)
    return np.logaddexp(np.log(miss_rate), np.log1p(-miss_rate) + log_below)


def censored_residual_mean(mean: np.ndarray, level: float, sigma: float,
                           miss_rate: float = 0.0) -> np.ndarray:
    """E[e | no NR] for e ~ N(0, sigma²): what a censored reading says, "below
    ``level``" or, with probability ``miss_rate``, a miss that says nothing.

    ``-(1 − π) σ φ(z) / (π + (1 − π) Φ(z))``, ``z = (level − mean)/σ``.
    """
    z = (level - np.asarray(mean, float)) / sigma
    log_q = log_no_nr(log_ndtr(z), miss_rate)
    return -sigma * np.exp(np.log1p(-miss_rate) + _log_density(z) - log_q)


def attach_level(values: np.ndarray, quantile: float = 0.005) -> float:
    """The attach level estimated from the weakest reported NR values."""
    return float(np.quantile(values, quantile))


_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _log_density(z: np.ndarray) -> np.ndarray:
    """log φ(z) of the standard normal (scipy.stats' ``norm.logpdf`` without its overhead)."""
    return -0.5 * z * z - _LOG_SQRT_2PI


def _subsample(rng: np.random.Generator, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(arrays[0])
    if n <= MAX_FIT_POINTS:
        return arrays
    keep = rng.choice(n, MAX_FIT_POINTS, replace=False)
    return tuple(a[keep] for a in arrays)


def _least_squares(log_d: np.ndarray, values: np.ndarray, slope: float | None) -> np.ndarray:
    if slope is None:
        dl = log_d - log_d.mean()
        denom = float((dl * dl).sum())
        slope = -float((dl * (values - values.mean())).sum()) / denom if denom > 0 else 35.0
        slope = float(np.clip(slope, *SLOPE_BOUNDS_DB_PER_DECADE))
    intercept = float(np.mean(values + slope * log_d))
    spread = float(np.std(values + slope * log_d)) or 6.0
    return np.array([intercept, slope, np.log(np.clip(spread, 1.0, 25.0))])
