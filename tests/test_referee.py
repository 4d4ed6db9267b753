"""The referee of the engine (benchmarks/real_end_to_end.py), in short: it runs on a real
G-NetTrack log as it would on any campaign, and its bound from the same cell is sound."""
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "real_end_to_end.py"
GNETTRACK = ROOT / "tests" / "fixtures" / "real" / "gnettrack" / "Orange_log.head41.txt"


def referee():
    return load_benchmark("real_end_to_end")


def test_referee_runs_on_a_real_gnettrack_log(tmp_path):
    """One day of a real log: split at its median time, estimated and scored both ways."""
    out = subprocess.run([sys.executable, str(SCRIPT), str(GNETTRACK), "--format", "gnettrack",
                          "--technology", "lte", "--units-m", "1000", "--work", str(tmp_path),
                          "--tz", "Africa/Dakar"],  # the phone's local time (Senegal: UTC)
                         capture_output=True, text=True, check=True).stdout
    assert "threshold -105 dBm" in out and "608-01" in out
    for section in ("held-out 10 m cells", "calibration by decile", "units with ≥ 30",
                    "the 10 m cells both halves measured", "measured cells: mean P"):
        assert section in out, section


class _Grid:
    def cell_of(self, xy):
        return np.arange(len(xy))


class _Result:
    def __init__(self, p):
        self.grid, self.p_covered_model = _Grid(), np.asarray(p, float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bound_from_the_same_cell(seed):
    """A perfect estimate scores 0; the bound is never above the constant's score (1) and
    reaches 0 when the training value decides the outcome."""
    rng = np.random.default_rng(seed)
    n = 400
    index = pd.MultiIndex.from_arrays([np.arange(n), np.zeros(n, int)], names=["ix", "iy"])
    before = rng.normal(-105, 8, n)
    covered = (before + rng.normal(0, 4, n)) >= -105
    train = pd.DataFrame({"best": before}, index=index)
    test = pd.DataFrame({"x": np.arange(n), "y": 0.0, "covered": covered}, index=index)
    perfect = referee().repeat_ceiling(_Result(covered), train, test)
    assert perfect["repeat_cells"] == n and perfect["estimate"] == 0
    assert 0 < perfect["same_cell_bound"] < 1
    decided = test.assign(covered=before >= -105)
    assert referee().repeat_ceiling(_Result(np.full(n, 0.5)), train, decided)[
        "same_cell_bound"] == 0


def test_scopes_a_half_cannot_score_are_left_out():
    """An operator heard in one half only is not scored (nor counted in "any"), and a
    bound over no common cell is empty rather than an error."""
    train = pd.DataFrame({"operator": ["A", "A", "B"]})
    test = pd.DataFrame({"operator": ["A", "C"]})
    scope = referee().scope_operators
    assert scope("any", ["A", "B", "C"], train, test) == ["A"]
    assert scope("B", ["A", "B", "C"], train, test) == []
    assert scope("A", ["A", "B", "C"], train, test) == ["A"]
    index = pd.MultiIndex.from_arrays([[0], [0]], names=["ix", "iy"])
    other = pd.MultiIndex.from_arrays([[1], [0]], names=["ix", "iy"])
    bound = referee().repeat_ceiling(
        _Result([0.5]), pd.DataFrame({"best": [-100.0]}, index=index),
        pd.DataFrame({"x": [1.0], "y": [0.0], "covered": [True]}, index=other))
    assert bound["repeat_cells"] == 0 and np.isnan(bound["same_cell_bound"])


def test_local_share_peer():
    """The peer is the covered share of the training cells within its radius, and the
    training half's whole share where no training cell is that close."""
    x = np.arange(0.0, 1000.0, 10.0)
    train = pd.DataFrame({"x": x, "y": 0.0, "covered": x < 300})
    cells = pd.DataFrame({"x": [100.0, 900.0, 300.0, 5000.0], "y": [0.0, 0.0, 5.0, 0.0]})
    peer = referee().local_share_peer(train, cells, radius_m=60.0)
    near_edge = np.hypot(x - 300.0, 5.0) <= 60.0
    assert peer[0] == 1.0 and peer[1] == 0.0
    assert peer[2] == pytest.approx((near_edge & (x < 300)).sum() / near_edge.sum())
    assert peer[3] == pytest.approx(0.3)
    assert np.isnan(referee().local_share_peer(train.iloc[:0], cells)).all()


def test_halves_of_a_short_campaign_are_told_apart():
    """A campaign of a few seconds is split at its median time into two halves with their
    own labels (the script keys its tables by them), every reading in one of them."""
    times = pd.Series(pd.date_range("2025-07-18 22:11:08", periods=21, freq="s", tz="UTC"))
    first, second = referee().day_halves(pd.DataFrame({"time_utc": times.astype(str)}))
    assert first.label != second.label
    inside = [((times >= half.since) & (times < half.until)).to_numpy()
              for half in (first, second)]
    assert (inside[0] ^ inside[1]).all() and inside[0].any() and inside[1].any()


def test_a_campaign_is_split_where_the_user_says():
    """--split-at: the readings before the time in one half, the rest in the other; a time
    outside the campaign is refused, naming its span."""
    times = pd.Series(pd.date_range("2025-07-01", periods=60, freq="D", tz="UTC"))
    frame = pd.DataFrame({"time_utc": times.astype(str)})
    when = datetime(2025, 8, 10, tzinfo=timezone.utc)
    first, second = referee().halves_split_at(frame, when)
    inside = [((times >= half.since) & (times < half.until)).to_numpy()
              for half in (first, second)]
    assert (inside[0] == (times < when).to_numpy()).all() and (inside[0] ^ inside[1]).all()
    assert first.label != second.label
    with pytest.raises(SystemExit, match="leaves one half empty"):
        referee().halves_split_at(frame, datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_a_campaign_without_the_technology_is_refused(tmp_path):
    """Asked for NR on an LTE-only log, the script says so instead of failing on no data."""
    done = subprocess.run([sys.executable, str(SCRIPT), str(GNETTRACK), "--format", "gnettrack",
                           "--technology", "nr", "--work", str(tmp_path), "--tz", "Africa/Dakar"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "no NR reading" in done.stderr
