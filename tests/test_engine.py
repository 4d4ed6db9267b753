"""The coverage engine against the simulator's ground truth: shares, intervals, statuses."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.base import clone

from phusong.coverage import (InverseDistance, PathLossKriging, default_interpolator,
                              load_boundaries)
from phusong.coverage.evidence import NO_NR_DBM, nr_evidence


def merged(demo_dir) -> pd.DataFrame:
    table = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
    truth = pd.read_csv(demo_dir / "simulation" / "truth" / "communes_truth.csv",
                        dtype={"code": str})
    return table.merge(truth, on="code")


def test_default_interpolator_is_an_unfitted_regressor():
    model = default_interpolator()
    assert isinstance(model, PathLossKriging)
    assert not hasattr(model, "variogram_")
    assert clone(model).get_params() == model.get_params()
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 5000, (400, 2))
    y = 10 - 35 * np.log10(np.hypot(*(X - 2500).T) + 30) + rng.normal(0, 2, 400)
    for est in (model, InverseDistance()):
        mean, std = clone(est).fit(X, y).predict(X[:10], return_std=True)
        assert mean.shape == std.shape == (10,) and np.all(std >= 0)


def test_only_active_capable_lte_counts_against_5g():
    readings = pd.DataFrame({
        "technology": ["NR-NSA", "LTE", "LTE", "LTE", "NR-SA"],
        "nr_ss_rsrp_dbm": [-95.0, None, None, None, -120.0],
        "device_state": ["data", "idle", "data", "data", "idle"],
        "device_5g_capable": [True, True, True, False, True],
        "operator": ["452-04"] * 5,
    })
    evidence = nr_evidence(readings)
    assert evidence.index.tolist() == [0, 2, 4]
    assert evidence["value"].tolist() == [-95.0, NO_NR_DBM, -120.0]


def share_scores(table: pd.DataFrame) -> dict:
    """Errors against the truth: within 5 pp for communes with >= 50 readings, within
    10 pp for all with data, and how often the 90 % interval contains the truth."""
    known = table[table["status"] != "insufficient_data"]
    error = known["share_5g_area_pct"] - known["true_share_5g_area_pct"]
    dense = known["n_readings"] >= 50
    inside = ((known["true_share_5g_area_pct"] >= known["share_5g_low_pct"] - 1e-6)
              & (known["true_share_5g_area_pct"] <= known["share_5g_high_pct"] + 1e-6))
    return {"dense": int(dense.sum()), "within5": (error[dense].abs() <= 5).mean(),
            "within10": (error.abs() <= 10).mean(), "rmse": float(np.sqrt((error**2).mean())),
            "coverage": inside.mean(),
            "width": (known["share_5g_high_pct"] - known["share_5g_low_pct"]).mean()}


def print_scores(label: str, scores: dict) -> None:
    print(f"\n{label}: communes with >= 50 readings: {scores['dense']}, within 5 pp: "
          f"{scores['within5']:.1%}; within 10 pp (all with data): {scores['within10']:.0%}; "
          f"RMSE {scores['rmse']:.2f} pp; 90% intervals contain the truth for "
          f"{scores['coverage']:.0%}, mean width {scores['width']:.1f} pp")


def test_shares_and_intervals_with_the_site_list(demo_dir):
    """The demo estimates with the operators' (imperfect) site list: the model stands
    for every cell."""
    table = merged(demo_dir)
    scores = share_scores(table)
    print_scores("site list", scores)
    summary = json.loads((demo_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["share_basis"].startswith("site list") and summary["site_list_used"]
    # P(covered) is not recalibrated at the threshold by default, and says so by omission
    for operator, calibration in summary["trend_calibration"].items():
        assert "threshold_shift_db" not in calibration, operator
    # 98-100 % across campaigns: an estimator knowing the true sites and propagation
    # reaches 96-100 %, the shadowing far from every route being unknowable.
    assert scores["within5"] >= 0.97
    assert scores["within10"] == 1.0
    # one campaign's 86 communes with a status: a 90 % coverage lies within about ±8 pp of
    # 90 %, but these intervals share their fields' draws: over eight draw seeds this
    # campaign's coverage ranged 0.965-0.988, so one commune short of all is in range and
    # all is too wide; benchmarks/calibration.py holds communes to 85-95 % over five campaigns
    assert 0.80 <= scores["coverage"] < 1.0
    assert table["share_5g_low_pct"].notna().all()  # intervals even where data are insufficient


def test_shares_and_intervals_from_readings_alone(demo_dir):
    """Without a site list the cells near the readings stand for the rest of their
    commune, and the intervals say so. The default (kriging of the readings) is less
    accurate on the simulator than the trend from located sites (``locate_sites=True``),
    which the simulator is built on, but it is the better one on real drives
    (benchmarks/real_end_to_end.py)."""
    from phusong.coverage import estimate_coverage

    simulation = demo_dir / "simulation"
    truth = pd.read_csv(simulation / "truth" / "communes_truth.csv", dtype={"code": str})
    result = estimate_coverage(simulation / "campaign.gpkg", load_boundaries())
    scores = share_scores(result.communes.merge(truth, on="code"))
    print_scores("readings alone", scores)
    assert result.summary["share_basis"].startswith("cells within")
    assert not result.summary["sites_located_from_readings"]
    assert scores["within5"] >= 0.45
    assert scores["within10"] >= 0.7
    assert 0.80 <= scores["coverage"] <= 0.98  # one campaign: see the test above
    assert_no_operator_above_any(result.communes)


def assert_no_operator_above_any(communes: pd.DataFrame) -> None:
    """A place covered by one operator is covered by some operator: in no commune may an
    operator's share exceed the any-operator share."""
    operators = [c for c in communes.columns if c.startswith("share_5g_452-")]
    assert operators
    highest = communes[operators].max(axis=1)
    for basis in ("share_5g_area_pct", "share_5g_pop_pct"):
        over = communes.loc[highest > communes[basis] + 1e-6, "code"].tolist()
        assert not over, (basis, over)


def test_gap_in_people(demo_dir):
    table = merged(demo_dir)
    not_met = table[table["status"] == "not_met"]
    expected = np.round((60 - not_met["share_5g_pop_pct"]) / 100 * not_met["population_x"])
    # shares are written with two decimals: allow that rounding (0.005 pp of the population)
    tolerance = not_met["population_x"] * 0.005 / 100 + 1
    assert ((not_met["gap_people"] - expected).abs() <= tolerance).all()
    assert (not_met["gap_people"] > 0).all()


def test_gigabit_shares_follow_declarations(demo_dir):
    from phusong.coverage.gigabit import HOUSEHOLD_SIZE

    table = merged(demo_dir)
    # The estimate counts households as population / 3.5 (the national census figure); the
    # simulator's Bắc Giang households are larger, so the declared households are divided by
    # more households than there are: the shares are low by exactly that assumption.
    households = table["households_x"]
    assert np.allclose(households, np.round(table["population_x"] / HOUSEHOLD_SIZE))
    expected = 100 * np.minimum(table["gigabit_households"], households) / households
    assert np.allclose(table["gigabit_share_pct"], expected, atol=0.05)
    ratio = (table["gigabit_share_pct"] / table["true_gigabit_share_pct"]).median()
    assert abs(ratio - (table["households_y"] / households).median()) < 0.01
    assert ratio < 0.97
    assert set(table["gigabit_verification"]) <= {"verified", "unverified", "challenged"}
    assert table["gigabit_challenged"].any()


def test_per_operator_shares_and_their_union(demo_dir):
    table = merged(demo_dir)
    known = table[table["status"] != "insufficient_data"]
    operators = [c for c in table.columns if c.startswith("share_5g_452-")]
    assert len(operators) == 3
    assert_no_operator_above_any(table)
    # the union of correlated operators is neither inflated nor deflated against the truth
    bias = (known["share_5g_area_pct"] - known["true_share_5g_area_pct"]).mean()
    print(f"\nany operator: mean error {bias:+.2f} pp over {len(known)} communes")
    assert abs(bias) < 3
    for column in operators:
        op = column.removeprefix("share_5g_").removesuffix("_pct")
        truth = known[f"true_share_5g_area_pct_{op}"]
        error = (known[column] - truth).abs()
        print(f"\n{op}: within 10 pp of its truth for {(error <= 10).mean():.0%} of communes")
        assert (error <= 10).mean() >= 0.85


def test_speed_based_definition(demo_dir):
    table = merged(demo_dir)
    rated = table.dropna(subset=["speed_share_5g_pct"])
    assert len(rated) > 30 and (rated["speed_tests"] >= 10).all()
    assert ((rated["speed_share_5g_low_pct"] <= rated["speed_share_5g_pct"])
            & (rated["speed_share_5g_pct"] <= rated["speed_share_5g_high_pct"])).all()
    agreement = rated["speed_share_5g_pct"].corr(rated["true_share_5g_area_pct"])
    print(f"\ncorrelation of the speed-based share with the true RSRP-based share: {agreement:.2f}")
    assert agreement > 0.6


def test_wilson_interval():
    from phusong.coverage.speed_basis import wilson_interval

    # Worked values of the Wilson score interval at z = 1.645 (Brown, Cai & DasGupta 2001)
    low, high = wilson_interval(np.array([0, 5, 3]), np.array([10, 10, 30]))
    np.testing.assert_allclose(low, [0.0, 26.93, 4.07], atol=0.01)
    np.testing.assert_allclose(high, [21.30, 73.07, 22.55], atol=0.01)
    assert np.isnan(wilson_interval(np.array([0]), np.array([0]))[0][0])
    # and it holds its 90 % on repeated samples
    rng = np.random.default_rng(0)
    for p, n in ((0.3, 30), (0.8, 50)):
        hits = rng.binomial(n, p, 20_000)
        low, high = wilson_interval(hits, np.full(len(hits), n))
        coverage = np.mean((low <= 100 * p) & (100 * p <= high))
        assert 0.86 <= coverage <= 0.95, (p, n, coverage)

