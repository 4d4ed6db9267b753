"""Gigabit declarations: strict reading, verification and challenges."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phusong.coverage.gigabit import (challenged_units, declared_gigabit_households,
                                      read_declarations, verify_tests)
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
    declared = declared_gigabit_households(frame, np.array([-1, -1, -1, 1]),
                                           pd.Series(["07210", "07228"]), 1000)
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
