"""A short run of benchmarks/calibration.py: the intervals and statuses the province signs
hold the simulator's truth at the rates they claim (the full study runs five seeds)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "calibration.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("calibration", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_intervals_and_statuses_hold_the_truth():
    frame = load_benchmark().run([7], 20_000, ["list", "readings"], n_realisations=60)
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
        assert wrong <= 0.10, mode
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
    return HeldOut(value, value <= -125.0, mean, zeros, zeros, zeros, zeros, np.full(n, 6.0))


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
        probability_above(normal_equivalent_mean(p, mean, std, -105.0, 4.0), std, -105.0), p)
    assert normal_equivalent_mean(p, mean, std, -105.0, np.inf) is None
