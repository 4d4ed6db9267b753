"""Display geometry of the map: simplified topologically, never for computation."""
from __future__ import annotations

import numpy as np
import shapely

from phusong.coverage import load_boundaries
from phusong.maps.coverage_map import display_geometry


def test_display_simplification_keeps_shared_edges_shared():
    units = load_boundaries()
    original = units.to_crs("EPSG:9214")
    simplified = display_geometry(original).to_crs("EPSG:9214")
    before = shapely.get_num_coordinates(original.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(simplified.to_numpy()).sum()
    print(f"\nvertices {before:,} → {after:,}")
    assert after < 0.8 * before
    geoms = simplified.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    # neighbours share their edge: no slivers between them, no overlap
    assert overlap.max() < 100.0  # m², from the 1 m rounding only
    union = shapely.union_all(geoms)
    assert abs(union.area - shapely.area(geoms).sum()) / union.area < 1e-4
    holes = shapely.get_num_interior_rings(union) if union.geom_type == "Polygon" else sum(
        shapely.get_num_interior_rings(p) for p in union.geoms)
    original_union = shapely.union_all(original.geometry.to_numpy())
    original_holes = shapely.get_num_interior_rings(original_union) \
        if original_union.geom_type == "Polygon" else sum(
            shapely.get_num_interior_rings(p) for p in original_union.geoms)
    assert holes <= original_holes
    # each commune moves little: the areas stay within 2 %
    assert np.allclose(shapely.area(geoms), original.area.to_numpy(), rtol=0.02)


def test_gap_layer_counts_people_without_5g_not_the_gap_to_target(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.maps import write_map

    frame = gpd.GeoDataFrame({
        "code": ["1"], "name": ["Xã Một"], "population": [1000.0], "n_readings": [50],
        "share_5g_area_pct": [40.0], "share_5g_pop_pct": [40.0], "status": ["not_met"],
        "gap_pp": [20.0], "gap_people": [200.0],  # short of the 60 % target by 200 people
    }, geometry=[box(106.0, 21.0, 106.1, 21.1)], crs="EPSG:4326")
    page = write_map(frame, tmp_path / "m.html", lang="vi").read_text(encoding="utf-8")
    assert "Số người chưa có sóng 5G\\u003c/b\\u003e: 600" in page
    assert "≥ 600" in page  # the people layer's classes are drawn from the communes' own figures


def test_people_classes_spread_the_communes():
    import pandas as pd

    from phusong.maps.coverage_map import people_breaks, people_classes

    people = pd.Series([50, 200, 900, 1_500, 4_000, 9_000, 12_000, 30_000, 80_000, None])
    breaks = people_breaks(people)
    assert len(breaks) == 4 and list(breaks) == sorted(breaks)
    counts = pd.cut(people.dropna(), [0, *breaks, float("inf")], right=False).value_counts()
    assert counts.max() - counts.min() <= 1  # quintiles: each class holds its fifth
    assert len(people_classes(people_breaks(pd.Series([10, 10, 10])))) == 2
