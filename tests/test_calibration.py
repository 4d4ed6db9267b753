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
