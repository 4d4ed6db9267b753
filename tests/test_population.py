"""Population rasters: any CRS, totals conserved, used for the population basis."""
from __future__ import annotations

import numpy as np
import rasterio
from rasterio.transform import from_origin

from phusong.coverage import Grid
from phusong.coverage.population import population_on_grid


def test_population_total_is_conserved_across_crs(tmp_path):
    path = tmp_path / "pop.tif"
    counts = np.random.default_rng(0).uniform(0, 50, (120, 150)).astype("float32")
    transform = from_origin(106.0, 21.3, 0.001, 0.001)  # ~100 m cells in EPSG:4326
    with rasterio.open(path, "w", driver="GTiff", width=150, height=120, count=1,
                       dtype="float32", crs="EPSG:4326", transform=transform) as dst:
        dst.write(counts, 1)
    grid = Grid.covering((390_000, 2_335_000, 420_000, 2_365_000), 100.0, "EPSG:9214")
    people = population_on_grid(path, grid)
    print(f"raster total {counts.sum():.0f}, on grid {people.sum():.0f}")
    assert abs(people.sum() - counts.sum()) / counts.sum() < 0.02
    assert (people >= 0).all()
