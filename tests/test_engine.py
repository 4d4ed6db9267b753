"""The coverage engine against the simulator's ground truth."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from phusong.coverage import (InverseDistance, PathLossKriging, default_interpolator,
                              load_boundaries)
from phusong.coverage.evaluate import best_method, evaluate_store, scores_table
from phusong.coverage.evidence import NO_NR_DBM, nr_evidence
from phusong.sim import SITES_DECLARED_CSV, SimulationConfig, simulate

from helpers import run_cli


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


@pytest.fixture(scope="module")
def cv_store(tmp_path_factory):
    sim = simulate(tmp_path_factory.mktemp("cv"), load_boundaries(),
                   SimulationConfig(seed=3, n_readings=40_000))
    return sim.store_path


def test_spatial_block_cv_default_beats_peers(cv_store):
    scores = evaluate_store(cv_store, "EPSG:9214", ("pathloss", "pykrige", "gp", "idw"), n_folds=3)
    table = scores_table(scores).set_index("method")
    print("\n" + table.round(3).to_string())
    assert table.loc["pathloss", "rmse_db"] <= table.loc["pykrige", "rmse_db"]
    assert table.loc["pathloss", "rmse_db"] <= table.loc["gp", "rmse_db"]
    assert table.loc["pathloss", "brier"] <= table.loc[["pykrige", "gp", "idw"], "brier"].min()
    assert table.loc["pathloss", "seconds"] < 0.5 * table.loc["gp", "seconds"]
    assert best_method(scores) == "pathloss"
    assert (table["n_test"] > 1000).all()


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


def test_censored_fit_recovers_the_path_loss():
    from phusong.coverage.pathloss import fit_censored_log_distance

    rng = np.random.default_rng(4)
    log_d = np.log10(rng.uniform(30, 3000, 40_000))
    rsrp = 0.4 - 39.08 * log_d + rng.normal(0, 6, len(log_d))
    seen = rsrp >= -125
    fit = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125)
    assert fit.slope == pytest.approx(39.08, abs=0.8)
    assert fit.intercept == pytest.approx(0.4, abs=2.5)
    assert fit.sigma == pytest.approx(6, abs=0.2)
    naive = np.polyfit(log_d[seen], rsrp[seen], 1)[0]
    assert -naive < 36  # what ignoring the censored readings would give


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_censored_fit_tells_misses_from_weak_signal(seed):
    """Readings that miss NR whatever the signal (no traffic to add the leg) are learnt
    as a miss rate, not read as weak signal that drags the slope and level down."""
    from phusong.coverage.pathloss import censored_residual_mean, fit_censored_log_distance

    rng = np.random.default_rng(seed)
    log_d = np.log10(rng.uniform(30, 3000, 40_000))
    rsrp = 0.4 - 39.08 * log_d + rng.normal(0, 6, len(log_d))
    seen = (rsrp >= -125) & (rng.random(len(log_d)) >= 0.3)
    fit = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125)
    assert fit.miss_rate == pytest.approx(0.3, abs=0.02)
    assert fit.slope == pytest.approx(39.08, abs=1.0)
    assert fit.sigma == pytest.approx(6, abs=0.3)
    plain = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125,
                                      fit_miss_rate=False)
    # read as weak signal, the misses flatten the slope or widen the spread
    assert abs(plain.slope - 39.08) + abs(plain.sigma - 6) > 2.5
    # without misses the rate is learnt as (about) none
    seen = rsrp >= -125
    assert fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen],
                                     -125).miss_rate < 0.01
    # a reading without NR where the signal is strong says little once misses happen
    strong = np.array([-90.0])
    assert censored_residual_mean(strong, -125, 6, 0.3)[0] > -0.01
    assert censored_residual_mean(strong, -125, 6, 0.0)[0] < -35


def test_miss_rate_is_read_from_the_tracks():
    """A reading between two strong NR readings of the same probe that has no NR is a
    miss; the share of such readings is the miss rate, seen without any site."""
    from phusong.coverage.evidence import miss_rate_on_tracks

    rng = np.random.default_rng(5)
    n = 6000
    measured = rng.random(n) >= 0.25
    time = pd.Timestamp("2025-10-05", tz="UTC") + pd.to_timedelta(np.arange(n) * 10, "s")
    rows = pd.DataFrame({"probe_id": np.repeat(["a", "b"], n // 2), "operator": "452-04",
                         "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "value": np.where(measured, -95.0, -140.0), "nr_measured": measured})
    assert miss_rate_on_tracks(rows, -125.0) == pytest.approx(0.25, abs=0.03)
    # readings 10 minutes apart are not neighbours on a track
    sparse = rows.assign(time_utc=(time + pd.to_timedelta(np.arange(n) * 600, "s"))
                         .strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert miss_rate_on_tracks(sparse, -125.0) is None
    # weak neighbours bracket nothing: there the reading may well be below the level
    assert miss_rate_on_tracks(rows.assign(value=np.where(measured, -120.0, -140.0)),
                               -125.0) is None


def recovered_device_offsets(directory, seed: int) -> tuple[float, float, float, float]:
    """Correlation and slope of one simulated campaign's estimated device offsets
    against the true ones, the estimated spread and the true one."""
    from phusong.coverage.operators import fit_kwargs, project_sites, with_track_statistics
    from phusong.coverage.evidence import evidence_for, load_signal_xy
    from phusong.coverage.sites import read_sites

    sim = simulate(directory, load_boundaries(),
                   SimulationConfig(seed=seed, n_readings=15_000, device_offset_std_db=3.0))
    truth = pd.Series(json.loads((sim.truth_dir / "simulation.json").read_text(
        encoding="utf-8"))["device_offsets_db"])
    evidence = evidence_for(load_signal_xy(sim.store_path, "EPSG:9214"))
    sites = project_sites(read_sites(directory / SITES_DECLARED_CSV), "EPSG:9214")
    rows = evidence[evidence["operator"] == "452-04"]
    model = with_track_statistics(PathLossKriging(
        calibrate=False, sites=sites.loc[sites["operator"] == "452-04", ["x", "y"]].to_numpy()),
        rows)
    model.fit(rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(), **fit_kwargs(model, rows))
    found = pd.Series(model.device_offsets_.offsets)
    assert len(found) == 12
    true = truth[found.index] - truth[found.index].mean()
    return (np.corrcoef(true, found)[0, 1], np.polyfit(true, found, 1)[0],
            model.device_offsets_.tau_db, true.std(ddof=1))


def test_attach_level_is_read_from_the_tracks():
    """With hysteresis the weakest NR values show where the leg is released (5 dB below
    where it is added); the first values after a reading without NR show where it is added."""
    from phusong.coverage.evidence import attach_level_on_tracks
    from phusong.coverage.pathloss import attach_level
    from phusong.sim.campaign import nr_attached

    rng = np.random.default_rng(6)
    n = 20_000
    signal = -120 + 12 * np.sin(np.arange(n) / 15) + rng.normal(0, 2, n)
    walk = np.repeat(np.arange(n // 500), 500)
    attached = nr_attached(signal, walk, rng.random(n) < 0.9, -125.0, 5.0)
    time = pd.Timestamp("2025-10-05", tz="UTC") + pd.to_timedelta(np.arange(n) * 10, "s")
    rows = pd.DataFrame({"probe_id": "p", "operator": "452-04",
                         "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "value": np.where(attached, signal, -140.0), "nr_measured": attached})
    assert attach_level(rows["value"][attached]) < -128
    assert attach_level_on_tracks(rows) == pytest.approx(-125, abs=0.8)
    assert attach_level_on_tracks(rows.head(300)) is None  # too few attaches to tell


def test_device_offsets_are_recovered(tmp_path):
    """Probes that read about 3 dB high or low (the simulator's per-device offsets) are
    told apart from the signal: over three campaigns the estimated offsets follow the
    true ones, shrunk towards the fleet but not lost."""
    results = pd.DataFrame([recovered_device_offsets(tmp_path / str(seed), seed)
                            for seed in (11, 12, 13)],
                           columns=["correlation", "slope", "spread", "true_spread"])
    print("\n" + results.round(2).to_string())
    assert (results["correlation"] > 0.5).all()
    assert results["correlation"].mean() > 0.8
    assert 0.6 < results["slope"].mean() < 1.2
    assert 0.6 < (results["spread"] / results["true_spread"]).mean() < 1.4


def test_readings_without_a_cell_id_locate_no_site():
    """A missing serving cell (None, or NaN as pandas' string columns give it) names no
    site: it is not one cell called "nan" located from every such reading."""
    rng = np.random.default_rng(8)
    X = rng.uniform(-2000, 2000, (3000, 2))
    y = -40 - 35 * np.log10(np.hypot(np.hypot(*X.T), 25)) + rng.normal(0, 4, len(X))
    ids = np.array(["cell-a", np.nan], dtype=object)[(rng.random(len(X)) < 0.5).astype(int)]
    model = PathLossKriging(calibrate=False).fit(X, y, cell_ids=ids)
    assert list(model.sites_.cell_ids) == ["cell-a"]


def test_readings_without_a_fix_are_placed_only_across_short_gaps():
    from phusong.coverage.evidence import place_on_track

    frame = pd.DataFrame({
        "probe_id": "p", "time_utc": ["2025-10-05T00:00:00.000Z", "2025-10-05T00:00:05.000Z",
                                      "2025-10-05T00:00:10.000Z", "2025-10-05T00:05:00.000Z",
                                      "2025-10-05T00:10:10.000Z"],
        "lon": [106.0, None, 106.001, None, 106.1], "lat": [21.0, None, 21.0, None, 21.1],
        "position_accuracy_m": [5.0, None, 5.0, None, 5.0]})
    place_on_track(frame)
    assert frame.at[1, "lon"] == pytest.approx(106.0005)
    assert np.isnan(frame.at[3, "lon"])  # 10 minutes between its fixes: not a track


def test_site_missing_from_the_list_is_added_from_the_readings():
    from phusong.coverage.sites import HEIGHT_OFFSET_M

    rng = np.random.default_rng(2)
    sites = np.array([[0.0, 0.0], [4000.0, 0.0]])
    X = rng.uniform([-1500, -1500], [5500, 1500], (4000, 2))
    distance = np.hypot(X[:, None, 0] - sites[None, :, 0], X[:, None, 1] - sites[None, :, 1])
    nearest = distance.argmin(axis=1)
    y = 0.4 - 39.08 * np.log10(np.hypot(distance.min(axis=1), HEIGHT_OFFSET_M))
    y = y + rng.normal(0, 4, len(y))
    silent = y < -125
    y[silent] = NO_NR_DBM
    cells = np.where(silent, None, np.array(["A", "B"], dtype=object)[nearest])
    model = PathLossKriging(sites=sites[:1]).fit(X, y, cell_ids=cells)
    assert model.n_unlisted_ == 1
    assert np.hypot(*(model.sites_.xy[1] - sites[1])) < 300
    complete = PathLossKriging(sites=sites).fit(X, y, cell_ids=cells)
    assert complete.n_unlisted_ == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_cross_fitted_calibration_scores_as_the_nested_one(cv_store, seed):
    """The cross-validation's cross-fitted calibration (each fold's learnt from the other
    folds' held-out readings) scores the default as calibrating inside every fold does."""
    from phusong.coverage.evaluate import _score, cross_validated_predictions, spatial_folds
    from phusong.coverage.evidence import load_signal_xy, nr_evidence
    from phusong.coverage.interpolate import PathLossKriging

    evidence = nr_evidence(load_signal_xy(cv_store, "EPSG:9214")).reset_index(drop=True)
    evidence["cell_id"] = None
    folds = spatial_folds(evidence[["x", "y"]].to_numpy(), 1000.0, 3,
                          np.random.default_rng(seed))
    scores = {nested: _score("pathloss", evidence, cross_validated_predictions(
        evidence, PathLossKriging(), folds, nested=nested)) for nested in (False, True)}
    crossed, nested = scores[False], scores[True]
    print(f"\ncross-fitted {crossed}\nnested       {nested}")
    assert crossed.n_test == nested.n_test
    assert abs(crossed.brier - nested.brier) < 0.005
    assert abs(crossed.share_error_pp - nested.share_error_pp) < 1.5
    assert abs(crossed.rmse_db / nested.rmse_db - 1) < 0.05


def test_evaluate_with_the_site_list(cv_store, tmp_path):
    out = tmp_path / "scores.json"
    listed = tmp_path / "listed.json"
    sites = cv_store.parent / SITES_DECLARED_CSV
    run_cli("evaluate", "--store", str(cv_store), "--methods", "pathloss", "--json", str(out))
    run_cli("evaluate", "--store", str(cv_store), "--methods", "pathloss", "--sites", str(sites),
            "--json", str(listed))
    alone = json.loads(out.read_text(encoding="utf-8"))["scores"][0]
    with_list = json.loads(listed.read_text(encoding="utf-8"))
    print(f"\nspatial-block RMSE: readings alone {alone['rmse_db']:.2f} dB, "
          f"with the site list {with_list['scores'][0]['rmse_db']:.2f} dB")
    assert with_list["site_list"] == str(sites)
    assert with_list["nested_calibration"] is False
    assert with_list["scores"][0]["rmse_db"] < alone["rmse_db"]


def test_site_list_names_operators_by_code_or_name(tmp_path):
    from phusong.coverage.sites import read_sites
    from phusong.errors import InputFormatError

    path = tmp_path / "sites.csv"
    path.write_text("operator,technology,lon,lat\n452-04,NR,106.2,21.3\nViettel,nr,106.2,21.3\n"
                    " VinaPhone ,LTE,106.1,21.2\nMobiFone,NR,106.0,21.1\n", encoding="utf-8")
    sites = read_sites(path)
    assert sites["operator"].tolist() == ["452-04", "452-04", "452-02", "452-01"]
    assert sites["technology"].tolist() == ["NR", "NR", "LTE", "NR"]
    path.write_text("operator,technology,lon,lat\nFooTel,NR,106.2,21.3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"known operator .* line\(s\) 2"):
        read_sites(path)


def test_listed_site_off_air_is_dropped():
    from phusong.coverage.sites import HEIGHT_OFFSET_M

    rng = np.random.default_rng(3)
    on_air, off_air = np.array([0.0, 0.0]), np.array([3000.0, 0.0])
    X = rng.uniform([-1500, -1500], [4500, 1500], (4000, 2))
    distance = np.hypot(*(X - on_air).T)
    y = 0.4 - 39.08 * np.log10(np.hypot(distance, HEIGHT_OFFSET_M)) + rng.normal(0, 4, len(X))
    y[y < -125] = NO_NR_DBM
    model = PathLossKriging(sites=np.vstack([on_air, off_air])).fit(X, y)
    assert model.n_off_air_ == 1
    assert len(model.sites_.xy) == 1 and np.allclose(model.sites_.xy[0], on_air)
    assert PathLossKriging(sites=on_air[None]).fit(X, y).n_off_air_ == 0
    silent_everywhere = np.where(distance < 1000, NO_NR_DBM, y)
    alone = PathLossKriging(sites=on_air[None]).fit(X, silent_everywhere)
    assert alone.n_off_air_ == 1 and alone.sites_ is None


def _roads_campaign(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Readings along a grid of roads in an 8 km square served by jittered sites:
    strongest log-distance signal plus a smooth clutter field and noise."""
    rng = np.random.default_rng(seed)
    lattice = np.stack(np.meshgrid(np.arange(600, 8000, 1400.0),
                                   np.arange(600, 8000, 1400.0)), -1).reshape(-1, 2)
    sites = lattice + rng.normal(0, 250, lattice.shape)
    along = rng.uniform(0, 8000, 6000)
    across = rng.choice(np.arange(350, 8000, 700.0), 6000)
    X = np.where(rng.random(6000)[:, None] < 0.5, np.c_[along, across], np.c_[across, along])
    d = np.hypot(*(X[:, None, :] - sites[None]).transpose(2, 0, 1))
    path = (-15 - 35 * np.log10(np.hypot(d, 23.5))).max(axis=1)
    k, phase = rng.normal(0, 1 / 600, (20, 2)), rng.uniform(0, 2 * np.pi, 20)
    clutter = 5 * np.sqrt(2 / 20) * np.cos(X @ k.T + phase).sum(axis=1)
    return X, path + clutter + rng.normal(0, 3, len(X)), sites


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibration_keeps_a_right_trend_and_shrinks_a_wrong_one(seed):
    X, y, sites = _roads_campaign(seed)
    right = PathLossKriging(sites=sites, unlisted_distance_m=None).fit(X, y).calibration_
    wrong_sites = np.random.default_rng(seed + 100).uniform(0, 8000, sites.shape)
    wrong = PathLossKriging(sites=wrong_sites, unlisted_distance_m=None).fit(X, y).calibration_
    print(f"seed {seed}: right sites {right}\n        wrong sites {wrong}")
    assert right.weight >= 0.75 and right.n_held_out > 1000
    assert wrong.weight <= right.weight - 0.3
    assert 0.7 <= right.spread <= 1.6


def test_calibrated_trend_predicts_held_out_roads_better_when_the_sites_are_wrong():
    gains = []
    for seed in (4, 5, 6):
        X, y, sites = _roads_campaign(seed)
        held_out = X[:, 0] > 6000
        wrong_sites = np.random.default_rng(seed).uniform(0, 8000, sites.shape)
        errors = {}
        for calibrate in (False, True):
            model = PathLossKriging(sites=wrong_sites, unlisted_distance_m=None,
                                    calibrate=calibrate).fit(X[~held_out], y[~held_out])
            errors[calibrate] = np.sqrt(np.mean((model.predict(X[held_out]) - y[held_out]) ** 2))
        gains.append(errors[False] - errors[True])
        print(f"seed {seed}: held-out RMSE {errors[False]:.2f} dB uncalibrated, "
              f"{errors[True]:.2f} dB calibrated")
    assert np.mean(gains) > 0.3 and min(gains) > -0.2


@pytest.mark.parametrize("correlation", [0.0, 0.15, 0.6])
def test_union_of_correlated_operators_matches_a_monte_carlo(correlation):
    from phusong.coverage.union import p_any_covers

    rng = np.random.default_rng(int(correlation * 100))
    means = [rng.uniform(-120, -90, 50) for _ in range(3)]
    stds = [rng.uniform(2, 10, 50) for _ in range(3)]
    n = 200_000
    shared = rng.standard_normal((n, 1))
    hits = np.zeros((n, 50), bool)
    for mean, std in zip(means, stds):
        error = np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * rng.standard_normal((n, 50))
        hits |= mean + std * error >= -105
    assert np.allclose(p_any_covers(means, stds, -105, correlation), hits.mean(axis=0), atol=0.006)
    if correlation > 0:
        assert np.all(p_any_covers(means, stds, -105, correlation)
                      <= p_any_covers(means, stds, -105, 0.0) + 1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_union_quadrature_is_converged(seed, monkeypatch):
    """The default number of Gauss-Hermite nodes gives what four times as many give."""
    from phusong.coverage import union

    rng = np.random.default_rng(seed)
    means = [rng.uniform(-125, -85, 2000) for _ in range(3)]
    stds = [rng.uniform(0.5, 12, 2000) for _ in range(3)]
    default = {rho: union.p_any_covers(means, stds, -110, rho) for rho in (0.15, 0.3)}
    monkeypatch.setattr(union, "QUADRATURE_NODES", 4 * union.QUADRATURE_NODES)
    for rho, p in default.items():
        assert np.abs(union.p_any_covers(means, stds, -110, rho) - p).max() < 5e-6


def test_realised_shares_are_each_realisations_unit_means():
    """The shares of all realisations at once (one sparse product) are, realisation by
    realisation, the units' weighted means over their cells within (all cells where a unit
    has none within)."""
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.uncertainty import realised_shares

    units = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:9214", geometry=[
        box(0, 0, 5000, 8000), box(5000, 0, 9000, 8000), box(9000, 0, 9950, 950)])
    member = membership(grid_for(units, 100.0), units)
    cells = member.cells()
    rng = np.random.default_rng(4)
    covered = rng.random((7, len(cells))) < 0.4
    within = rng.random(member.grid.size) < 0.3
    within[member.cell[member.unit == 2]] = False
    people = rng.random(member.grid.size)
    shares = realised_shares(member, cells, covered, people, within)
    values = np.full(member.grid.size, np.nan)
    for r, row in enumerate(covered):
        values[cells] = row
        np.testing.assert_allclose(shares[r], 100 * member.mean_within(values, within, people),
                                   rtol=1e-6)


def test_located_sites_are_not_pulled_to_the_routes(tmp_path):
    """With NR added only while there is traffic (30 % of readings miss it), sites placed by
    the measured readings lie as far from the readings as the true servers do: readings
    without NR, counted against candidates, had pulled them 0.12 decade closer, and the
    trend ran low away from the roads."""
    import pandas as pd

    from phusong.coverage.evidence import load_signal_xy

    sim = simulate(tmp_path / "traffic", load_boundaries(),
                   SimulationConfig(seed=11, n_readings=12_000, nr_traffic_share=0.7))
    truth = pd.read_csv(sim.store_path.parent / "truth" / "sites.csv").set_index("site_id")
    rows = nr_evidence(load_signal_xy(sim.store_path, "EPSG:9214"))
    rows = rows[rows["operator"] == "452-04"]
    model = PathLossKriging(calibrate=False).fit(
        rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(),
        cell_ids=rows["cell_id"].where(rows["nr_measured"]).to_numpy(dtype=object))
    measured = rows[rows["nr_measured"]]
    X, ids = measured[["x", "y"]].to_numpy(), measured["cell_id"].to_numpy().astype(str)
    own = dict(zip(model.sites_.cell_ids, model.sites_.xy))
    placed = np.array([own.get(cell, (np.nan, np.nan)) for cell in ids])

    def mean_log_distance(sites_xy: np.ndarray) -> float:
        return float(np.nanmean(np.log10(np.hypot(np.hypot(*(X - sites_xy).T), 23.5))))

    shortfall = mean_log_distance(truth.loc[ids, ["x", "y"]].to_numpy()) - mean_log_distance(placed)
    print(f"located sites {shortfall:.3f} decade closer to their readings than the true ones")
    assert abs(shortfall) < 0.05


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_realisations_cover_each_cell_as_often_as_its_probability(seed):
    """The interval draws share each cell's predictive spread out between their
    components: a cell is covered in as many realisations as its P(covered) says, so the
    realised shares are centred on the expected share (adding the components on top
    pulled them towards 50 % and left the point at an end of its interval)."""
    import geopandas as gpd
    from scipy.special import ndtr
    from shapely.geometry import box

    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.uncertainty import (OperatorPrediction, ShareDistribution,
                                              realised_shares, simulate_coverage)

    units = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:9214", geometry=[
        box(0, 0, 4000, 4000), box(4000, 0, 8000, 4000)])
    member = membership(grid_for(units, 200.0), units)
    cells = member.cells()
    rng = np.random.default_rng(seed)
    for centre, spread in ((-110.0, 12.0), (-101.0, 2.0)):  # all kinds of cells; mostly covered
        mean = centre + spread * rng.standard_normal(len(cells))
        std = rng.uniform(3, 6, len(cells))
        op = OperatorPrediction("x", mean, std, ndtr((mean + 110) / std), 600.0)
        covered = simulate_coverage(member, cells, [op], -110.0, n_realisations=400,
                                    model_std_db=2.0, global_std_db=3.0, seed=seed)
        frequency = covered.mean(axis=0)
        assert abs(frequency.mean() - op.p_covered.mean()) < 0.02
        assert np.corrcoef(frequency, op.p_covered)[0, 1] > 0.9
    on_grid = np.full(member.grid.size, np.nan)
    on_grid[cells] = op.p_covered
    point = 100 * member.mean_within(on_grid, np.ones(member.grid.size, bool))
    draws = ShareDistribution.around(point, realised_shares(member, cells, covered))
    low, high = draws.interval()
    assert ((low < point - 0.5) & (point + 0.5 < high)).all()


def test_calibration_locates_the_sites_without_the_held_out_block(monkeypatch):
    """The inner cross-validation that weighs the located trend locates the sites from
    each fold's training readings: sites located with the held-out block's readings made
    the trend look better there than it is away from the roads."""
    from phusong.coverage import sites as sites_module

    seen = []
    original = sites_module.locate_sites

    def recording(X, *args, **kwargs):
        seen.append(len(X))
        return original(X, *args, **kwargs)

    monkeypatch.setattr(sites_module, "locate_sites", recording)
    rng = np.random.default_rng(9)
    X = rng.uniform(-3000, 3000, (4000, 2))
    centres = np.array([[-1500, -1500], [1500, 1500], [-1500, 1500], [1500, -1500]])
    nearest = np.argmin(np.hypot(*(X[:, None, :] - centres[None]).transpose(2, 0, 1)), axis=1)
    distance = np.hypot(*(X - centres[nearest]).T)
    y = -40 - 35 * np.log10(np.hypot(distance, 25)) + rng.normal(0, 4, len(X))
    ids = np.array([f"c{i}" for i in range(4)], dtype=object)[nearest]
    PathLossKriging().fit(X, y, cell_ids=ids)
    # the full fit first, then each fold of the calibration on fewer readings
    assert len(seen) > 1 and max(seen[1:]) < seen[0]


def test_readings_projected_in_parts_land_where_one_transform_puts_them():
    from phusong.coverage.evidence import _projected, wgs84_to

    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(105.8, 106.9, 250_001), rng.uniform(21.0, 21.6, 250_001)
    x, y = _projected("EPSG:9214", lon, lat)
    expected_x, expected_y = wgs84_to("EPSG:9214").transform(lon, lat)
    assert np.array_equal(x, expected_x) and np.array_equal(y, expected_y)
