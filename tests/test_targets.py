"""The targets file: the shipped plan and clear errors for broken edits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from phusong.coverage import load_targets
from phusong.coverage.targets import status_from_interval, status_from_probability
from phusong.config import default_targets as shipped_path
from phusong.errors import TargetsError


def test_shipped_targets_are_plan_182():
    targets = load_targets()
    assert targets.coverage_5g_min_pct == 60
    assert targets.gigabit_min_pct == 60
    assert targets.gigabit_min_down_mbps == 1000
    assert targets.year == 2025
    assert "182-KH/TU" in targets.source


def test_targets_with_a_bom_or_another_encoding(tmp_path):
    shipped = load_targets()
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff".encode() + (Path(shipped_path()).read_bytes()))
    assert load_targets(path) == shipped
    path.write_bytes("[plan]\nname = 'Kế hoạch'\n".encode("utf-16"))
    with pytest.raises(TargetsError, match="UTF-8"):
        load_targets(path)
    with pytest.raises(TargetsError, match="folder"):
        load_targets(tmp_path)


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


def test_status_follows_the_probability_of_meeting_the_target():
    p_met = np.array([0.97, 0.95, 0.9, 0.5, 0.05, 0.02, 0.99, np.nan])
    sufficient = np.array([True, True, True, True, True, True, False, True])
    assert status_from_probability(p_met, sufficient).tolist() == [
        "met", "met", "uncertain", "uncertain", "not_met", "not_met", "insufficient_data",
        "insufficient_data"]


def test_a_status_never_contradicts_its_interval():
    """P = 0.94 with 59.9–71.7 against 60 % straddles the target: uncertain, not met."""
    low = np.array([59.9, 60.0, 40.0, 55.0, 70.0, np.nan])
    high = np.array([71.7, 80.0, 59.9, 60.0, 90.0, 80.0])
    sufficient = np.array([True, True, True, True, False, True])
    assert status_from_interval(low, high, 60, sufficient).tolist() == [
        "uncertain", "met", "not_met", "uncertain", "insufficient_data", "insufficient_data"]


def test_status_labels_follow_the_language():
    import pandas as pd

    from phusong.coverage.estimate_folder import with_status_labels

    table = pd.DataFrame({"status": ["met", "not_met", "uncertain", "insufficient_data"]})
    assert with_status_labels(table, "vi")["status_label"].tolist() == [
        "Đạt", "Chưa đạt", "Chưa chắc chắn", "Thiếu dữ liệu"]
    english = with_status_labels(table, "en")
    assert english["status_label"].tolist() == ["Met", "Not met", "Uncertain",
                                                "Insufficient data"]
    assert english.columns.tolist() == ["status", "status_label"]
