"""How far to trust the trend and the kriging spread, learnt by spatial cross-validation.

A located-site trend is only as good as the site positions the readings give,
and a variogram fitted to the readings says little about how wrong a
prediction 1 km from the nearest road is. Both are judged where they are used:
the training readings are split into whole 1 km blocks, the model is refitted
without each block, and on the held-out readings a censored (Tobit) likelihood
picks

- ``weight``: how much of the trend's variation to keep (0 = plain simple
  kriging around the mean trend, 1 = the trend as fitted);
- ``offset``: a shift of the trend (dB), where it is biased away from the data;
- ``spread``: a factor on the kriging standard deviation, so the probability of
  coverage is reliable where the model is over- or under-confident;
- ``tail_dof``: the degrees of freedom of a Student-t predictive distribution. Real
  drive tests' held-out errors are heavier-tailed than normal (excess kurtosis 1.2–4.7
  per operator on the Hamburg–Bremen drives, ``benchmarks/real_campaigns.py``): a normal
  of the right variance then puts too little probability near the prediction and too
  much in the tails, and P(covered) runs low just above the threshold.

These are fitted to every held-out value, so they describe the bulk of the errors. The
probability of coverage is about one level, where the errors can be shaped otherwise
(on the Hamburg–Bremen drives the operators' expected covered shares at −105 dBm were
off by −2.7 to +2.4 pp with their values unbiased to 0.4 dB,
``benchmarks/real_campaigns.py``, ``pathloss-untuned``). The
held-out predictions are therefore kept (:class:`HeldOutPredictions`), and
:meth:`TrendCalibration.probability_above` recalibrates P(covered) at the threshold
asked for: a shift and a factor on the spread there, fitted to whether each held-out
reading reached it. The predicted values themselves are not moved.

The sites stay where the full fit placed them (located from every reading, or
listed): refitting without a block loses the sites only that block's readings
name, and the held-out error would then measure sites no reading saw, which the
estimate handles apart (extrapolation spread, small-area fill), rather than how
well the trend predicts between the roads around the sites it knows.

Kriging is linear in the data, so every weight and offset is scored from three
kriging passes per fold (the data, the trend and a constant), made with one neighbour
search; the model's own prediction rides along, so that a cross-validation can move it by
a calibration learnt elsewhere (:func:`recalibrated_prediction`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, log_ndtr, ndtr, stdtr

from .kriging import local_kriging

BLOCK_M = 1000.0
N_FOLDS = 3
MAX_TEST_PER_FOLD = 6000
# Four numbers are learnt: a random 25,000 of a larger campaign's readings are plenty (an
# operator's day of the Hamburg–Bremen drives holds 19,000-22,000), and keep the refits of a
# 1,000,000-reading estimate within its time budget.
MAX_READINGS = 25_000
WEIGHT_BOUNDS = (0.0, 1.0)
OFFSET_BOUNDS_DB = (-10.0, 10.0)
SPREAD_BOUNDS = (0.7, 3.0)
FLOOR_BOUNDS_DB = (0.0, 10.0)
DOF_BOUNDS = (3.0, 300.0)
MIN_HELD_OUT = 200
THRESHOLD_SHIFT_BOUNDS_DB = (-6.0, 6.0)
THRESHOLD_SPREAD_BOUNDS = (0.5, 2.0)
# held-out readings on each side of the threshold, and of those whose prediction is
# uncertain there (P between 5 and 95 %), below which the threshold is not recalibrated
MIN_EACH_SIDE = 50
MIN_UNCERTAIN = 200


@dataclass(frozen=True)
class HeldOutPredictions:
    """The calibrated predictions of the cross-validation's held-out readings: predicted
    ``mean`` and predictive ``std`` (Student-t of ``tail_dof``), the ``value`` and whether
    it saw no signal (``censored``); ``miss_rate`` is the share of readings that miss the
    signal whatever its level."""

    mean: np.ndarray
    std: np.ndarray
    value: np.ndarray
    censored: np.ndarray
    tail_dof: float
    miss_rate: float = 0.0
    _fitted: dict = field(default_factory=dict, repr=False, compare=False)

    def threshold_recalibration(self, threshold: float) -> tuple[float, float]:
        """Shift (dB) and spread factor of the predictive distribution that make the
        probability of reaching ``threshold`` fit the held-out readings (Bernoulli
        likelihood; a reading without signal is below it, or a miss); ``(0, 1)`` when too
        few readings lie on either side or near it."""
        if threshold not in self._fitted:
            self._fitted[threshold] = self._fit_at(threshold)
        return self._fitted[threshold]

    def _fit_at(self, threshold: float) -> tuple[float, float]:
        reached = ~self.censored & (self.value >= threshold)
        p = probability_above(self.mean, self.std, threshold, self.tail_dof)
        uncertain = int(((p > 0.05) & (p < 0.95)).sum())
        if min(reached.sum(), (~reached).sum()) < MIN_EACH_SIDE or uncertain < MIN_UNCERTAIN:
            return 0.0, 1.0
        hit = 1.0 - self.miss_rate

        def negative_log_likelihood(t: np.ndarray) -> float:
            q = hit * probability_above(self.mean + t[0], self.std * np.exp(t[1]), threshold,
                                        self.tail_dof)
            q = np.clip(q, 1e-12, 1 - 1e-12)
            return float(-np.log(q[reached]).sum() - np.log1p(-q[~reached]).sum())

        fitted = minimize(negative_log_likelihood, np.zeros(2), method="L-BFGS-B",
                          bounds=[THRESHOLD_SHIFT_BOUNDS_DB,
                                  tuple(np.log(THRESHOLD_SPREAD_BOUNDS))])
        return float(fitted.x[0]), float(np.exp(fitted.x[1]))


@dataclass(frozen=True)
class TrendCalibration:
    """``prediction = mean + offset + weight · (trend − mean) + kriged residual``;
    its error is a Student-t variable of ``tail_dof`` degrees of freedom (normal when
    infinite) whose scale is the kriging standard deviation times ``spread``, with a
    floor."""

    weight: float = 1.0
    offset: float = 0.0
    spread: float = 1.0
    floor_db: float = 0.0
    n_held_out: int = 0
    tail_dof: float = np.inf
    held_out: HeldOutPredictions | None = field(default=None, repr=False, compare=False)

    def apply(self, trend: np.ndarray, mean: float) -> np.ndarray:
        return mean + self.offset + self.weight * (np.asarray(trend) - mean)

    def std(self, kriging_std: np.ndarray) -> np.ndarray:
        """The predictive standard deviation."""
        scale = np.hypot(self.spread * np.asarray(kriging_std), self.floor_db)
        return scale * t_sd_factor(self.tail_dof)

    def threshold_recalibration(self, threshold: float) -> tuple[float, float]:
        """Shift (dB) and spread factor at ``threshold``
        (:meth:`HeldOutPredictions.threshold_recalibration`); ``(0, 1)`` without held-out
        readings."""
        if self.held_out is None:
            return 0.0, 1.0
        return self.held_out.threshold_recalibration(threshold)

    def probability_above(self, mean: np.ndarray, std: np.ndarray,
                          threshold: float) -> np.ndarray:
        """P(value ≥ ``threshold``) given the predicted ``mean`` and ``std``, recalibrated
        at the threshold."""
        shift, factor = self.threshold_recalibration(threshold)
        return probability_above(np.asarray(mean) + shift, np.asarray(std) * factor,
                                 threshold, self.tail_dof)

    def summary(self, threshold: float | None = None) -> dict:
        """The calibration as ``summary.json`` reports it (with its recalibration at
        ``threshold``, when given)."""
        summary = {"trend_weight": round(self.weight, 3), "offset_db": round(self.offset, 2),
                   "spread_factor": round(self.spread, 3),
                   "spread_floor_db": round(self.floor_db, 2),
                   "held_out_readings": self.n_held_out,
                   "tail_dof": round(self.tail_dof, 1) if np.isfinite(self.tail_dof) else None}
        if threshold is not None:
            shift, factor = self.threshold_recalibration(threshold)
            summary |= {"threshold_shift_db": round(shift, 2),
                        "threshold_spread_factor": round(factor, 3)}
        return summary


NONE = TrendCalibration()
# When the readings cannot calibrate the spread (too few held out, or all within one block),
# the predictive standard deviation is floored at the smallest shadow-fading deviation of
# 3GPP TR 38.901, Table 7.4.1-1 (4 dB: line of sight, every scenario; 6-8.2 dB without):
# readings from one place show how the signal varies there, not a few hundred metres away.
PRIOR_FLOOR_DB = 4.0
UNCALIBRATED = TrendCalibration(floor_db=PRIOR_FLOOR_DB)


def spatial_folds(X: np.ndarray, block_size: float, n_folds: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Fold number of each point: whole ``block_size`` squares go to one fold."""
    from .blocks import block_codes

    _, block = np.unique(block_codes(X, block_size), return_inverse=True)
    fold_of_block = rng.permutation(block.max() + 1) % n_folds
    return fold_of_block[block]


@dataclass
class HeldOut:
    """One fold's held-out readings and the linear pieces of their prediction."""

    value: np.ndarray
    censored: np.ndarray
    mean: np.ndarray  # the trend's mean over the training readings
    kriged_value: np.ndarray  # kriged (value − mean)
    trend: np.ndarray  # trend − mean
    kriged_trend: np.ndarray  # kriged (trend − mean)
    kriged_one: np.ndarray  # kriged 1
    std: np.ndarray
    uncalibrated: np.ndarray  # the model's own prediction (its block medians kriged)

    def subset(self, rows: np.ndarray) -> "HeldOut":
        """The pieces of ``rows`` only."""
        return HeldOut(*(getattr(self, f.name)[rows] for f in fields(self)))

    def prediction(self, weight: float, offset: float) -> np.ndarray:
        """The held-out prediction with the trend calibrated by ``weight`` and ``offset``."""
        residual = self.kriged_value - weight * self.kriged_trend - offset * self.kriged_one
        return self.mean + offset + weight * self.trend + residual


def recalibrated_prediction(held: HeldOut, weight: float, offset: float) -> np.ndarray:
    """What the uncalibrated model predicted at ``held``'s readings becomes once its trend
    is calibrated by ``weight`` and ``offset`` and its residuals refitted around it: kriging
    is linear, so the trend's change enters less its kriged part. Exact for a shift
    (``weight`` 1) where every reading is measured; otherwise the censored readings' places
    and the block medians stay as the uncalibrated fit left them."""
    return held.uncalibrated + held.prediction(weight, offset) - held.prediction(1.0, 0.0)


def held_out_pieces(model, Xtr: np.ndarray, Xt: np.ndarray, yt: np.ndarray,
                    censor_dbm: float) -> HeldOut:
    """Pieces of the prediction of ``Xt`` by ``model``, a fitted, uncalibrated
    :class:`~phusong.coverage.interpolate.PathLossKriging` trained at ``Xtr``."""
    from .blocks import block_reduce

    trend = model.raw_trend(Xtr)
    # readings without NR at their expected value, as the fit imputed them
    effective = trend + model.reading_residual_
    mean = float(trend.mean())
    Xb, yb, _ = block_reduce(Xtr, effective - mean, model.block_size, "mean")
    _, tb, _ = block_reduce(Xtr, trend - mean, model.block_size, "mean")
    # the model's residual blocks are these blocks (block_reduce orders them alike)
    stacked = np.column_stack([yb, tb, np.ones(len(Xb)), model.residual_])
    kriged, std = local_kriging(Xb, stacked, Xt, model.variogram_, model.n_neighbors)
    kriged_y, kriged_t, kriged_1, kriged_residual = kriged.T
    raw_trend = model.raw_trend(Xt)
    return HeldOut(yt, yt <= censor_dbm, np.full(len(yt), mean), kriged_y, raw_trend - mean,
                   kriged_t, kriged_1, std, raw_trend + kriged_residual)


def fit_calibration(parts: list[HeldOut], level: float, with_trend: bool,
                    miss_rate: float = 0.0) -> TrendCalibration:
    """Weight, offset and spread maximising the censored normal likelihood of the
    held-out readings (those at or below the censoring value count as "below ``level``",
    or as misses with probability ``miss_rate``); then, with the weight and offset kept
    (the prediction itself does not change), the spread and the tail degrees of freedom
    maximising the censored Student-t likelihood."""
    held = HeldOut(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in fields(HeldOut)))
    value, censored = held.value, held.censored
    if len(value) < MIN_HELD_OUT or censored.all():
        return UNCALIBRATED
    weight_bounds = WEIGHT_BOUNDS if with_trend else (1.0, 1.0)
    spread_bounds = [tuple(np.log(SPREAD_BOUNDS)), FLOOR_BOUNDS_DB]
    normal = minimize(normal_likelihood(held, level, miss_rate), np.array([1.0, 0.0, 0.0, 2.0]),
                      jac=True, method="L-BFGS-B",
                      bounds=[weight_bounds, OFFSET_BOUNDS_DB, *spread_bounds])
    weight, offset, log_spread, floor = normal.x
    tails = minimize(t_likelihood(held, weight, offset, level, miss_rate),
                     np.array([log_spread, floor, np.log(30.0)]), jac=True, method="L-BFGS-B",
                     bounds=[*spread_bounds, tuple(np.log(DOF_BOUNDS))])
    log_spread, floor, log_dof = tails.x
    calibration = TrendCalibration(float(weight), float(offset), float(np.exp(log_spread)),
                                   float(floor), len(value), float(np.exp(log_dof)))
    predictions = HeldOutPredictions(held.prediction(weight, offset), calibration.std(held.std),
                                     value, censored, calibration.tail_dof, miss_rate)
    return replace(calibration, held_out=predictions)


def normal_likelihood(held: HeldOut, level: float, miss_rate: float):
    """The censored normal negative log-likelihood of the held-out readings and its
    gradient, as functions of (weight, offset, log spread, floor): a reading at or below
    the censoring value is "below ``level``", or a miss with probability ``miss_rate``."""
    from .pathloss import _log_density, log_no_nr

    value, censored = held.value, held.censored
    measured = ~censored
    std = np.maximum(held.std, 0.5)
    d_weight = held.trend - held.kriged_trend  # d(prediction)/d(weight)
    d_offset = 1.0 - held.kriged_one

    def nll_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weight, offset, log_spread, floor = theta
        mean = held.prediction(weight, offset)
        scaled = np.exp(log_spread) * std
        s = np.hypot(scaled, floor)
        z = (value[measured] - mean[measured]) / s[measured]
        zc = (level - mean[censored]) / s[censored]
        log_q = log_no_nr(log_ndtr(zc), miss_rate)
        # the posterior weight of "below the level" times the inverse Mills ratio
        mills = np.exp(np.log1p(-miss_rate) + _log_density(zc) - log_q)
        by_mean, by_s = np.empty(len(value)), np.empty(len(value))
        by_mean[measured], by_s[measured] = -z / s[measured], (1 - z * z) / s[measured]
        by_mean[censored], by_s[censored] = mills / s[censored], mills * zc / s[censored]
        nll = 0.5 * (z * z).sum() + np.log(s[measured]).sum() - log_q.sum()
        # sums of products, not BLAS dot products: those wake OpenBLAS's threads, which
        # then spin against the optimiser's own small BLAS calls
        return float(nll), np.array([(by_mean * d_weight).sum(), (by_mean * d_offset).sum(),
                                     (by_s * scaled * scaled / s).sum(),
                                     (by_s * floor / s).sum()])

    return nll_and_gradient


def t_likelihood(held: HeldOut, weight: float, offset: float, level: float,
                 miss_rate: float):
    """The censored Student-t negative log-likelihood of the held-out readings predicted
    with the trend's ``weight`` and ``offset``, and its gradient, as functions of (log
    spread, floor, log degrees of freedom); the gradient is exact in the first two and a
    forward difference in the last (the t CDF's derivative in its degrees of freedom has
    no closed form)."""
    from .pathloss import log_no_nr

    value, censored = held.value, held.censored
    measured = ~censored
    std = np.maximum(held.std, 0.5)
    mean = held.prediction(weight, offset)
    gap_measured, gap_censored = value[measured] - mean[measured], level - mean[censored]

    def nll_and_scale_terms(log_spread: float, floor: float, dof: float):
        scaled = np.exp(log_spread) * std
        s = np.hypot(scaled, floor)
        z, zc = gap_measured / s[measured], gap_censored / s[censored]
        log_q = log_no_nr(log_t_cdf(zc, dof), miss_rate)
        nll = -log_t_density(z, dof).sum() + np.log(s[measured]).sum() - log_q.sum()
        return float(nll), scaled, s, z, zc, log_q

    def nll_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        log_spread, floor, log_dof = theta
        dof = np.exp(log_dof)
        nll, scaled, s, z, zc, log_q = nll_and_scale_terms(log_spread, floor, dof)
        by_s = np.empty(len(value))
        by_s[measured] = (1 - (dof + 1) * z * z / (dof + z * z)) / s[measured]
        mills = np.exp(np.log1p(-miss_rate) + log_t_density(zc, dof) - log_q)
        by_s[censored] = mills * zc / s[censored]
        step = 1e-5
        by_log_dof = (nll_and_scale_terms(log_spread, floor, np.exp(log_dof + step))[0]
                      - nll) / step
        return nll, np.array([(by_s * scaled * scaled / s).sum(), (by_s * floor / s).sum(),
                              by_log_dof])

    return nll_and_gradient


def t_sd_factor(dof: float | np.ndarray) -> float | np.ndarray:
    """Standard deviation of Student's t of ``dof`` (> 2) degrees of freedom and unit
    scale; 1 for a normal (infinite ``dof``)."""
    dof = np.asarray(dof, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(dof), np.sqrt(dof / (dof - 2)), 1.0)


def probability_above(mean: np.ndarray, std: np.ndarray, threshold: float,
                      dof: float | np.ndarray = np.inf) -> np.ndarray:
    """P(value ≥ threshold) when the error is a Student-t variable of ``dof`` degrees of
    freedom and standard deviation ``std`` (normal when ``dof`` is infinite; a step
    where std = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.asarray(mean, float) - threshold) / std
    dof = np.asarray(dof, float)
    cdf = ndtr(z) if np.isinf(dof).all() else stdtr(dof, z * t_sd_factor(dof))
    return np.where(std > 0, cdf, (np.asarray(mean) >= threshold).astype(float))


def log_t_density(z: np.ndarray, dof: float) -> np.ndarray:
    """log density of Student's t with ``dof`` degrees of freedom."""
    return (gammaln((dof + 1) / 2) - gammaln(dof / 2) - 0.5 * np.log(dof * np.pi)
            - (dof + 1) / 2 * np.log1p(z * z / dof))


def log_t_cdf(z: np.ndarray, dof: float) -> np.ndarray:
    """log CDF of Student's t (floored where it underflows, far in the lower tail)."""
    return np.log(np.maximum(stdtr(dof, z), 1e-300))


def cross_validated_calibration(template, X: np.ndarray, y: np.ndarray,
                                random_state: int = 0, cell_ids=None) -> TrendCalibration:
    """Calibrate ``template`` (an unfitted, uncalibrated PathLossKriging) on ``X``, ``y``
    (at most :data:`MAX_READINGS` of them, drawn at random) by :data:`N_FOLDS`-fold
    cross-validation over :data:`BLOCK_M` blocks.

    With ``cell_ids`` each fold locates the sites from its own training readings: sites
    located with the held-out block's readings would make the trend look better there
    than it is away from the readings."""
    from sklearn.base import clone

    rng = np.random.default_rng(random_state)
    if len(y) > MAX_READINGS:
        keep = rng.choice(len(y), MAX_READINGS, replace=False)
        X, y = X[keep], y[keep]
        cell_ids = None if cell_ids is None else cell_ids[keep]
    folds = spatial_folds(X, BLOCK_M, N_FOLDS, rng)
    if len(np.unique(folds)) < 2:
        return UNCALIBRATED
    parts, level, with_trend, miss_rates = [], None, False, []
    for fold in range(N_FOLDS):
        test = folds == fold
        if not test.any() or test.all() or (y[~test] > template.censor_dbm).sum() < 10:
            continue
        model = clone(template).fit(X[~test], y[~test], cell_ids=None if cell_ids is None
                                    else cell_ids[~test])
        with_trend |= model.sites_ is not None
        level = model.censor_level_ if level is None else level
        miss_rates.append(model.trend_fit_.miss_rate)
        chosen = np.flatnonzero(test)
        if len(chosen) > MAX_TEST_PER_FOLD:
            chosen = rng.choice(chosen, MAX_TEST_PER_FOLD, replace=False)
        parts.append(held_out_pieces(model, X[~test], X[chosen], y[chosen],
                                     template.censor_dbm))
    if not parts:
        return UNCALIBRATED
    return fit_calibration(parts, level, with_trend, float(np.mean(miss_rates)))
