"""The demo map opened in real headless Chromium: offline, no errors, no XSS."""
from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from phusong.maps import write_map
from phusong.maps import read_estimates
from phusong.maps.coverage_map import NOT_MET_FILL, UNCERTAIN_FILL

# Screenshots go here; PHUSONG_SCREENSHOTS=docs/img refreshes the user guides' pictures.
ARTEFACTS = Path(os.environ.get("PHUSONG_SCREENSHOTS")
                 or Path(__file__).resolve().parent / "artefacts")
ARTEFACTS.mkdir(parents=True, exist_ok=True)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def open_page(path: Path):
    playwright = pytest.importorskip("playwright.sync_api")
    manager = playwright.sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems, requests = [], []
    # The network is blocked: the map must need none of it.
    page.route("**/*", lambda route: route.continue_()
               if route.request.url.startswith(("file:", "data:")) else route.abort())
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_timeout(1000)
    return manager, browser, page, problems, requests


def visible_legends(page) -> list[str]:
    """The indicators whose legend is shown: one at a time, the one on the map."""
    return page.evaluate("Array.from(document.querySelectorAll('.phusong-legend-part'))"
                         ".filter(e => e.style.display !== 'none').map(e => e.dataset.base)")


def data_overlays(page):
    """The overlay switches, less the online basemap (the network is blocked)."""
    return [label for label in page.locator(".leaflet-control-layers-overlays label").all()
            if "OpenStreetMap" not in label.inner_text()]


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
        assert "Hộ có thể dùng băng rộng cố định ≥ 1 Gb/s" in layers
        table = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
        # statuses are patterns inside each commune, never outlines shared with neighbours
        outlines = page.locator(f'path[fill="{NOT_MET_FILL}"]')
        dashed = page.locator(f'path[fill="{UNCERTAIN_FILL}"]')
        assert visible_legends(page) == ["0"]
        assert outlines.count() == (table["status"] == "not_met").sum() > 0
        assert dashed.count() == (table["status"] == "uncertain").sum()
        page.locator(".leaflet-control-layers-base label",
                     has_text="Hộ có thể dùng băng rộng").click()
        page.wait_for_timeout(300)
        assert outlines.count() == (table["gigabit_status"] == "not_met").sum() > 0
        assert dashed.count() == (table["gigabit_status"] == "uncertain").sum()
        assert len(visible_legends(page)) == 1 and visible_legends(page) != ["0"]
        assert page.locator("path.leaflet-interactive").count() == len(table)
        base = page.locator(".leaflet-control-layers-base").inner_text()
        overlays = page.locator(".leaflet-control-layers-overlays").inner_text()
        for name in ("Tỷ lệ phủ sóng 5G theo diện tích", "Số người chưa được phủ sóng 5G",
                     "Phủ sóng 5G của nhà mạng 452-04"):
            assert name in base
        for name in ("Bản đồ nền OpenStreetMap", "Xác suất có sóng 5G (lưới)",
                     "Cường độ tín hiệu dự báo (RSRP)",
                     "Điểm đo tín hiệu", "Đo tốc độ thất bại", "Khai báo cáp quang ≥ 1 Gb/s"):
            assert name in overlays
        for label in data_overlays(page):
            label.click()
        page.wait_for_timeout(1500)
        assert page.locator("img.leaflet-image-layer").count() == 2
        page.wait_for_selector(".phusong-cluster", timeout=30_000)
        # search without diacritics, then open the commune's popup
        name = table["name"].iloc[1]
        plain = unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode()
        page.fill("#phusong-search", plain.replace("D", "d").lower().split(" ", 1)[1])
        page.wait_for_timeout(300)
        page.locator(".phusong-search-hit", has_text=name).first.click()
        page.wait_for_timeout(800)
        assert name in page.locator(".leaflet-popup-content").inner_text()
        assert problems == []
        page.screenshot(path=str(ARTEFACTS / "demo_map.png"))
    finally:
        browser.close()
        manager.stop()


def test_each_layer_shows_its_own_legend_only(demo_dir):
    manager, browser, page, problems, _ = open_page(demo_dir / "map.html")
    try:
        bases = page.locator(".leaflet-control-layers-base label")
        assert bases.count() >= 5
        for i in range(bases.count()):
            bases.nth(i).click()
            page.wait_for_timeout(200)
            assert visible_legends(page) == [str(i)]
            page.screenshot(path=str(ARTEFACTS / f"demo_map_layer_{i}.png"))
        overlay = page.locator(".leaflet-control-layers-overlays label",
                               has_text="RSRP")
        bar = page.locator(".phusong-legend-overlay", has_text="RSRP")
        assert not bar.is_visible()
        overlay.click()
        page.wait_for_timeout(300)
        assert bar.is_visible() and len(visible_legends(page)) == 1
        page.screenshot(path=str(ARTEFACTS / "demo_map_rsrp.png"))
        assert problems == []
    finally:
        browser.close()
        manager.stop()


def test_demo_report_in_chromium(demo_dir):
    manager, browser, page, problems, requests = open_page(demo_dir / "report" / "report.html")
    try:
        table = pd.read_csv(demo_dir / "communes.csv", dtype={"code": str})
        text = page.locator("body").inner_text()
        assert "182-KH/TU" in text and table["name"].iloc[0] in text
        assert page.locator("table").count() >= 2
        assert page.locator("svg, img").count() >= 1  # the chart
        assert problems == [] and all(u.startswith(("file:", "data:")) for u in requests)
        page.screenshot(path=str(ARTEFACTS / "demo_report.png"))
    finally:
        browser.close()
        manager.stop()


PAYLOADS = ['<img src=x onerror="window.__xss=1">', "</script><script>window.__xss=2</script>",
            "`${window.__xss=3}`", '"><svg onload="window.__xss=4">', "\u2028'+(window.__xss=5)+'"]


def test_script_payloads_in_data_stay_inert_in_every_tooltip_and_popup(tmp_path):
    n = len(PAYLOADS)
    frame = gpd.GeoDataFrame({
        "code": [f"<b>{i}</b>" for i in range(n)], "name": PAYLOADS,
        "population": [1000.0] * n, "n_readings": [50] * n, "share_5g_area_pct": [70.0] * n,
        "share_5g_pop_pct": [40.0] * n, "status": ["not_met"] * n,
        "share_5g_452-04_pct": [40.0] * n, "gigabit_share_pct": [30.0] * n,
        "gigabit_verification": ["challenged"] * n, "gigabit_status": ["not_met"] * n,
    }, geometry=[box(106.0 + 0.1 * i, 21.0, 106.09 + 0.1 * i, 21.09) for i in range(n)],
        crs="EPSG:4326")
    readings = pd.DataFrame({"lat": [21.05] * n, "lon": [106.05 + 0.1 * i for i in range(n)],
                             "rsrp_dbm": [-100.0] * n, "technology": PAYLOADS,
                             "operator": PAYLOADS, "time_utc": PAYLOADS})
    speed = pd.DataFrame({"lat": [21.02] * n, "lon": [106.02 + 0.1 * i for i in range(n)],
                          "status": ["failed"] * n, "failure_reason": PAYLOADS,
                          "time_utc": PAYLOADS})
    path = write_map(frame, tmp_path / "xss.html", lang="en", readings=readings, speed=speed,
                     summary={"readings_period_utc": PAYLOADS[:2], "target_5g_pct": 60})
    manager, browser, page, problems, _ = open_page(path)
    try:
        for label in data_overlays(page):
            label.click()
        bases = page.locator(".leaflet-control-layers-base label").all()
        assert len(bases) == 5
        opened = 0
        for base in bases:
            base.click()
            page.wait_for_timeout(200)
            shapes = page.locator("path.leaflet-interactive")
            for i in range(shapes.count()):
                page.evaluate("map => document.querySelectorAll('.leaflet-popup-close-button')"
                              ".forEach(b => b.click())", None)
                shapes.nth(i).hover(force=True)
                shapes.nth(i).click(force=True)
                page.wait_for_timeout(60)
                opened += page.locator(".leaflet-popup-content").count()
        assert opened >= 5 * n
        text = page.content()
        assert page.evaluate("window.__xss") is None
        assert "onerror" in text and problems == []
        page.fill("#phusong-search", "img")
        page.wait_for_timeout(300)
        assert page.locator(".phusong-search-hit").count() == 1
        page.locator(".phusong-search-hit").first.click()
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None
        page.screenshot(path=str(ARTEFACTS / "xss_map.png"))
    finally:
        browser.close()
        manager.stop()


def test_100k_measurements_stay_small_and_open(demo_dir):
    communes = read_estimates(demo_dir)
    rng = np.random.default_rng(0)
    west, south, east, north = communes.to_crs("EPSG:4326").total_bounds
    n = 100_000
    readings = pd.DataFrame({"lat": rng.uniform(south, north, n), "lon": rng.uniform(west, east, n),
                             "rsrp_dbm": rng.uniform(-130, -70, n), "technology": "NR-NSA",
                             "operator": rng.choice(["452-01", "452-04"], n), "time_utc": ""})
    path = write_map(communes, ARTEFACTS / "map_100k.html", synthetic=True,
                     estimates_dir=demo_dir, readings=readings)
    size_mb = path.stat().st_size / 2**20
    print(f"map with 99 communes and {n:,} readings: {size_mb:.1f} MB")
    assert size_mb < 8
    manager, browser, page, problems, _ = open_page(path)
    try:
        page.locator(".leaflet-control-layers-overlays label", has_text="Điểm đo").click()
        page.wait_for_selector(".phusong-cluster", timeout=20_000)
        assert page.locator("path.leaflet-interactive").count() >= 99
        assert problems == []
    finally:
        browser.close()
        manager.stop()
