"""Estimates of campaigns anywhere (``--region any``), of LTE, and what the engine does
with readings it cannot attribute or cells no reading is near."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from phusong.coverage import load_boundaries
from phusong.coverage.evidence import attribute_operators
from phusong.errors import BoundaryError

from helpers import run_cli

# Near Bremen (UTM zone 32N): the area of the real drives the benchmark uses.
LON0, LAT0 = 8.80, 53.08
MAPPING = """
[source]
layer = "signal_readings"
kind = "test-drive"
probe_id = "roof"
time_zone = "UTC"

[columns]
time_utc = { column = "t", format = "epoch_ms" }
operator = { mcc = "mcc", mnc = "mnc" }
technology = { column = "tech", values = { Lte = "LTE" } }
lte_rsrp_dbm = { column = "rsrp" }
cell = { column = "cell_id" }
lon = "lon"
lat = "lat"
"""


def squares_abroad(path, n: int = 2, size_deg: float = 0.03) -> None:
    """``n`` × ``n`` square units near Bremen, in WGS 84."""
    boxes = [shapely.box(LON0 + i * size_deg, LAT0 + j * size_deg,
                         LON0 + (i + 1) * size_deg, LAT0 + (j + 1) * size_deg)
             for i in range(n) for j in range(n)]
    codes = [f"U{i}" for i in range(len(boxes))]
    gpd.GeoDataFrame({"code": codes, "name": codes, "population": 1000.0},
                     geometry=boxes, crs="EPSG:4326").to_file(path, driver="GPKG")


def drive_abroad(path, seed: int, n: int = 1500) -> None:
    """An LTE drive of two operators criss-crossing the squares: strong near a site in
    the south-west, weak to the north-east."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n)
    lon = LON0 + 0.002 + 0.056 * np.abs(np.sin(3 * np.pi * t))
    lat = LAT0 + 0.002 + 0.056 * t
    distance = np.hypot((lon - LON0) * 67_000, (lat - LAT0) * 111_000)
    rows = []
    for mnc in ("01", "02"):
        rsrp = -60 - 35 * np.log10(np.maximum(distance, 50) / 50) + rng.normal(0, 4, n)
        rows.append(pd.DataFrame({
            "t": 1_631_500_000_000 + np.arange(n) * 1000, "mcc": "262", "mnc": mnc,
            "tech": "Lte", "rsrp": np.clip(rsrp, -140, -44).round(1), "cell_id": 25600257,
            "lon": lon.round(6), "lat": lat.round(6)}))
    pd.concat(rows).to_csv(path, index=False)


@pytest.fixture(scope="module")
def abroad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("abroad")
    squares_abroad(folder / "units.gpkg")
    drive_abroad(folder / "drive.csv", seed=3)
    (folder / "m.toml").write_text(MAPPING, encoding="utf-8")
    run_cli("import", "table", str(folder / "drive.csv"), "--store", str(folder / "s.gpkg"),
            "--mapping", str(folder / "m.toml"), "--region", "any")
    return folder


def test_boundaries_abroad_need_region_any_and_work_in_their_utm_zone(abroad):
    with pytest.raises(BoundaryError, match="--region any"):
        load_boundaries(abroad / "units.gpkg", "code", "name")
    units = load_boundaries(abroad / "units.gpkg", "code", "name", region="any")
    assert units.crs.to_epsg() == 32632
    given = load_boundaries(abroad / "units.gpkg", "code", "name", region="any",
                            crs="EPSG:25832")
    assert given.crs.to_epsg() == 25832
    with pytest.raises(BoundaryError, match="outside the region"):
        load_boundaries(abroad / "units.gpkg", "code", "name", region=(0, 0, 1, 1))


def test_lte_estimate_abroad_is_named_and_titled_lte(abroad):
    out = abroad / "est"
    run_cli("--lang", "en", "estimate", "--store", str(abroad / "s.gpkg"), "--out", str(out),
            "--boundaries", str(abroad / "units.gpkg"), "--id-field", "code",
            "--name-field", "name", "--region", "any", "--technology", "lte",
            "--resolution", "100")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["crs"] == "EPSG:32632" and summary["technology"] == "lte"
    assert summary["plan"] is None
    assert "province_share_lte_pct" in summary and "province_share_5g_pct" not in summary
    communes = pd.read_csv(out / "communes.csv")
    assert {"share_lte_area_pct", "share_lte_low_pct", "share_lte_262-01_pct"} <= set(communes)
    assert not any("_5g_" in c for c in communes)
    squares_abroad(abroad / "big.gpkg", n=1, size_deg=0.06)
    run_cli("reaggregate", "--estimates", str(out), "--out", str(abroad / "big.csv"),
            "--boundaries", str(abroad / "big.gpkg"), "--id-field", "code",
            "--name-field", "name", "--region", "any")
    assert "share_lte_area_pct" in pd.read_csv(abroad / "big.csv").columns
    run_cli("--lang", "en", "map", "--estimates", str(out), "--out", str(abroad / "m.html"))
    page = (abroad / "m.html").read_text(encoding="utf-8")
    assert "4G (LTE) coverage by commune" in page and "5G coverage by commune" not in page
    run_cli("--lang", "en", "report", "--estimates", str(out), "--out", str(abroad / "r"),
            "--format", "csv,html")
    report = (abroad / "r" / "report.html").read_text(encoding="utf-8")
    assert "4G (LTE) coverage report" in report and "182-KH/TU" not in report


def test_cells_far_from_every_reading_are_not_measured(abroad):
    from phusong.coverage import estimate_coverage

    units = load_boundaries(abroad / "units.gpkg", "code", "name", region="any")
    result = estimate_coverage(abroad / "s.gpkg", units, resolution=50, technology="lte")
    inside = np.zeros(result.grid.size, bool)
    inside[result.cells] = True
    near, far = inside & result.reliable, inside & ~result.reliable
    assert near.any() and far.any()
    assert np.isfinite(result.p_covered[near]).all() and np.isnan(result.p_covered[far]).all()
    assert np.isfinite(result.p_covered_model[far]).all()
    # every operator's share lies at or below the share some operator covers
    communes = result.communes
    for operator in ("262-01", "262-02"):
        ok = communes["share_5g_area_pct"].notna()
        assert (communes.loc[ok, f"share_5g_{operator}_pct"]
                <= communes.loc[ok, "share_5g_area_pct"] + 0.5).all()


def test_estimate_of_one_operator(abroad):
    from phusong.coverage import estimate_coverage
    from phusong.errors import EstimationError

    units = load_boundaries(abroad / "units.gpkg", "code", "name", region="any")
    one = estimate_coverage(abroad / "s.gpkg", units, resolution=50, technology="lte",
                            operators=["262-02"])
    assert one.summary["operators"] == ["262-02"]
    with pytest.raises(EstimationError, match="262-01, 262-02"):
        estimate_coverage(abroad / "s.gpkg", units, technology="lte", operators=["262-09"])


def test_readings_without_operator_join_their_probes_operator():
    evidence = pd.DataFrame({"operator": ["452-04", None, "452-01", None, None],
                             "probe_id": ["a", "a", "b", "c", "c"]})
    attributed, warnings = attribute_operators(evidence)
    assert attributed["operator"].tolist()[:2] == ["452-04", "452-04"]
    assert attributed["operator"].isna().sum() == 2 and "2 readings" in warnings[0]
    single, none = attribute_operators(pd.DataFrame({"operator": ["452-04", None],
                                                     "probe_id": ["a", "b"]}))
    assert single["operator"].tolist() == ["452-04", "452-04"] and none == []


def test_evaluate_abroad_in_the_readings_utm_zone(abroad):
    out = abroad / "cv.json"
    run_cli("--lang", "en", "evaluate", "--store", str(abroad / "s.gpkg"), "--region", "any",
            "--technology", "lte", "--methods", "pathloss,idw", "--threshold-dbm", "-105",
            "--json", str(out))
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert {row["method"] for row in scores["scores"]} == {"pathloss", "idw"}
    assert all(row["rmse_db"] < 10 for row in scores["scores"])  # metres, not degrees


def test_readings_from_one_spot_are_not_called_covered_with_certainty(tmp_path):
    """A probe left at one spot, 2 dB above the threshold: its readings cannot show how far
    the estimate may be off a few hundred metres away, so the summary says so and no cell
    is called covered with near certainty (before the spread's prior: P up to 1.00)."""
    from phusong.coverage import estimate_coverage

    squares_abroad(tmp_path / "units.gpkg", n=1)
    rng = np.random.default_rng(4)
    n = 400
    pd.DataFrame({"t": 1_631_500_000_000 + np.arange(n) * 1000, "mcc": "262", "mnc": "01",
                  "tech": "Lte", "rsrp": (-108 + rng.normal(0, 1, n)).round(1),
                  "cell_id": 25600257,
                  "lon": (LON0 + 0.015 + rng.normal(0, 0.0003, n)).round(6),
                  "lat": (LAT0 + 0.015 + rng.normal(0, 0.0002, n)).round(6)}
                 ).to_csv(tmp_path / "spot.csv", index=False)
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    run_cli("import", "table", str(tmp_path / "spot.csv"), "--store", str(tmp_path / "s.gpkg"),
            "--mapping", str(tmp_path / "m.toml"), "--region", "any")
    units = load_boundaries(tmp_path / "units.gpkg", "code", "name", region="any")
    result = estimate_coverage(tmp_path / "s.gpkg", units, technology="lte",
                               threshold_dbm=-110.0)
    assert any("262-01: its readings are too few or too close together" in warning
               for warning in result.summary["warnings"])
    assert 0.5 < np.nanmax(result.p_covered) < 0.8
