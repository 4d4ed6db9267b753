"""The targets file: the shipped plan and clear errors for broken edits."""
from __future__ import annotations

import numpy as np
import pytest

from phusong.coverage import load_targets
from phusong.coverage.targets import status
from phusong.errors import TargetsError


def test_shipped_targets_are_plan_182():
    targets = load_targets()
    assert targets.coverage_5g_min_pct == 60
    assert targets.gigabit_min_pct == 60
    assert targets.gigabit_min_down_mbps == 1000
    assert targets.year == 2025
    assert "182-KH/TU" in targets.source


@pytest.mark.parametrize("body, message", [
    ("[targets]\n", "needs"),
    ("[targets.coverage_5g]\nmin_share_pct = 160\nthreshold_dbm = -110\n"
     "[targets.gigabit_fixed]\nmin_share_pct = 60\nmin_down_mbps = 1000\n", "outside"),
    ("[targets.coverage_5g]\nmin_share_pct = 'sixty'\nthreshold_dbm = -110\n"
     "[targets.gigabit_fixed]\nmin_share_pct = 60\nmin_down_mbps = 1000\n", "must be a number"),
    ("not toml = = =", "not valid TOML"),
])
def test_broken_targets(tmp_path, body, message):
    path = tmp_path / "t.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TargetsError, match=message):
        load_targets(path)


def test_status_never_reports_zero_for_missing_data():
    result = status(np.array([70.0, 50.0, 0.0, np.nan]), np.array([True, True, False, True]), 60)
    assert result.tolist() == ["met", "not_met", "insufficient_data", "insufficient_data"]


def test_status_labels_follow_the_language():
    import pandas as pd

    from phusong.coverage.estimate import with_status_labels

    table = pd.DataFrame({"status": ["met", "not_met", "insufficient_data"]})
    assert with_status_labels(table, "vi")["status_label"].tolist() == [
        "Đạt", "Chưa đạt", "Thiếu dữ liệu"]
    english = with_status_labels(table, "en")
    assert english["status_label"].tolist() == ["Met", "Not met", "Insufficient data"]
    assert english.columns.tolist() == ["status", "status_label"]
