"""Boundary loading: any vector file, clear errors, repaired geometries, NFC names."""
from __future__ import annotations

import json
import unicodedata

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon

from phusong.config import data_path
from phusong.coverage import grid_for, load_boundaries, membership
from phusong.errors import BoundaryError

PRE2025 = data_path("boundaries", "bacgiang_pre2025_communes_lowres.geojson")


def square(x: float, y: float, size: float = 0.01) -> Polygon:
    return Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])


def write(tmp_path, frame: gpd.GeoDataFrame, name: str = "b.gpkg"):
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_shipped_2025_communes():
    units = load_boundaries()
    assert len(units) == 99
    assert units.crs.to_epsg() == 9214
    assert units["code"].is_unique and units["geometry"].is_valid.all()
    assert units["population"].sum() == 3_619_443
    assert "Phường Bắc Giang" in set(units["name"])


def test_pre2025_communes_with_other_fields():
    units = load_boundaries(PRE2025, id_field="census2009_commune_id", name_field="commune_vn",
                            population_field="pop_total_2019")
    assert len(units) == 232
    assert units["population"].sum() > 1_700_000


def test_missing_field_lists_available_fields():
    with pytest.raises(BoundaryError, match="no field 'ma_xa'.*census2009_commune_id"):
        load_boundaries(PRE2025, id_field="ma_xa", name_field="commune_vn")


def test_empty_file(tmp_path):
    frame = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs="EPSG:4326")
    with pytest.raises(BoundaryError, match="no features"):
        load_boundaries(write(tmp_path, frame), "code", "name")


def test_file_without_crs(tmp_path):
    path = tmp_path / "nocrs.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "1", "name": "A"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1000, 0], [1000, 1000], [0, 0]]]},
    }]}))
    shp = tmp_path / "nocrs.shp"
    gpd.read_file(path).set_crs(None, allow_override=True).to_file(shp)
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    with pytest.raises(BoundaryError, match="declares no CRS"):
        load_boundaries(shp, "code", "name")


def test_geometries_outside_vietnam(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["1"], "name": ["Paris"]}, geometry=[square(2.35, 48.85)],
                             crs="EPSG:4326")
    with pytest.raises(BoundaryError, match="outside Vietnam"):
        load_boundaries(write(tmp_path, frame), "code", "name")


def test_duplicate_codes(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["1", "1"], "name": ["A", "B"]},
                             geometry=[square(106.0, 21.0), square(106.1, 21.0)], crs="EPSG:4326")
    with pytest.raises(BoundaryError, match="repeats"):
        load_boundaries(write(tmp_path, frame), "code", "name")


def test_invalid_geometry_is_repaired_and_names_are_nfc(tmp_path):
    bowtie = Polygon([(106.0, 21.0), (106.02, 21.02), (106.02, 21.0), (106.0, 21.02)])
    assert not bowtie.is_valid
    decomposed = unicodedata.normalize("NFD", "Xã Tân Yên")
    frame = gpd.GeoDataFrame({"code": ["1", "2"], "name": [decomposed, "Phường Đa Mai"]},
                             geometry=[bowtie, square(106.1, 21.0)], crs="EPSG:4326")
    units = load_boundaries(write(tmp_path, frame), "code", "name")
    assert units.geometry.is_valid.all()
    assert units.geometry.iloc[0].area > 0
    assert units["name"].iloc[0] == unicodedata.normalize("NFC", "Xã Tân Yên")
    assert units["name"].iloc[0] != decomposed


def test_grid_areas_match_polygon_areas():
    units = load_boundaries()
    member = membership(grid_for(units, 100.0), units)
    relative = np.abs(member.unit_area_m2() - units.area.to_numpy()) / units.area.to_numpy()
    print(f"largest relative area error: {relative.max():.2e}")
    assert relative.max() < 0.01
    per_cell = np.bincount(member.cell, member.fraction)
    assert per_cell.max() <= 1 + 1e-9


def units_frame(geometries, codes=None, names=None, population=None):
    n = len(geometries)
    return gpd.GeoDataFrame({"ward_code": codes or [f"{i:05d}" for i in range(n)],
                             "full_name": names or [f"Xã Số {i}" for i in range(n)],
                             "population": population or [1000] * n},
                            geometry=geometries, crs="EPSG:4326")


def test_overlapping_units_are_refused(tmp_path):
    frame = units_frame([square(106.0, 21.0), square(106.005, 21.0), square(106.2, 21.0)])
    with pytest.raises(BoundaryError, match="00000 and 00001 share"):
        load_boundaries(write(tmp_path, frame))


def test_a_unit_inside_another_is_refused(tmp_path):
    """Containment is an overlap too (their interiors meet, neither crosses the other)."""
    frame = units_frame([square(106.0, 21.0, 0.03), square(106.01, 21.01), square(106.2, 21.0)])
    with pytest.raises(BoundaryError, match="00000 and 00001 share"):
        load_boundaries(write(tmp_path, frame))


def test_slight_overlaps_and_gaps_are_warned(tmp_path):
    ring = [square(106.0, 21.0), square(106.01, 21.0), square(106.02, 21.0),
            square(106.0, 21.01), square(106.02, 21.01), square(106.0, 21.02),
            square(106.01, 21.02), square(106.02, 21.02), square(106.0099, 21.0, 0.0102)]
    units = load_boundaries(write(tmp_path, units_frame(ring[:-1])))
    assert any("gaps between units" in w for w in units.attrs["warnings"])
    sliver = units_frame([square(106.0, 21.0), square(106.0099, 21.0), square(106.1, 21.0)])
    units = load_boundaries(write(tmp_path, sliver, "s.gpkg"))
    assert any("overlap slightly" in w for w in units.attrs["warnings"])


def test_repair_is_reported_with_the_area_change(tmp_path):
    bowtie = Polygon([(106.0, 21.0), (106.02, 21.02), (106.02, 21.0), (106.0, 21.02)])
    units = load_boundaries(write(tmp_path, units_frame([bowtie, square(106.1, 21.0)])))
    [warning] = [w for w in units.attrs["warnings"] if "invalid" in w]
    assert "unit 00000" in warning and "Self-intersection" in warning and "area changed" in warning


def test_negative_or_missing_population(tmp_path):
    frame = units_frame([square(106.0, 21.0), square(106.1, 21.0)], population=[-5, 1000])
    with pytest.raises(BoundaryError, match="negative population for 00000"):
        load_boundaries(write(tmp_path, frame))
    frame = units_frame([square(106.0, 21.0), square(106.1, 21.0)], population=[None, 1000])
    units = load_boundaries(write(tmp_path, frame, "m.gpkg"))
    assert any("no population for 00000" in w for w in units.attrs["warnings"])


def cp1258(text: str) -> bytes:
    """Windows-1258 bytes of Vietnamese text: letters it lacks as one code are written as
    the letter and a combining tone mark, as that code page does."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        for i, mark in enumerate(parts[1:], start=1):
            base = unicodedata.normalize("NFC", parts[:i] + parts[i + 1:])
            try:
                out += base.encode("cp1258") + mark.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(f"{char!r} has no cp1258 form")
    return out


def test_shapefile_in_cp1258_without_cpg(tmp_path):
    names = ["Phường Bắc Giang", "Xã Đồng Việt"]
    frame = units_frame([square(106.0, 21.0), square(106.1, 21.0)], names=names)
    frame = frame.rename(columns={"ward_code": "code", "full_name": "name"})
    path = tmp_path / "old.shp"
    frame.to_file(path)
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0  # no language driver: what old Vietnamese shapefiles carry
    for name in names:
        utf8 = name.encode("utf-8")
        dbf = dbf.replace(utf8, cp1258(name).ljust(len(utf8), b" "))
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    path.with_suffix(".cpg").unlink(missing_ok=True)
    with pytest.raises(BoundaryError, match="--encoding"):
        load_boundaries(path, "code", "name")
    units = load_boundaries(path, "code", "name", encoding="cp1258")
    assert units["name"].tolist() == names
