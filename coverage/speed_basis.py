"""The speed-based alternative to the signal model: the share of a commune's cellular
speed tests on NR at ≥ 7/1 Mbit/s (FCC Broadband Data Collection
mobile technology tier "5G-NR 7/1 Mbps")."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .evidence import NR_TECHNOLOGIES
from .grid import Membership

SPEED_5G_DOWN_BPS = 7e6
SPEED_5G_UP_BPS = 1e6
MIN_SPEED_TESTS = 10


def wilson_interval(successes: np.ndarray, trials: np.ndarray,
                    z: float = 1.645) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (90 % by default) of a proportion, in percent; NaN for no trial."""
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return 100 * (centre - half), 100 * (centre + half)


def add_speed_basis(communes: gpd.GeoDataFrame, member: Membership,
                    speed_tests: pd.DataFrame) -> None:
    """The speed-based alternative: share of cellular tests on NR at ≥ 7/1 Mbit/s.

    A design-based figure from the speed tests alone (FCC BDC's "5G-NR 7/1" tier),
    with a Wilson interval; blank where a commune has fewer than
    ``MIN_SPEED_TESTS`` cellular tests.
    """
    tests = speed_tests[speed_tests["interface_kind"] == "cellular"]
    _, unit = member.unit_of_lonlat(tests["lon"].to_numpy(), tests["lat"].to_numpy())
    served = (tests["technology"].isin(NR_TECHNOLOGIES)
              & (tests["download_bps"] >= SPEED_5G_DOWN_BPS)
              & (tests["upload_bps"] >= SPEED_5G_UP_BPS)).to_numpy()
    inside = unit >= 0
    n = np.bincount(unit[inside], minlength=member.n_units)
    k = np.bincount(unit[inside & served], minlength=member.n_units)
    enough = n >= MIN_SPEED_TESTS
    low, high = wilson_interval(k, n)
    communes["speed_tests"] = n
    with np.errstate(invalid="ignore", divide="ignore"):
        communes["speed_share_5g_pct"] = np.where(enough, 100 * k / n, np.nan)
    communes["speed_share_5g_low_pct"] = np.where(enough, low, np.nan)
    communes["speed_share_5g_high_pct"] = np.where(enough, high, np.nan)
