"""Gigabit declarations: strict reading, verification and challenges."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from phusong.coverage import load_boundaries, load_targets
from phusong.coverage.gigabit import (HOUSEHOLD_SIZE, add_gigabit, challenged_units,
                                      declared_gigabit_households, read_declarations,
                                      verify_tests)
from phusong.coverage.grid import grid_for, membership
from phusong.errors import InputFormatError

GOOD = """operator,technology,max_down_mbps,max_up_mbps,lon,lat,commune_code,households,as_of
Viettel,XGS-PON,1000,1000,,,07210,500,2025-10-01
VNPT,GPON,1000,1000,,,07210,300,
VNPT,gpon,300,300,,,07210,900,
FPT,FTTH,2000,2000,106.2,21.3,,,2025-09-30
"""


def test_reads_points_and_commune_rows(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    frame = read_declarations(path)
    assert len(frame) == 4
    assert frame["technology"].tolist() == ["XGS-PON", "GPON", "GPON", "FTTH"]
    assert frame["households"].tolist() == [500, 300, 900, 1]
    declared = declared_gigabit_households(frame.assign(unit=[0, 0, 0, 1]), 2, 1000)
    # the largest operator's gigabit households: Viettel's 500 (VNPT's 300 overlap)
    assert declared.tolist() == [500, 1]


def test_every_bad_row_is_listed(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "Viettel,COPPER,1000,1000,,,07210,5,\n"
                           "Viettel,FTTH,-1,1000,,,07210,5,\n"
                           "Viettel,FTTH,1000,1000,106.2,21.3,07210,5,\n"
                           "Viettel,FTTH,1000,1000,,,07210,,\n"
                           "Viettel,FTTH,1000,1000,2.3,48.8,,,\n", encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        read_declarations(path)
    message = str(info.value)
    for line in (6, 7, 8, 9, 10):
        assert f"line {line}:" in message
    assert "5 invalid row(s)" in message


def test_misspelt_column_is_refused(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text(GOOD.replace("households", "househods"), encoding="utf-8")
    with pytest.raises(InputFormatError, match="did you mean 'households'"):
        read_declarations(path)


def test_missing_columns(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("operator,technology\nViettel,FTTH\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="max_down_mbps"):
        read_declarations(path)


def test_verification_and_challenge():
    tests = pd.DataFrame({
        "interface_kind": ["wired", "wired", "wired", "wired", "cellular"],
        "plan_down_mbps": [1000, 1000, 1000, 300, None],
        "link_speed_mbps": [1000, 1000, 1000, 1000, None],
        "download_bps": [935e6, 200e6, 150e6, 290e6, 900e6],
    })
    checked = verify_tests(tests, 1000)
    assert checked["confirms"].tolist() == [True, False, False]
    assert checked["fails"].tolist() == [False, True, True]
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [5000.0, 0.0]])
    assert challenged_units(xy[:2], np.array([0, 0]), 2).tolist() == [True, False]
    assert challenged_units(xy[[0, 2]], np.array([0, 0]), 2).tolist() == [False, False]


@pytest.fixture(scope="module")
def province():
    units = load_boundaries()
    return units, membership(grid_for(units, 500.0), units)


NO_TESTS = pd.DataFrame({c: pd.Series(dtype=float) for c in (
    "interface_kind", "plan_down_mbps", "link_speed_mbps", "download_bps", "lon", "lat")})


def gigabit_of(province, text, tmp_path, tests=NO_TESTS):
    units, member = province
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    communes = units[["code", "name", "population"]].copy()
    result = add_gigabit(communes, member, tests, read_declarations(path), load_targets())
    return communes, result


def commune_rows(units, codes_and_households, header=True, code=lambda c: c):
    lines = ["operator,technology,max_down_mbps,max_up_mbps,lon,lat,commune_code,households"]
    lines += [f"Viettel,FTTH,1000,1000,,,{code(c)},{h}" for c, h in codes_and_households]
    return "\n".join(lines if header else lines[1:]) + "\n"


def full_coverage(units):
    households = np.round(units["population"] / HOUSEHOLD_SIZE).astype(int)
    return list(zip(units["code"], households))


def test_duplicated_rows_cannot_inflate(province, tmp_path):
    units, _ = province
    rows = full_coverage(units)
    once, first = gigabit_of(province, commune_rows(units, rows), tmp_path)
    twice, second = gigabit_of(province, commune_rows(units, rows + rows), tmp_path)
    assert first.province["province_gigabit_share_pct"] == pytest.approx(100)
    assert second.province["province_gigabit_share_pct"] == pytest.approx(100)
    assert (twice["gigabit_share_pct"] <= 100).all()
    assert second.quarantined["reason"].str.startswith("duplicate of line").sum() == len(rows)
    assert any("listed in declarations_quarantine.csv" in w for w in second.warnings)


def test_households_beyond_the_communes_are_refused(province, tmp_path):
    units, _ = province
    rows = [(c, h * 1000 if i == 3 else h // 2) for i, (c, h) in enumerate(full_coverage(units))]
    communes, result = gigabit_of(province, commune_rows(units, rows), tmp_path)
    assert result.province["province_gigabit_share_pct"] < 60
    refused = communes.iloc[3]
    assert refused["gigabit_status"] == "insufficient_data"
    assert "households in commune" in result.quarantined["reason"].iloc[0]
    assert (communes["gigabit_share_pct"].dropna() <= 100).all()
    assert result.province["province_gigabit_high_pct"] > result.province[
        "province_gigabit_share_pct"]


def test_codes_that_lost_their_leading_zero_still_match(province, tmp_path):
    units, _ = province
    rows = full_coverage(units)
    communes, result = gigabit_of(province, commune_rows(units, rows, code=lambda c: c.lstrip("0")),
                                  tmp_path)
    assert result.province["province_gigabit_share_pct"] == pytest.approx(100)
    assert any("leading zeros" in w for w in result.warnings)
    excel = commune_rows(units, rows, code=lambda c: f"{int(c)}.0")
    _, again = gigabit_of(province, excel, tmp_path)
    assert again.province["province_gigabit_share_pct"] == pytest.approx(100)


def test_unmatched_codes_and_outside_points_are_listed(province, tmp_path):
    units, _ = province
    text = commune_rows(units, full_coverage(units)[:10]) + \
        "Viettel,FTTH,1000,1000,,,99999,40\nVNPT,FTTH,1000,1000,109.2,12.2,,\n"
    _, result = gigabit_of(province, text, tmp_path)
    reasons = result.quarantined["reason"].tolist()
    assert "commune_code 99999 matches no unit of the boundaries" in reasons
    assert any(r.startswith("point (109.20000, 12.20000) lies outside every unit")
               for r in reasons)
    nothing = commune_rows(units, [("88" + c, 5) for c in units["code"]])
    with pytest.raises(InputFormatError, match="match no unit"):
        gigabit_of(province, nothing, tmp_path)


def test_a_challenged_commune_is_never_met(province, tmp_path):
    units, member = province
    centre = units.geometry.iloc[0].representative_point()
    lon, lat = Transformer.from_crs(units.crs, "EPSG:4326", always_xy=True).transform(
        centre.x, centre.y)
    failing = pd.DataFrame({"interface_kind": ["wired"] * 2, "plan_down_mbps": [1000] * 2,
                            "link_speed_mbps": [1000] * 2, "download_bps": [100e6, 120e6],
                            "lon": [lon, lon + 1e-4], "lat": [lat, lat]})
    communes, result = gigabit_of(province, commune_rows(units, full_coverage(units)), tmp_path,
                                  failing)
    first = communes.iloc[0]
    assert first["gigabit_challenged"] and first["gigabit_share_pct"] == pytest.approx(100)
    assert first["gigabit_status"] == "uncertain"
    assert (communes["gigabit_status"].iloc[1:] == "met").all()
    assert result.province["province_gigabit_status"] == "met"


def test_since_and_until_choose_the_speed_tests_too(tmp_path):
    from datetime import datetime, timezone

    from phusong.coverage.checks import reading_filter
    from phusong.coverage.estimate import _read_speed_tests
    from phusong.probes import ReadingStore

    store = tmp_path / "s.gpkg"
    with ReadingStore(store) as readings:
        readings.add_speed_tests([
            {"time_utc": datetime(2025, 10, day, 3, tzinfo=timezone.utc), "probe_id": "p",
             "tool": "speedtest-cli", "lon": 106.2, "lat": 21.3, "download_bps": 9e8,
             "status": "ok", "interface_kind": "wired"} for day in (1, 20)], source_kind="test")
    assert len(_read_speed_tests(store)) == 2
    chosen = _read_speed_tests(store, reading_filter(datetime(2025, 10, 10), None))
    assert len(chosen) == 1
