"""Spatial-block cross-validation against the peers, and the site list, on one 40,000-reading
campaign."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from phusong.coverage import load_boundaries
from phusong.coverage.evaluate import best_method, evaluate_store, scores_table
from phusong.sim import SITES_DECLARED_CSV, SimulationConfig, simulate

from helpers import run_cli


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

