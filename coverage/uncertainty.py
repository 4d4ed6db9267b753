"""Intervals for per-commune covered shares by simulation of correlated errors.

Each realisation adds to every operator's predicted RSRP its kriging standard
deviation times a unit Gaussian field with the exponential correlation of that
operator's residual variogram (approximate conditional simulation: the local
variance is the kriging variance, the spatial structure the variogram's).
A second, smoother field stands for the error of the path-loss trend itself
(site positions, missing sites, footprints): standard deviation ``model_std_db``
and correlation ``model_correlation_m``. :func:`~phusong.coverage.estimate_coverage`
uses a smaller value with a site list than with sites located from the readings;
both were calibrated on the simulator (the tests check the interval coverage
there); real campaigns should re-check them by spatial-block cross-validation
(``phusong evaluate``).
A place is covered in a realisation when any operator's value reaches the
threshold. The spread of the per-commune covered shares over the realisations,
below and above their median, is laid around the point estimate: the realisations'
own centre is shifted by the extra model-error variance (it raises the chance of
exceeding the threshold where the prediction lies below it), the point estimate is not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grid import Membership
from .radio import GaussianField


@dataclass
class OperatorPrediction:
    """One operator's prediction on the membership cells."""

    operator: str
    mean: np.ndarray
    std: np.ndarray
    p_covered: np.ndarray
    correlation_m: float
    unlisted_sites: int = 0
    off_air_sites: int = 0


def share_intervals(
    member: Membership,
    cells: np.ndarray,
    operators: list[OperatorPrediction],
    threshold: float,
    weights: np.ndarray | None = None,
    within: np.ndarray | None = None,
    n_realisations: int = 60,
    level: float = 0.90,
    model_std_db: float = 4.5,
    model_correlation_m: float = 3000.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Downward and upward spread (percentage points) of each unit's covered share at
    ``level``, measured from the median of the realisations.

    Parameters
    ----------
    weights
        Per-grid-cell weights (population); area only when omitted.
    within
        Per grid cell, whether it stands for its unit; the share of these cells is
        extrapolated to the unit (all cells when omitted).
    """
    rng = np.random.default_rng(seed)
    shares = np.empty((n_realisations, member.n_units))
    covered = np.full(member.grid.size, np.nan)
    coarse = _Coarse(member, cells, model_correlation_m)
    grid = member.grid
    local = [GaussianField(grid.shape, grid.resolution, max(op.correlation_m, grid.resolution))
             for op in operators]
    for r in range(n_realisations):
        any_covered = np.zeros(len(cells), dtype=bool)
        for op, field in zip(operators, local):
            value = op.mean + op.std * field.sample(1.0, rng).ravel()[cells]
            if model_std_db > 0:
                value += coarse.field(model_std_db, rng)
            any_covered |= value >= threshold
        covered[cells] = any_covered
        shares[r] = 100 * (member.weighted_mean(covered, weights) if within is None
                           else member.mean_within(covered, within, weights))
    tail = (1 - level) / 2 * 100
    low, median, high = np.nanpercentile(shares, [tail, 50, 100 - tail], axis=0)
    return median - low, high - median


class _Coarse:
    """A smooth field drawn on a coarser grid and read at the fine cells."""

    def __init__(self, member: Membership, cells: np.ndarray, correlation_m: float) -> None:
        grid = member.grid
        factor = max(int(correlation_m / (5 * grid.resolution)), 1)
        shape = (-(-grid.height // factor), -(-grid.width // factor))
        self.sampler = GaussianField(shape, grid.resolution * factor, correlation_m)
        rows, cols = np.divmod(cells, grid.width)
        self.index = (rows // factor) * shape[1] + cols // factor

    def field(self, std: float, rng: np.random.Generator) -> np.ndarray:
        return self.sampler.sample(std, rng).ravel()[self.index]
