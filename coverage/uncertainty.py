"""Intervals for per-commune covered shares by simulation of correlated errors.

Each realisation adds to every operator's predicted RSRP its kriging standard
deviation times a unit Gaussian field with the exponential correlation of that
operator's residual variogram (approximate conditional simulation: the local
variance is the kriging variance, the spatial structure the variogram's).
A second, smoother field stands for the error of the path-loss trend itself
(site positions, missing sites, footprints): standard deviation ``model_std_db``
and correlation ``model_correlation_m``, calibrated on the simulator (the tests
check the interval coverage there); real campaigns should re-check it by
spatial-block cross-validation (``phusong evaluate``).
A place is covered in a realisation when any operator's value reaches the
threshold. Where an operator's probability of coverage is not that of normal errors
around its prediction (a Student-t predictive distribution, recalibrated at the
threshold), its draws are centred on the mean under which a normal of the same spread
reaches the threshold with that probability, so each cell is covered as often as its
P(covered) says. The per-commune covered shares over the realisations, laid around the
point estimates (:class:`ShareDistribution`), give each commune's 90 % interval and
the probability that it meets its target; summed with population weights they
give the province's.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .grid import Membership
from .fields import GaussianField
from .union import OPERATOR_ERROR_CORRELATION


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
    note: str = ""
    calibration: dict | None = None
    miss_rate: float | None = None  # share of readings that miss NR whatever the signal
    devices: dict | None = None  # the devices' offsets, as summary.json reports them
    fleet_std_db: float = 0.0  # error of the devices' mean level, shared by the operators
    sites_xy: np.ndarray | None = None  # the sites its model located from the readings
    trend: object | None = None  # its fitted LogDistanceFit
    unseen: object | None = None  # its sites no reading names (coverage.unseen.UnseenSites)
    # the mean under which a normal of spread ``std`` reaches the threshold with probability
    # ``p_covered`` (operators.normal_equivalent_mean), for models calibrated otherwise
    normal_mean: np.ndarray | None = None

    @property
    def threshold_mean(self) -> np.ndarray:
        """The mean the normal-error computations against the threshold take."""
        return self.mean if self.normal_mean is None else self.normal_mean


STREAMS = 4
# The interval draws' fields are drawn on cells up to this fraction of their correlation
# length wide. Cells sharing one value are more alike than their distance says: at 0.8 the
# units' shares spread 3-4 % more than with fields on the grid's own cells where the signal
# sits at the threshold (tests/test_union.py), never less; the communes' intervals are as
# wide as with cells a fifth of the correlation length wide, within the draws' noise
# (benchmarks/draw_noise.py --compare cells), which drew the short-correlation fields of a
# site-list estimate at full resolution.
FIELD_CELL_PER_CORRELATION = 0.8


def simulate_coverage(
    member: Membership,
    cells: np.ndarray,
    operators: list[OperatorPrediction],
    threshold: float,
    n_realisations: int = 100,
    model_std_db: float = 4.5,
    model_correlation_m: float = 3000.0,
    global_std_db: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Whether each of ``cells`` is covered by some operator in each simulated error
    field: a boolean array of shape ``(n_realisations, len(cells))``.

    Each operator's predictive spread ``std`` at a cell is shared out between the
    components below, not added to: a cell is covered in as many realisations as its
    P(covered) says, so the realised shares are centred on the expected share and the
    components only set how the errors of nearby cells and units move together.
    ``global_std_db`` is the standard deviation of an offset shared by every cell of an
    operator (a bias of its whole trend), which no spatial average removes: it is what
    keeps a province figure's interval honest. The operators' local errors share a
    component, as their residuals do on real drives (:mod:`~phusong.coverage.union`),
    and an offset of the devices' mean level (``fleet_std_db`` of each operator, one draw
    for all: the same probes measured them). An operator
    with sites no reading names (``unseen``, :mod:`~phusong.coverage.unseen`) also covers
    the cells one of them covers in the realisation.
    """
    covered = np.zeros((n_realisations, len(cells)), dtype=bool)
    coarse = _Coarse(member, cells, model_correlation_m)
    grid = member.grid
    # each field drawn on coarser cells (FIELD_CELL_PER_CORRELATION), the fine grid's where
    # those would be finer: what a unit's share averages is nearly the same, at a fraction of
    # the FFTs
    local = [_Coarse(member, cells, max(op.correlation_m, grid.resolution))
             for op in operators]
    shared_field = _Coarse(member, cells, max(
        float(np.median([op.correlation_m for op in operators])), grid.resolution))
    shared, own = np.sqrt(OPERATOR_ERROR_CORRELATION), np.sqrt(1 - OPERATOR_ERROR_CORRELATION)

    means = [op.threshold_mean.astype(np.float32) for op in operators]
    stds = [local_std(op.std, model_std_db, global_std_db, op.fleet_std_db).astype(np.float32)
            for op in operators]
    unseen = [_UnseenDraws(op.unseen, member, cells) if op.unseen is not None else None
              for op in operators]

    def realise(part: tuple[range, np.random.Generator]) -> None:
        realisations, rng = part
        for r in realisations:
            clutter = shared_field.field(shared, rng)
            fleet = rng.standard_normal()
            for op, mean, std, field, unseen_sites in zip(operators, means, stds, local, unseen):
                # in place: each full-size temporary costs as much as the arithmetic
                value = field.field(own, rng)
                value += clutter
                value *= std
                value += mean
                if model_std_db > 0:
                    value += coarse.field(model_std_db, rng)
                offset = op.fleet_std_db * fleet + global_std_db * rng.standard_normal()
                covered[r] |= value >= np.float32(threshold - offset)
                if unseen_sites is not None:
                    covered[r] |= unseen_sites.covered(rng)

    # A fixed number of independent streams (NumPy's SeedSequence), so the draws depend on
    # the seed alone, run on every core (the FFTs and array work release the GIL).
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(STREAMS)]
    parts = [(range(w, n_realisations, STREAMS), rng) for w, rng in enumerate(streams)]
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, STREAMS)) as pool:
        list(pool.map(realise, parts))
    return covered


def local_std(std: np.ndarray, *shared_std_db: float) -> np.ndarray:
    """The part of a predictive standard deviation ``std`` left to the local field once
    the components of ``shared_std_db`` (trend, global, fleet) have taken theirs."""
    shared = sum(s**2 for s in shared_std_db)
    return np.sqrt(np.maximum(np.asarray(std, float) ** 2 - shared, 0.0))


def realised_shares(member: Membership, cells: np.ndarray, covered: np.ndarray,
                    weights: np.ndarray | None = None,
                    within: np.ndarray | None = None) -> np.ndarray:
    """Each unit's covered share (percent) in each realisation of
    :func:`simulate_coverage`, shape ``(n_realisations, n_units)``.

    Parameters
    ----------
    weights
        Per-grid-cell weights (population); area only when omitted.
    within
        Per grid cell, whether it stands for its unit; the share of these cells is
        extrapolated to the unit (all cells when omitted).
    """
    from scipy.sparse import csr_matrix

    weight = member.fraction if weights is None else member.fraction * weights[member.cell]
    if within is not None:
        # units with no cell within fall back to all their cells, as Membership.mean_within
        inside = within[member.cell]
        has_inside = np.bincount(member.unit[inside], minlength=member.n_units) > 0
        weight = np.where(inside | ~has_inside[member.unit], weight, 0.0)
    column = np.searchsorted(cells, member.cell)
    # single precision on both sides: SciPy would otherwise copy the draws to double
    by_unit = csr_matrix((weight.astype(np.float32), (member.unit, column)),
                         shape=(member.n_units, len(cells)))
    total = np.bincount(member.unit, weight, member.n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * np.asarray(by_unit @ covered.T.astype(np.float32)).T / np.where(
            total > 0, total, np.nan)


@dataclass
class ShareDistribution:
    """Simulated shares laid around point estimates: ``draws`` has one row per
    realisation and one column per unit (or a single column for a province)."""

    point: np.ndarray
    draws: np.ndarray

    @classmethod
    def around(cls, point: np.ndarray, realisations: np.ndarray,
               extra_std_pp: np.ndarray | None = None, seed: int = 1) -> "ShareDistribution":
        """Realisations shifted so that their mean is ``point`` (they are centred on it
        but for the noise of a finite number of draws; their skew is kept), plus an
        independent per-unit error of ``extra_std_pp`` (percentage points), clipped to
        0–100.
        """
        point = np.asarray(point, dtype=float)
        draws = realisations - np.nanmean(realisations, axis=0) + point
        if extra_std_pp is not None:
            rng = np.random.default_rng(seed)
            draws = draws + rng.standard_normal(draws.shape) * np.nan_to_num(extra_std_pp)
        return cls(point, np.clip(draws, 0, 100))

    def blended(self, other: "ShareDistribution", weight: np.ndarray) -> "ShareDistribution":
        """``weight`` × this + (1 − ``weight``) × ``other``, unit by unit and draw by draw."""
        w = np.clip(np.nan_to_num(weight), 0, 1)
        return ShareDistribution(w * self.point + (1 - w) * other.point,
                                 w * self.draws + (1 - w) * other.draws)

    def interval(self, level: float = 0.90) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed interval of the draws, at least as wide as to hold the point."""
        tail = (1 - level) / 2 * 100
        low, high = np.nanpercentile(self.draws, [tail, 100 - tail], axis=0)
        return np.fmin(low, self.point), np.fmax(high, self.point)

    def p_at_least(self, target: float) -> np.ndarray:
        """Probability that the true share reaches ``target``."""
        return np.mean(self.draws >= target, axis=0)

    def weighted_total(self, weights: np.ndarray) -> "ShareDistribution":
        """The weighted mean over units (a province figure) in every draw."""
        w = np.nan_to_num(np.asarray(weights, dtype=float))
        if w.sum() <= 0:
            raise ValueError("the weights of a total sum to zero")
        total = lambda values: np.atleast_1d(np.nansum(values * w, axis=-1) / w.sum())  # noqa: E731
        return ShareDistribution(total(self.point), total(self.draws)[:, None])


class _Coarse:
    """A smooth field drawn on a coarser grid and read at the fine cells."""

    def __init__(self, member: Membership, cells: np.ndarray, correlation_m: float,
                 factor: int | None = None) -> None:
        grid = member.grid
        factor = factor or max(
            int(FIELD_CELL_PER_CORRELATION * correlation_m / grid.resolution), 1)
        shape = (-(-grid.height // factor), -(-grid.width // factor))
        self.sampler = GaussianField(shape, grid.resolution * factor, correlation_m)
        rows, cols = np.divmod(cells, grid.width)
        # the cells in the sampler's padded grid, read without cropping it first
        self.index = (rows // factor) * self.sampler.padded[1] + cols // factor

    def field(self, std: float, rng: np.random.Generator) -> np.ndarray:
        return std * self.sampler.draw_padded(rng).ravel()[self.index]

    def uniform(self, rng: np.random.Generator) -> np.ndarray:
        """A field's normal probabilities (uniform at every cell), computed on the coarse
        cells before they are read at the fine ones."""
        return ndtr(self.sampler.draw_padded(rng)).ravel()[self.index]


class _UnseenDraws:
    """Cells covered by sites no reading names, in one realisation: a Gaussian field with
    the correlation of one site's footprint, thresholded at each cell's probability, which
    itself varies with the intensity's error (a Gamma factor on the expected count, as if
    from the number of sites the readings named) and with each unit's own intensity (a
    Gamma factor per unit, of the shape the named sites' dispersion shows)."""

    def __init__(self, unseen, member: Membership, cells: np.ndarray) -> None:
        self.log_none = np.log1p(-np.clip(unseen.p_cover, 0, 1 - 1e-7)).astype(np.float32)
        self.n = max(unseen.n_located, 1)
        self.shape = unseen.unit_posterior_shape
        self.unit = member.dominant_unit()[cells]
        # a footprint spans several cells: drawn on cells up to half a footprint wide
        self.field = _Coarse(member, cells, unseen.radius_m,
                             factor=max(int(unseen.radius_m / (2 * member.grid.resolution)), 1))

    def covered(self, rng: np.random.Generator) -> np.ndarray:
        factor = np.float32(rng.gamma(self.n, 1 / self.n))
        if self.shape is not None and np.isfinite(self.shape).all():
            per_unit = np.append(rng.gamma(self.shape, 1 / self.shape), 1.0).astype(np.float32)
            factor = factor * per_unit[self.unit]  # index -1: outside every unit
        p = -np.expm1(factor * self.log_none)
        return self.field.uniform(rng) < p
