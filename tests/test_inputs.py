"""Inputs that cannot support a figure end in an error or a warning naming what and where,
never a confident number."""
from __future__ import annotations

import shutil
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from phusong.coverage import estimate_coverage, load_boundaries
from phusong.coverage.sites import read_sites
from phusong.errors import ConfigError, EstimationError

COARSE = 500.0


@pytest.fixture(scope="module")
def units():
    return load_boundaries()


def test_a_site_list_far_from_the_readings_is_reported(demo_dir, units, tmp_path):
    listed = pd.read_csv(demo_dir / "simulation" / "sites_declared.csv")
    listed["lat"] += 0.045  # 5 km north: a list in the wrong datum or simply wrong
    path = tmp_path / "sites.csv"
    listed.to_csv(path, index=False)
    result = estimate_coverage(demo_dir / "simulation" / "campaign.gpkg", units,
                               resolution=COARSE, sites=read_sites(path), n_realisations=10)
    notes = [w for w in result.summary["warnings"] if "does not explain" in w]
    assert notes and all("452-0" in w for w in notes)
    right = estimate_coverage(demo_dir / "simulation" / "campaign.gpkg", units,
                              resolution=COARSE, n_realisations=10,
                              sites=read_sites(demo_dir / "simulation" / "sites_declared.csv"))
    assert not [w for w in right.summary["warnings"] if "does not explain" in w]


def test_an_operator_without_nr_gets_zero_with_its_reason(demo_dir, units, tmp_path):
    store = tmp_path / "no-nr.gpkg"
    shutil.copy(demo_dir / "simulation" / "campaign.gpkg", store)
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE signal_readings SET technology = 'LTE', nr_ss_rsrp_dbm = NULL "
                     "WHERE operator = '452-01'")
    result = estimate_coverage(store, units, resolution=COARSE, n_realisations=10)
    shares = result.communes["share_5g_452-01_pct"].dropna()
    assert len(shares) and (shares == 0).all()
    assert any("452-01" in w and "counted as 0 %" in w for w in result.summary["warnings"])


def test_boundaries_that_miss_every_reading(demo_dir, tmp_path):
    far = gpd.GeoDataFrame({"ward_code": ["79001"], "full_name": ["Phường Bến Nghé"],
                            "population": [15000]},
                           geometry=[box(106.69, 10.77, 106.71, 10.79)], crs="EPSG:4326")
    path = tmp_path / "hcm.gpkg"
    far.to_file(path)
    with pytest.raises(EstimationError, match="none of the .* readings lies inside"):
        estimate_coverage(demo_dir / "simulation" / "campaign.gpkg", load_boundaries(path),
                          resolution=COARSE, n_realisations=10)


@pytest.mark.parametrize("kwargs, message", [
    ({"threshold_dbm": -1000.0}, "reporting range"),
    ({"threshold_dbm": float("nan")}, "reporting range"),
    ({"resolution": float("inf")}, "outside 5"),
    ({"resolution": 0.5}, "outside 5"),
    ({"max_position_error_m": -1.0}, "must be > 0"),
])
def test_values_beyond_physical_limits_are_refused(demo_dir, units, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        estimate_coverage(demo_dir / "simulation" / "campaign.gpkg", units,
                          **{"resolution": COARSE, **kwargs})


def test_readings_can_be_chosen_by_time_and_position_error(demo_dir, units):
    from datetime import datetime

    store = demo_dir / "simulation" / "campaign.gpkg"
    first_week = estimate_coverage(store, units, resolution=COARSE, n_realisations=10,
                                   since=datetime(2025, 10, 1), until=datetime(2025, 10, 8))
    every = estimate_coverage(store, units, resolution=COARSE, n_realisations=10)
    assert 0 < first_week.summary["n_evidence_readings"] < every.summary["n_evidence_readings"]
    start, end = first_week.summary["readings_period_utc"]
    assert start >= "2025-09-30T17:00" and end < "2025-10-07T17:00"
    precise = estimate_coverage(store, units, resolution=COARSE, n_realisations=10,
                                max_position_error_m=3.0)
    assert precise.summary["n_evidence_readings"] < every.summary["n_evidence_readings"]
    assert np.isfinite(precise.communes["share_5g_model_pct"]).all()


def test_estimate_counts_declarations_imported_into_the_store(demo_dir, tmp_path):
    from helpers import run_cli

    store = tmp_path / "campaign.gpkg"
    shutil.copy(demo_dir / "simulation" / "campaign.gpkg", store)
    run_cli("import", "declarations", str(demo_dir / "simulation" / "declarations.csv"),
            "--store", str(store))
    run_cli("estimate", "--store", str(store), "--out", str(tmp_path / "est"), "--resolution",
            "500")
    from_store = pd.read_csv(tmp_path / "est" / "communes.csv", dtype={"code": str})
    from_csv = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
    assert from_store["gigabit_share_pct"].notna().all()
    assert np.allclose(from_store["gigabit_share_pct"], from_csv["gigabit_share_pct"], atol=0.01)
