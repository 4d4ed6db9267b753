"""Benchmark: how soon the planner's map is drawn in headless Chromium, with and without the
store's measurements, beside a plain Folium map of the same communes.

Run:  python benchmarks/bench_map.py [--estimates DIR --store FILE] [--runs 5]

Without ``--estimates`` it runs ``phusong demo`` (150,000 simulated readings) in a temporary
folder first. It writes three pages: the map with the store's measurements, the same map
without them, and a plain Folium map (the communes as one GeoJSON layer coloured by share,
nothing else), then opens each ``--runs`` times in Chromium (Playwright, Debian's
``/usr/bin/chromium``, network blocked) and prints the median time from navigation to the
communes drawn (every commune's path in the page) and the ratios. Issue 26's target: the map
with the measurements within 1.5× of the map without them.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def demo(folder: Path) -> tuple[Path, Path]:
    subprocess.run([sys.executable, "-m", "phusong.cli", "demo", "--out", str(folder)],
                   check=True, capture_output=True)
    return folder, folder / "simulation" / "campaign.gpkg"


def plain_folium(estimates: Path, out: Path) -> Path:
    """The same communes as one Folium GeoJSON layer coloured by share: the floor (Leaflet
    inlined as in phusong's map, since the browser here has no network)."""
    import folium

    from phusong.maps import read_estimates
    from phusong.maps.coverage_map import share_colour

    communes = read_estimates(estimates).to_crs("EPSG:4326")
    colours = dict(zip(communes["code"], map(share_colour, communes["share_5g_pop_pct"])))
    west, south, east, north = communes.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                      zoom_start=10)
    folium.GeoJson(communes[["code", "geometry"]].to_json(), style_function=lambda f: {
        "fillColor": colours[f["properties"]["code"]], "color": "#555", "weight": 1,
        "fillOpacity": 0.8}).add_to(fmap)
    from phusong.maps import inline_assets

    # the same inlined Leaflet as phusong's map: the page needs no network
    out.write_text(inline_assets(fmap.get_root().render()), encoding="utf-8")
    return out


def time_to_drawn(path: Path, n_communes: int, runs: int) -> float:
    """Median seconds from navigation to every commune's path being in the page."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(("file:", "data:")) else route.abort())
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="commit")
            page.wait_for_function(
                f"document.querySelectorAll('path.leaflet-interactive').length >= {n_communes}",
                timeout=120_000, polling=20)
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimates", type=Path)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from phusong import pipeline
    from phusong.maps import read_estimates

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        estimates, store = (args.estimates, args.store) if args.estimates else \
            demo(work / "demo")
        with_store = pipeline.map(pipeline.MapConfig(estimates, work / "with.html", store))
        without = pipeline.map(pipeline.MapConfig(estimates, work / "without.html"))
        plain = plain_folium(estimates, work / "plain.html")
        n = len(read_estimates(estimates))
        from phusong.store import SIGNAL_LAYER, ReadingStore

        with ReadingStore(store, readonly=True) as readings:
            count = readings.count(SIGNAL_LAYER)
        figures = {}
        for label, path in (("with the measurements", with_store),
                            ("without the measurements", without), ("plain Folium", plain)):
            figures[label] = time_to_drawn(path, n, args.runs)
            print(f"{label:26s} {path.stat().st_size / 2**20:6.1f} MB  "
                  f"{figures[label]:6.2f} s to the {n} communes drawn (median of {args.runs})")
    print(f"store: {count:,} signal readings")
    print(f"ratio with / without the measurements: "
          f"{figures['with the measurements'] / figures['without the measurements']:.2f} "
          "(target ≤ 1.5)")
    print(f"ratio without the measurements / plain Folium: "
          f"{figures['without the measurements'] / figures['plain Folium']:.2f}")


if __name__ == "__main__":
    main()
