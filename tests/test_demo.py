"""End to end, as a new user runs it: ``phusong demo`` and the stages one by one."""
from __future__ import annotations

import json
from datetime import datetime
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from phusong.config import data_path

from helpers import run_cli

EXPECTED_COLUMNS = {"code", "name", "share_5g_area_pct", "share_5g_pop_pct", "n_readings",
                    "status"}


def read_communes(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"code": str})


def test_demo_writes_the_table_and_the_map(demo_dir):
    table = read_communes(demo_dir / "communes.csv")
    assert len(table) == 99
    assert EXPECTED_COLUMNS <= set(table.columns)
    assert table["code"].is_unique and table["code"].str.len().eq(5).all()
    assert set(table["status"]) <= {"met", "not_met", "uncertain", "insufficient_data"}
    labels = {"met": "Đạt", "not_met": "Chưa đạt", "uncertain": "Chưa chắc chắn",
              "insufficient_data": "Thiếu dữ liệu"}
    assert (table["status_label"] == table["status"].map(labels)).all()
    insufficient = table["status"] == "insufficient_data"
    assert insufficient.any() and (~insufficient).sum() >= 60
    assert table.loc[insufficient, "share_5g_pop_pct"].isna().all()
    assert table.loc[~insufficient, "share_5g_pop_pct"].between(0, 100).all()
    assert (demo_dir / "map.html").stat().st_size > 100_000
    for layer in ("signal_readings", "speed_tests", "quarantine"):
        gpd.read_file(demo_dir / "simulation" / "campaign.gpkg", layer=layer, max_features=5)
    summary = json.loads((demo_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["synthetic"] is True and summary["communes"] == 99


def test_demo_share_is_close_to_truth(demo_dir):
    table = read_communes(demo_dir / "communes.csv")
    truth = read_communes(demo_dir / "simulation" / "truth" / "communes_truth.csv")
    merged = table.merge(truth, on="code")
    known = merged[merged["status"] != "insufficient_data"]
    error = known["share_5g_area_pct"] - known["true_share_5g_area_pct"]
    within = (error.abs() <= 10).mean()
    print(f"\ncommunes with enough readings: {len(known)}; within 10 pp of truth: {within:.0%}; "
          f"within 5 pp: {(error.abs() <= 5).mean():.0%}; mean error {error.mean():+.1f} pp; "
          f"largest {error.abs().max():.1f} pp")
    assert within >= 0.80


def test_demo_with_pre2025_boundaries(tmp_path):
    out = tmp_path / "old"
    run_cli("demo", "--out", str(out), "--readings", "60000",
            "--boundaries", str(data_path("boundaries", "bacgiang_pre2025_communes_lowres.geojson")),
            "--id-field", "census2009_commune_id", "--name-field", "commune_vn",
            "--population-field", "pop_total_2019")
    table = read_communes(out / "communes.csv")
    assert len(table) == 232
    assert table["code"].str.len().eq(7).all()
    assert (table["status"] != "insufficient_data").sum() > 50
    assert (out / "map.html").exists()


def test_stages_one_by_one(tmp_path):
    sim, est, html = tmp_path / "sim", tmp_path / "est", tmp_path / "m" / "map.html"
    run_cli("simulate", "--out", str(sim), "--seed", "11", "--readings", "30000")
    assert (sim / "campaign.gpkg").exists()
    assert (sim / "truth" / "nr_rsrp_dbm.tif").exists()
    assert (sim / "truth" / "communes_truth.csv").exists()
    proc = run_cli("--lang", "en", "estimate", "--store", str(sim / "campaign.gpkg"),
                   "--out", str(est), "--method", "auto")
    chosen = re.search(r"Best method \(Brier score\): (\w+)", proc.stdout.decode()).group(1)
    summary = json.loads((est / "summary.json").read_text())
    cv = summary["cross_validation"]
    brier = {s["method"]: round(s["brier"], 3) for s in cv["scores"]}
    assert set(brier) == {"pathloss", "kriging", "idw"}
    assert chosen == cv["chosen"] and brier[chosen] == min(brier.values())
    assert summary["method"] == {"pathloss": "PathLossKriging", "kriging": "OrdinaryKriging",
                                 "idw": "InverseDistance"}[chosen]
    assert any(w.startswith("no site list") for w in summary["warnings"])
    run_cli("--lang", "en", "report", "--estimates", str(est), "--out", str(tmp_path / "r"),
            "--format", "html")
    page = next((tmp_path / "r").glob("*.html")).read_text(encoding="utf-8")
    assert f"{chosen}: RMSE" in page and "Trend calibrated by cross-validation" in page
    for name in ("communes.csv", "communes.gpkg", "rsrp.tif", "rsrp_std.tif", "p_covered.tif",
                 "summary.json"):
        assert (est / name).exists(), name
    assert len(read_communes(est / "communes.csv")) == 99
    assert dict(pyogrio.list_layers(est / "communes.gpkg"))["communes"] in ("MultiPolygon",
                                                                           "Polygon")
    run_cli("map", "--estimates", str(est), "--out", str(html))
    assert html.exists()


def test_reaggregate_to_other_boundaries(demo_dir, tmp_path):
    same, old = tmp_path / "same.csv", tmp_path / "old.csv"
    run_cli("reaggregate", "--estimates", str(demo_dir), "--out", str(same))
    estimate = read_communes(demo_dir / "communes.csv")
    again = read_communes(same)
    known = estimate["status"] != "insufficient_data"
    difference = (estimate["share_5g_area_pct"] - again["share_5g_area_pct"])[known].abs()
    print(f"\nlargest difference re-aggregating onto the same communes: {difference.max():.2f} pp")
    assert difference.max() < 0.5
    # the same evidence rules: a commune without enough data stays so, with no share
    assert (again["n_readings"] == estimate["n_readings"]).mean() > 0.95
    agree = (again["status"] == "insufficient_data") == ~known
    assert agree.mean() >= 0.97
    assert again.loc[~known & agree, "share_5g_area_pct"].isna().all()
    assert (again["share_5g_low_pct"] <= again["share_5g_model_pct"] + 1e-6).all()
    assert set(again["status"]) <= {"met", "not_met", "uncertain", "insufficient_data"}
    run_cli("reaggregate", "--estimates", str(demo_dir), "--out", str(old),
            "--boundaries", str(data_path("boundaries", "bacgiang_pre2025_communes_lowres.geojson")),
            "--id-field", "census2009_commune_id", "--name-field", "commune_vn",
            "--population-field", "pop_total_2019")
    table = pd.read_csv(old, dtype={"code": str})
    assert len(table) == 232
    assert table["share_5g_area_pct"].dropna().between(0, 100).all()
    few = (table["n_readings"] < 30) | (table["sampled_area_pct"] < 30)
    assert (table.loc[few, "status"] == "insufficient_data").all()
    assert (table.loc[~few, "status"] != "insufficient_data").mean() > 0.9


def test_demo_without_the_site_list(tmp_path):
    run_cli("demo", "--out", str(tmp_path), "--readings", "6000", "--no-site-list")
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["share_basis"].startswith("cells within")
    assert summary["sites_added_from_readings"] == {}
    declared = pd.read_csv(tmp_path / "simulation" / "sites_declared.csv")
    truth = pd.read_csv(tmp_path / "simulation" / "truth" / "sites.csv")
    assert {"operator", "technology", "lon", "lat"} <= set(declared.columns)
    assert 0.9 * len(truth) <= len(declared) < len(truth)


def test_report_equals_the_estimate(demo_dir, tmp_path):
    """The province's report says what summary.json and communes.csv say."""
    from openpyxl import load_workbook

    summary = json.loads((demo_dir / "summary.json").read_text(encoding="utf-8"))
    table = read_communes(demo_dir / "communes.csv")
    report = demo_dir / "report"
    assert {p.name for p in report.iterdir()} >= {"report.xlsx", "report.html",
                                                  "report_communes.csv", "report_province.csv"}
    book = load_workbook(report / "report.xlsx")
    # the synthetic-data banner heads every sheet, the rows below it move down by one
    assert all(sheet["A1"].value == "DỮ LIỆU MÔ PHỎNG" for sheet in book.worksheets)
    province = list(book.worksheets[0].iter_rows(min_row=6, max_row=7, values_only=True))
    # Excel stores 15 significant digits
    assert province[0][1:4] == pytest.approx((summary["province_share_5g_pct"],
                                              summary["province_share_5g_low_pct"],
                                              summary["province_share_5g_high_pct"]), rel=1e-12)
    assert province[1][1] == pytest.approx(summary["province_gigabit_share_pct"], rel=1e-12)
    communes = book.worksheets[1]
    assert communes.freeze_panes == "C3" and communes["A2"].value == "Mã"
    assert communes.auto_filter.ref.startswith("A2:") and communes.print_title_rows == "$2:$2"
    assert communes.page_setup.orientation == "landscape"
    assert communes.column_dimensions["B"].width >= 25  # names are not cut
    assert isinstance(book.worksheets[0]["B3"].value, datetime)  # a real date
    rows = pd.DataFrame(list(communes.iter_rows(min_row=3, values_only=True)),
                        columns=[c.value for c in communes[2]])
    merged = rows.merge(table, left_on="Mã", right_on="code")
    assert len(merged) == len(table) == 99
    assert np.allclose(merged["Dân số có sóng 5G (%)"].astype(float), merged["share_5g_pop_pct"],
                       equal_nan=True, atol=1e-9)
    gaps = rows["Còn thiếu so với chỉ tiêu (điểm %)"].astype(float).fillna(-1).to_numpy()
    assert (np.diff(gaps) <= 0).all()  # sorted by gap, largest first
    page = (report / "report.html").read_text(encoding="utf-8")
    assert f'{summary["province_share_5g_pct"]:.1f}' in page and "<svg" in page
    run_cli("--lang", "en", "report", "--estimates", str(demo_dir), "--out", str(tmp_path / "en"),
            "--format", "xlsx")
    english = load_workbook(tmp_path / "en" / "report.xlsx")
    assert english.worksheets[1]["A2"].value == "Code"
