"""The demo map opened in real headless Chromium: offline, no errors, no XSS."""
from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from phusong.maps import write_map
from phusong.maps.coverage_map import GAP_COLOUR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def open_page(path: Path):
    playwright = pytest.importorskip("playwright.sync_api")
    manager = playwright.sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_timeout(1000)
    return manager, browser, page, problems, requests


def test_demo_map_in_chromium(demo_dir, tmp_path):
    manager, browser, page, problems, requests = open_page(demo_dir / "map.html")
    try:
        assert problems == []
        external = [u for u in requests if not u.startswith(("file:", "data:"))]
        assert external == [], "the map must work offline"
        assert page.locator("path.leaflet-interactive").count() >= 99
        layers = page.locator(".leaflet-control-layers-base").inner_text()
        assert "Tỷ lệ phủ sóng 5G" in layers
        assert "DỮ LIỆU MÔ PHỎNG" in page.locator("#phusong-legend").inner_text()
        page.locator("path.leaflet-interactive").nth(10).hover(force=True)
        page.wait_for_timeout(300)
        assert page.locator(".leaflet-tooltip").count() == 1
        assert "Khoảng tin cậy 90 %" in page.locator(".leaflet-tooltip").inner_text()
        assert "Hộ có thể dùng băng rộng cố định > 1 Gb/s" in layers
        table = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
        outlines = page.locator(f'path[stroke="{GAP_COLOUR}"]:not([stroke-dasharray])')
        dashed = page.locator(f'path[stroke="{GAP_COLOUR}"][stroke-dasharray]')
        assert outlines.count() == (table["status"] == "not_met").sum() > 0
        assert dashed.count() == (table["status"] == "uncertain").sum()
        page.locator(".leaflet-control-layers-base label",
                     has_text="Hộ có thể dùng băng rộng").click()
        page.wait_for_timeout(300)
        assert outlines.count() == (table["gigabit_status"] == "not_met").sum() > 0
        assert dashed.count() == (table["gigabit_status"] == "uncertain").sum()
        assert page.locator("path.leaflet-interactive").count() == len(table)
        assert problems == []
        page.screenshot(path=str(tmp_path / "map.png"))
    finally:
        browser.close()
        manager.stop()


def test_hostile_commune_name_does_not_run(tmp_path):
    frame = gpd.GeoDataFrame({
        "code": ["<b>1</b>"], "name": ['<img src=x onerror="window.__xss=1">'],
        "population": [1000.0], "n_readings": [50], "share_5g_area_pct": [70.0],
        "share_5g_pop_pct": [70.0], "status": ["met"],
    }, geometry=[box(106.0, 21.0, 106.1, 21.1)], crs="EPSG:4326")
    path = write_map(frame, tmp_path / "xss.html", lang="en")
    manager, browser, page, problems, _ = open_page(path)
    try:
        page.locator("path.leaflet-interactive").first.hover(force=True)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        assert "onerror" in page.locator(".leaflet-tooltip").inner_text()
    finally:
        browser.close()
        manager.stop()
