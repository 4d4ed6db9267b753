"""The probability that some operator covers a place, with the operators' errors correlated.

Operators share the clutter between their sites and a place (buildings, trees,
terrain), so where one is weaker than predicted the others tend to be too: on the
Hamburg–Bremen drives the operators' held-out residuals on the same 10 m cells
correlate at 0.12–0.20 (``benchmarks/real_campaigns.py``). Taking them as
independent overstates the union. With a one-factor model, each operator's
standardised error is ``√ρ Z + √(1−ρ) E_i`` with ``Z`` shared, and
``P(none covers) = E_Z[Π_i P(operator i misses | Z)]``, integrated by Gauss–Hermite
quadrature.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.special import ndtr

OPERATOR_ERROR_CORRELATION = 0.15
# enough for P(covered) to 1e-6 (tests/test_engine.py: the integrand is smooth in Z)
QUADRATURE_NODES = 10
MIN_PLACES_PER_THREAD = 100_000


def p_any_covers(means: list[np.ndarray], stds: list[np.ndarray], threshold: float,
                 correlation: float = OPERATOR_ERROR_CORRELATION) -> np.ndarray:
    """P(at least one operator's value ≥ ``threshold``) per place.

    ``means``/``stds``: each operator's predicted value and standard deviation
    (a zero standard deviation is a sure value).
    """
    if not means:
        raise ValueError("no operator to combine")
    n = len(np.atleast_1d(means[0]))
    parts = min(os.cpu_count() or 1, n // MIN_PLACES_PER_THREAD)
    if np.ndim(means[0]) == 1 and parts > 1:
        # element by element: in parts on every core (SciPy's ndtr releases the GIL)
        bounds = np.linspace(0, n, parts + 1).astype(int)
        with ThreadPoolExecutor(max_workers=parts) as pool:
            return np.concatenate(list(pool.map(
                lambda lo, hi: _p_any_covers([np.asarray(m)[lo:hi] for m in means],
                                             [np.asarray(s)[lo:hi] for s in stds],
                                             threshold, correlation),
                bounds[:-1], bounds[1:])))
    return _p_any_covers(means, stds, threshold, correlation)


def _p_any_covers(means: list[np.ndarray], stds: list[np.ndarray], threshold: float,
                  correlation: float) -> np.ndarray:
    nodes, weights = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    weights = weights / weights.sum()
    shared, own = np.sqrt(correlation), np.sqrt(1 - correlation)
    none = np.zeros(np.shape(means[0]))
    for z, w in zip(nodes, weights):
        misses = np.ones_like(none)
        for mean, std in zip(means, stds):
            mean, std = np.asarray(mean, float), np.asarray(std, float)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = (threshold - mean - std * shared * z) / (std * own)
            sure_miss = (mean < threshold).astype(float)
            misses *= np.where(std > 0, ndtr(u), sure_miss)
        none += w * misses
    return 1 - none
