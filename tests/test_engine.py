"""The coverage engine against the simulator's ground truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from phusong.coverage import (InverseDistance, PathLossKriging, SimulationConfig,
                              default_interpolator, load_boundaries, simulate)
from phusong.coverage.evaluate import best_method, evaluate_store, scores_table
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


def test_shares_and_intervals_against_truth(demo_dir):
    table = merged(demo_dir)
    known = table[table["status"] != "insufficient_data"]
    error = known["share_5g_area_pct"] - known["true_share_5g_area_pct"]
    dense = known["n_readings"] >= 50
    within5 = (error[dense].abs() <= 5).mean()
    inside = ((table["true_share_5g_area_pct"] >= table["share_5g_low_pct"] - 1e-6)
              & (table["true_share_5g_area_pct"] <= table["share_5g_high_pct"] + 1e-6))
    coverage_known = inside[table["status"] != "insufficient_data"].mean()
    print(f"\ncommunes with >= 50 readings: {dense.sum()}, within 5 pp: {within5:.0%}; "
          f"90% intervals contain the truth for {coverage_known:.0%} of communes with data "
          f"({inside.mean():.0%} of all), mean width "
          f"{(table.share_5g_high_pct - table.share_5g_low_pct).mean():.1f} pp")
    assert within5 >= 0.80
    assert (error.abs() <= 10).mean() >= 0.90
    assert 0.85 <= coverage_known <= 0.95
    assert table["share_5g_low_pct"].notna().all()  # intervals even where data are insufficient


def test_gap_in_people(demo_dir):
    table = merged(demo_dir)
    not_met = table[table["status"] == "not_met"]
    expected = np.round((60 - not_met["share_5g_pop_pct"]) / 100 * not_met["population_x"])
    # shares are written with two decimals: allow that rounding (0.005 pp of the population)
    tolerance = not_met["population_x"] * 0.005 / 100 + 1
    assert ((not_met["gap_people"] - expected).abs() <= tolerance).all()
    assert (not_met["gap_people"] > 0).all()


def test_gigabit_shares_follow_declarations(demo_dir):
    table = merged(demo_dir)
    assert np.allclose(table["gigabit_share_pct"], table["true_gigabit_share_pct"], atol=0.5)
    assert set(table["gigabit_verification"]) <= {"verified", "unverified", "challenged"}
    assert table["gigabit_challenged"].any()


@pytest.fixture(scope="module")
def cv_store(tmp_path_factory):
    sim = simulate(tmp_path_factory.mktemp("cv"), load_boundaries(),
                   SimulationConfig(seed=3, n_readings=60_000))
    return sim.store_path


def test_spatial_block_cv_default_beats_peers(cv_store):
    scores = evaluate_store(cv_store, "EPSG:9214", ("pathloss", "pykrige", "gp", "idw"))
    table = scores_table(scores).set_index("method")
    print("\n" + table.round(3).to_string())
    assert table.loc["pathloss", "rmse_db"] <= table.loc["pykrige", "rmse_db"]
    assert table.loc["pathloss", "rmse_db"] <= table.loc["gp", "rmse_db"]
    assert table.loc["pathloss", "seconds"] < 0.5 * table.loc["gp", "seconds"]
    assert best_method(scores) == "pathloss"
    assert (table["n_test"] > 1000).all()


def test_per_operator_shares_and_their_union(demo_dir):
    table = merged(demo_dir)
    known = table[table["status"] != "insufficient_data"]
    operators = [c for c in table.columns if c.startswith("share_5g_452-")]
    assert len(operators) == 3
    best_single = known[operators].max(axis=1)
    assert (known["share_5g_area_pct"] >= best_single - 1e-6).all()
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
    from phusong.coverage.estimate import wilson_interval

    low, high = wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert low[0] == pytest.approx(0, abs=1e-9) and 0 < high[0] < 30
    assert low[1] < 50 < high[1] and high[2] == pytest.approx(100)
    assert np.isnan(wilson_interval(np.array([0]), np.array([0]))[0][0])


def commune_error(result, truth_csv) -> pd.Series:
    truth = pd.read_csv(truth_csv, dtype={"code": str})
    table = result.communes.merge(truth, on="code")
    known = table["status"] != "insufficient_data"
    return (table["share_5g_area_pct"] - table["true_share_5g_area_pct"])[known].abs()


def test_known_site_list_beats_located_sites(cv_store):
    from phusong.coverage import estimate_coverage
    from phusong.coverage.sites import read_sites

    truth_dir = cv_store.parent / "truth"
    units = load_boundaries()
    located = commune_error(estimate_coverage(cv_store, units, n_realisations=5),
                            truth_dir / "communes_truth.csv")
    known = commune_error(estimate_coverage(cv_store, units, n_realisations=5,
                                            sites=read_sites(truth_dir / "sites.csv")),
                          truth_dir / "communes_truth.csv")
    print(f"\nmean commune error: located sites {located.mean():.2f} pp, "
          f"site list {known.mean():.2f} pp")
    assert known.mean() < located.mean()


def test_bad_site_list_is_refused(tmp_path):
    from phusong.coverage.sites import read_sites
    from phusong.errors import InputFormatError

    path = tmp_path / "sites.csv"
    path.write_text("operator,technology,lon,lat\n452-04,NR,106.2,21.3\n452-04,NR,2.3,48.8\n"
                    ",NR,106.1,21.2\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"line\(s\) 3, 4"):
        read_sites(path)
    path.write_text("operator,lon\n452-04,106.2\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="technology, lat"):
        read_sites(path)
