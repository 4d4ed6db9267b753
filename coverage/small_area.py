"""Small-area estimation for the parts of communes that no reading supports.

Without a site list the signal model knows only the sites heard from the routes,
so far from every route it predicts no coverage: a commune that was barely driven
would be reported near 0 % whatever its truth. Its unsupported part is instead
predicted from the communes that were measured, by a regression of their share
(on the logit scale) on population density (5G is deployed where people live),
with the regression's own uncertainty and its residual spread in the draws: a
synthetic estimator as in small-area estimation (Rao & Molina, *Small Area
Estimation*, 2015, §3.2). A commune's figure is the supported share of its area
from the model and the rest from the regression.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

# Shares are clipped to this range before the logit, so 0 % and 100 % stay finite.
SHARE_CLIP = (0.01, 0.99)
MIN_MEASURED_UNITS = 5
# Spread (percentage points) added on the share scale: the logit scale squeezes the
# regression's spread to nothing near 0 % and 100 %, where the model's own shares (its
# inputs) are still a few points off.
SHARE_SCALE_STD_PP = 2.0


def _design(density: np.ndarray) -> np.ndarray:
    x = np.log1p(np.nan_to_num(density, nan=np.nanmedian(density) if np.isfinite(
        density).any() else 0.0))
    return np.column_stack([np.ones_like(x), x])


def synthetic_draws(share_pct: np.ndarray, measured: np.ndarray, density: np.ndarray,
                    n_draws: int, seed: int = 2) -> tuple[np.ndarray, np.ndarray] | None:
    """Regression predictions of every unit's share (percent) and their draws
    ``(n_draws, n_units)``; ``None`` with fewer than ``MIN_MEASURED_UNITS`` measured units.

    Parameters
    ----------
    share_pct
        The model's share of each unit (used where ``measured``).
    measured
        Units with enough data to enter the regression.
    density
        People per km² of each unit.
    """
    ok = measured & np.isfinite(share_pct)
    if ok.sum() < MIN_MEASURED_UNITS:
        return None
    X = _design(density)
    y = logit(np.clip(share_pct[ok] / 100, *SHARE_CLIP))
    beta, *_ = np.linalg.lstsq(X[ok], y, rcond=None)
    residual = y - X[ok] @ beta
    dof = max(int(ok.sum()) - X.shape[1], 1)
    sigma = float(np.sqrt(residual @ residual / dof))
    covariance = sigma**2 * np.linalg.pinv(X[ok].T @ X[ok])
    rng = np.random.default_rng(seed)
    betas = rng.multivariate_normal(beta, covariance, size=n_draws)
    noise = rng.standard_normal((n_draws, len(share_pct))) * sigma
    draws = 100 * expit(betas @ X.T + noise)
    draws += rng.standard_normal(draws.shape) * SHARE_SCALE_STD_PP
    return 100 * expit(X @ beta), np.clip(draws, 0, 100)
