"""A unit's figures from its simulated shares: the small-area fill of what no reading
supports, the standard deviations added for extrapolation, the statuses against the target
and the province's figure. Shared by the estimate and the re-aggregation over other units."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .small_area import synthetic_draws
from .targets import INSUFFICIENT, status_from_interval
from .uncertainty import ShareDistribution

# Standard deviation (percentage points) added to the share of a unit without enough
# data where no reading supports the model, falling with the square of the supported
# share; calibrated on five simulated campaigns in each of seven variants
# (benchmarks/calibration.py --modes list: 4.0 held 96-99 % of these units in their 90 %
# intervals, 2.0 held 95.4 % in the default variant and 96.5 % with sectors, 1.5 holds
# 90.7-94.8 % in every variant, 1.0 held 87.7 % in the default).
LISTED_EXTRAPOLATION_STD_PP = 1.5
LOCATED_EXTRAPOLATION_STD_PP = 0.0
# Without a site list a unit's share is that of its cells near the readings; the rest of
# the unit may differ by this many points (standard deviation) times its share of the unit,
# measured on simulated campaigns, where the whole unit's truth is known
# (benchmarks/calibration.py); real drives see only their roads.
UNMEASURED_STD_PP = 12.0

def extrapolation_std_pp(supported_fraction: np.ndarray, site_list_used: bool) -> np.ndarray:
    """Per-unit standard deviation (percentage points) of the error of extending the
    model from the area near readings to the rest of a unit."""
    scale = LISTED_EXTRAPOLATION_STD_PP if site_list_used else LOCATED_EXTRAPOLATION_STD_PP
    return scale * (1 - np.clip(np.nan_to_num(supported_fraction), 0, 1)) ** 2


def fill_unsupported(distribution: ShareDistribution, supported: np.ndarray,
                     sufficient: np.ndarray, density: np.ndarray, *shares: np.ndarray
                     ) -> tuple[ShareDistribution, ...]:
    """Each unit's share: for units with enough data (``sufficient``) their own; for the
    others the model's over the part readings support and the small-area regression's
    (:mod:`~phusong.coverage.small_area`) over the rest; the same for each of ``shares``
    (other bases of the same figure)."""
    synthetic = synthetic_draws(distribution.point, sufficient, density,
                                len(distribution.draws))
    if synthetic is None:
        return (distribution, *shares)
    point, draws = synthetic
    w = np.where(sufficient, 1.0, np.clip(np.nan_to_num(supported), 0, 1))
    return (distribution.blended(ShareDistribution(point, draws), w),
            *(w * np.nan_to_num(share) + (1 - w) * point for share in shares))


def unit_extra_std_pp(sufficient: np.ndarray, supported: np.ndarray,
                      near_fraction: np.ndarray, site_list_used: bool) -> np.ndarray:
    """Per unit, the standard deviation (points) added to its simulated shares: for a
    unit without enough data, the error of extending the model to the part no reading
    supports; without a site list, for a unit with enough data, the error of standing
    for the whole unit with its cells near the readings (``near_fraction`` of its area)."""
    extrapolation = np.where(sufficient, 0, extrapolation_std_pp(supported, site_list_used))
    if site_list_used:
        return extrapolation
    unmeasured = UNMEASURED_STD_PP * (1 - np.clip(np.nan_to_num(near_fraction), 0, 1))
    return np.hypot(extrapolation, np.where(sufficient, unmeasured, 0))


def supported_fraction(sampled_pct: np.ndarray) -> np.ndarray:
    """Per unit, the share of its area the readings support: sampled (within
    ``SAMPLED_RADIUS_M`` of a reading), with a site list or without; the small-area
    regression (:func:`fill_unsupported`) stands for the rest."""
    return np.asarray(sampled_pct, float) / 100


def add_status_columns(communes: pd.DataFrame, distribution: ShareDistribution,
                       sufficient: np.ndarray, target_pct: float) -> None:
    """Model share, 90 % interval, P(target met), status and gap of every unit."""
    low, high = distribution.interval()
    p_met = distribution.p_at_least(target_pct)
    share = np.where(sufficient, distribution.point, np.nan)
    communes["share_5g_model_pct"] = distribution.point
    communes["share_5g_low_pct"] = low
    communes["share_5g_high_pct"] = high
    communes["target_pct"] = target_pct
    communes["p_target_met"] = p_met
    communes["status"] = status_from_interval(low, high, target_pct, sufficient)
    communes["gap_pp"] = np.where(sufficient, np.maximum(target_pct - share, 0), np.nan)
    communes["gap_people"] = np.round(communes["gap_pp"] / 100 * communes["population"])


def province_figure(distribution: ShareDistribution, weights: pd.Series,
                    sufficient: np.ndarray, units: gpd.GeoDataFrame,
                    target_pct: float) -> dict:
    """The province's share over all its units (those without enough data through the
    model, with their wider intervals), its 90 % interval, P(target met) and status."""
    w = weights.to_numpy(dtype=float)
    if np.isnan(w).any() or w.sum() <= 0:
        missing = units["code"].to_numpy()[np.isnan(w)]
        return {"province_5g_status": INSUFFICIENT,
                "province_5g_note": "population unknown for " + ", ".join(missing[:10])}
    total = distribution.weighted_total(w)
    low, high = total.interval()
    p_met = float(total.p_at_least(target_pct)[0])
    return {
        "province_share_5g_pct": float(total.point[0]),
        "province_share_5g_low_pct": float(low[0]),
        "province_share_5g_high_pct": float(high[0]),
        "province_p_target_met": p_met,
        "province_5g_status": str(status_from_interval(low, high, target_pct,
                                                       np.array([sufficient.any()]))[0]),
        "province_weight_with_data_pct": float(100 * w[sufficient].sum() / w.sum()),
    }
