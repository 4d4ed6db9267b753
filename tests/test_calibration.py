"""A short run of benchmarks/calibration.py: the intervals and statuses the province signs
hold the simulator's truth at the rates they claim (the full study runs five seeds)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import load_benchmark


@pytest.mark.slow
def test_intervals_and_statuses_hold_the_truth():
    frame = load_benchmark("calibration").run([7], 20_000, ["list", "readings"], n_realisations=60)
    print("\n" + frame.to_string(index=False))
    for mode, part in frame.groupby("mode"):
        n = np.r_[part["n_sufficient"], part["n_insufficient"]]
        covered = np.average(np.r_[part["covered_sufficient"], part["covered_insufficient"]],
                             weights=n)
        wrong = np.average(part["wrong_side"], weights=part["n_decided"])
        print(f"{mode}: interval coverage {covered:.1%}, wrong side {wrong:.1%}")
        # One campaign of 99 communes (neighbours correlated): a 90 % coverage lies within
        # about ±8 pp of 90 % with high probability; the five-seed study holds it to 85–95 %.
        assert 0.80 <= covered <= 0.98, mode
        # From the readings alone few communes are decided (13 on this seed), so one wrong
        # call moves the share by 8 pp; the five-seed study holds it at 9.3 % (list: 0 %).
        assert wrong <= (0.10 if mode == "list" else 0.20), mode
        # the province's 90 % interval: its truth within twice its half-width (a miss of
        # the interval itself is a one-in-ten event; the five-seed study counts them)
        half = (part["province_high"] - part["province_low"]) / 2
        centre = (part["province_high"] + part["province_low"]) / 2
        assert ((part["province_truth"] - centre).abs() <= 2 * half).all(), mode
        # insufficient communes enter the province figure through the model, not dropped.
        # From the readings alone the located trend can run low away from the roads (up to
        # 6 points over five campaigns; the estimate warns of it): bounded, not hidden.
        limit = 5 if mode == "list" else 8
        assert (part["province"] - part["province_truth"]).abs().max() < limit


def _held_out(errors: np.ndarray, rng: np.random.Generator):
    """Held-out readings predicted by ``mean`` (no trend, nothing kriged), std 6 dB."""
    from phusong.coverage.calibration import HeldOut

    n = len(errors)
    mean = rng.normal(-100.0, 8.0, n)
    value = mean + errors
    zeros = np.zeros(n)
    return HeldOut(value, value <= -125.0, mean, zeros, zeros, zeros, zeros, np.full(n, 6.0),
                   mean)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibration_learns_heavy_tails_and_keeps_normal_ones(seed):
    """Errors of Student's t with 4 degrees of freedom are told from normal ones, on
    three seeds: the fitted tail is heavy for the first and near normal for the second,
    and the scale is recovered either way."""
    from phusong.coverage.calibration import fit_calibration

    rng = np.random.default_rng(seed)
    heavy = fit_calibration([_held_out(6.0 * rng.standard_t(4, 6000), rng)], -125.0, False)
    normal = fit_calibration([_held_out(rng.normal(0.0, 6.0, 6000), rng)], -125.0, False)
    print(seed, heavy.summary(), normal.summary())
    assert heavy.tail_dof < 8 and normal.tail_dof > 25
    # the standard deviation of the errors: 6 dB times sqrt(2) for the t's, 6 dB
    assert abs(heavy.std(np.array([6.0]))[0] / (6 * np.sqrt(2)) - 1) < 0.15
    assert abs(normal.std(np.array([6.0]))[0] / 6 - 1) < 0.1


def test_heavy_tailed_probability_and_its_normal_equivalent():
    """P(covered) under the t; the normal-equivalent mean gives the same probability
    to a normal of the same spread (what the union and the interval draws take)."""
    from scipy.special import ndtr, stdtr

    from phusong.coverage.operators import normal_equivalent_mean, probability_above

    mean = np.array([-112.0, -108.0, -105.0, -101.0, -85.0])
    std = np.full(5, 6.0)
    p = probability_above(mean, std, -105.0, 4.0)
    np.testing.assert_allclose(p, stdtr(4.0, (mean + 105.0) / (6.0 / np.sqrt(2))))
    # against a normal of the same standard deviation: more mass near the prediction,
    # more in the far tail
    normal = ndtr((mean + 105.0) / 6.0)
    assert p[2] == 0.5 and p[1] < normal[1] and p[3] > normal[3] and p[4] < normal[4]
    np.testing.assert_allclose(
        probability_above(normal_equivalent_mean(p, mean, std, -105.0), std, -105.0), p)


def _level_dependent(rng: np.random.Generator, n: int, miss_rate: float = 0.0):
    """Predictions of std 6 dB whose errors are normal and unbiased overall, but whose
    values run 3 dB above the prediction where it is below −95 dBm (and 3 dB below it
    above), so P(≥ −105 dBm) from the prediction runs low; a share ``miss_rate`` of
    readings miss the signal whatever its level."""
    mean = rng.normal(-95.0, 10.0, n)
    bias = np.where(mean < -95.0, 3.0, -3.0)
    value = mean + bias + rng.normal(0.0, 6.0, n)
    censored = (value <= -125.0) | (rng.random(n) < miss_rate)
    return mean, value, censored


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_threshold_recalibration_makes_p_covered_reliable(seed):
    """Held-out readings biased near the threshold (unbiased overall): the recalibrated
    P(covered) matches the observed frequency within 6 pp in every decile on fresh readings, where the
    uncalibrated one misses by more than 10 pp; readings that missed the signal (a known
    miss rate) do not pull it low; and where the errors are as predicted it changes
    nothing."""
    from phusong.coverage.calibration import HeldOutPredictions, probability_above

    rng = np.random.default_rng(seed)
    std = np.full(8000, 6.0)
    mean, value, censored = _level_dependent(rng, 8000, miss_rate=0.2)
    held = HeldOutPredictions(mean, std, value, censored, np.inf, miss_rate=0.2)
    shift, factor = held.threshold_recalibration(-105.0)
    fresh_mean, fresh_value, _ = _level_dependent(rng, 8000)
    reached = fresh_value >= -105.0
    before = probability_above(fresh_mean, std, -105.0)
    after = probability_above(fresh_mean + shift, std * factor, -105.0)

    def worst_decile(p):
        bins = np.clip((p * 10).astype(int), 0, 9)
        return max(abs(reached[bins == b].mean() - p[bins == b].mean())
                   for b in range(10) if (bins == b).sum() >= 100)

    print(seed, f"shift {shift:+.2f} dB, factor {factor:.2f}, worst decile "
          f"{worst_decile(before):.3f} → {worst_decile(after):.3f}")
    assert worst_decile(before) > 0.10
    # the step at −95 dBm is not a shift: what is left is in the top deciles
    assert worst_decile(after) < 0.06
    assert abs(after.mean() - reached.mean()) < 0.02

    unbiased_value = mean + rng.normal(0.0, 6.0, 8000)
    unbiased = HeldOutPredictions(mean, std, unbiased_value, unbiased_value <= -125.0, np.inf)
    shift, factor = unbiased.threshold_recalibration(-105.0)
    assert abs(shift) < 0.5 and abs(factor - 1) < 0.1


def test_threshold_recalibration_needs_readings_on_both_sides():
    """Held-out readings all far above the threshold say nothing about it: no change."""
    from phusong.coverage.calibration import HeldOutPredictions

    rng = np.random.default_rng(0)
    mean = rng.normal(-80.0, 3.0, 5000)
    value = mean + rng.normal(0.0, 3.0, 5000)
    held = HeldOutPredictions(mean, np.full(5000, 3.0), value, value <= -125.0, np.inf)
    assert held.threshold_recalibration(-105.0) == (0.0, 1.0)


def _random_held_out(seed: int, n: int = 300):
    """Held-out pieces with censored readings, a trend and kriged parts, at random."""
    from phusong.coverage.calibration import HeldOut

    rng = np.random.default_rng(seed)
    value = rng.normal(-105, 10, n)
    value[rng.random(n) < 0.3] = -140.0
    return HeldOut(value=value, censored=value <= -140.0, mean=np.full(n, -100.0),
                   kriged_value=rng.normal(0, 5, n), trend=rng.normal(0, 6, n),
                   kriged_trend=rng.normal(0, 3, n), kriged_one=rng.uniform(0, 1, n),
                   std=rng.uniform(1, 8, n), uncalibrated=np.full(n, -100.0))


def _finite_difference_gradient(nll, theta: np.ndarray, step: float = 1e-6) -> list[float]:
    return [(nll(theta + step * e)[0] - nll(theta - step * e)[0]) / (2 * step)
            for e in np.eye(len(theta))]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("miss_rate", [0.0, 0.2])
def test_calibration_likelihood_gradient_is_exact(seed, miss_rate):
    """The censored normal likelihood's gradient (what the optimiser follows) against
    central finite differences, with censored readings, a trend and a floor."""
    from phusong.coverage.calibration import normal_likelihood

    nll = normal_likelihood(_random_held_out(seed), -118.0, miss_rate)
    theta = np.array([0.6, 1.5, 0.2, 2.5])
    assert np.allclose(nll(theta)[1], _finite_difference_gradient(nll, theta),
                       rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("miss_rate", [0.0, 0.2])
def test_tail_likelihood_gradient_matches_finite_differences(seed, miss_rate):
    """The censored Student-t likelihood's gradient in the spread, the floor and the
    degrees of freedom against central finite differences."""
    from phusong.coverage.calibration import t_likelihood

    nll = t_likelihood(_random_held_out(seed), 0.6, 1.5, -118.0, miss_rate)
    theta = np.array([0.2, 2.5, np.log(8.0)])
    assert np.allclose(nll(theta)[1], _finite_difference_gradient(nll, theta),
                       rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recalibrated_prediction_is_the_refit_for_a_shift(seed):
    """Every reading measured: the uncalibrated model's held-out prediction moved by
    ``recalibrated_prediction`` equals the model refitted around the shifted trend, and
    its ``uncalibrated`` piece is the model's own prediction."""
    from sklearn.base import clone

    from phusong.coverage.calibration import (TrendCalibration, held_out_pieces,
                                              recalibrated_prediction)
    from phusong.coverage.interpolate import PathLossKriging

    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 5000, (3000, 2))
    y = -95 + 6 * np.sin(X[:, 0] / 700) + rng.normal(0, 3, 3000)
    train, test = X[:, 1] < 3500, X[:, 1] >= 3500
    model = PathLossKriging(calibrate=False).fit(X[train], y[train])
    pieces = held_out_pieces(model, X[train], X[test], y[test], model.censor_dbm)
    assert np.allclose(pieces.uncalibrated, model.predict(X[test]))
    shift = rng.uniform(-4, 4)
    refit = clone(model).fit(X[train], y[train])
    refit.calibration_ = TrendCalibration(offset=shift)
    refit._fit_residuals(X[train], y[train], refit.raw_trend(X[train]))
    assert np.allclose(recalibrated_prediction(pieces, 1.0, shift), refit.predict(X[test]),
                       atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_readings_from_one_place_do_not_make_a_confident_estimate(seed):
    """Readings within one block cannot calibrate the spread: it is floored at the shadow
    fading of TR 38.901 (4 dB), so a place 2 dB above the threshold is not called
    covered with near certainty, and the estimate says why."""
    from phusong.coverage.calibration import PRIOR_FLOOR_DB, UNCALIBRATED
    from phusong.coverage.interpolate import PathLossKriging
    from phusong.coverage.operators import _uncalibrated_note

    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 150, (300, 2))
    y = -98.0 + rng.normal(0, 1.0, 300)
    model = PathLossKriging().fit(X, y)
    assert model.calibration_ == UNCALIBRATED
    mean, std = model.predict(np.array([[75.0, 75.0]]), return_std=True)
    assert std[0] >= PRIOR_FLOOR_DB
    p = model.calibration_.probability_above(mean, std, mean[0] - 2.0)
    assert 0.6 < p[0] < 0.8
    assert "452-01" in _uncalibrated_note("452-01", model)
    uncalibrated = PathLossKriging(calibrate=False).fit(X, y)
    assert uncalibrated.predict(np.array([[75.0, 75.0]]), return_std=True)[1][0] < 2.0
    assert _uncalibrated_note("452-01", uncalibrated) == ""
