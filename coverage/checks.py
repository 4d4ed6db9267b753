"""Checks of an estimate's inputs: threshold, resolution, vehicle loss, position error and
the time filter, each refused with a clear message."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import geopandas as gpd
import numpy as np

from phusong.errors import ConfigError
from phusong.store.records import format_utc

NR_RSRP_RANGE_DBM = (-156.0, -31.0)
LTE_RSRP_RANGE_DBM = (-140.0, -44.0)
# 4G coverage threshold when none is given: LTE RSRP ≥ −110 dBm, between Android's "poor"
# (−118) and "moderate" (−108) bounds (AOSP, CellSignalStrengthLte RSRP thresholds).
DEFAULT_LTE_THRESHOLD_DBM = -110.0
MIN_RESOLUTION_M = 5.0
MAX_RESOLUTION_M = 5000.0
# Peak memory per grid cell of an estimate (the rasters, the membership table and the
# realisations), measured on the demo.
BYTES_PER_CELL = 400
VIETNAM_TZ = timezone(timedelta(hours=7))


def check_vehicle_loss(loss_db: float) -> float:
    """A vehicle penetration loss in dB, refused outside 0–30 dB."""
    if not 0 <= loss_db <= 30:
        raise ConfigError(f"vehicle loss {loss_db:g} dB is outside 0–30 dB")
    return float(loss_db)


def check_threshold(threshold: float,
                    reporting_range: tuple[float, float] = (-156.0, -31.0)) -> float:
    """A coverage threshold within the technology's RSRP reporting range (3GPP TS 36.133
    §9.1.4 for LTE RSRP, TS 38.133 §10.1.6 for NR SS-RSRP)."""
    low, high = reporting_range
    if not (np.isfinite(threshold) and low <= threshold <= high):
        raise ConfigError(f"threshold {threshold:g} dBm is outside the RSRP reporting "
                          f"range {low:g}…{high:g} dBm")
    return float(threshold)


def check_resolution_range(resolution: float) -> float:
    """A grid resolution that is finite and physical (5–5000 m)."""
    if not (np.isfinite(resolution) and MIN_RESOLUTION_M <= resolution <= MAX_RESOLUTION_M):
        raise ConfigError(f"resolution {resolution:g} m is outside {MIN_RESOLUTION_M:g}…"
                          f"{MAX_RESOLUTION_M:g} m")
    return float(resolution)


def check_resolution(units: gpd.GeoDataFrame, resolution: float) -> float:
    """A grid resolution that is finite, physical and fits in this machine's memory."""
    check_resolution_range(resolution)
    x0, y0, x1, y1 = units.total_bounds
    cells = ((x1 - x0) / resolution + 1) * ((y1 - y0) / resolution + 1)
    needed = cells * BYTES_PER_CELL
    available = available_memory()
    if available is not None and needed > 0.8 * available:
        raise ConfigError(f"a {resolution:g} m grid over these boundaries has {cells:,.0f} cells "
                          f"and needs about {needed / 2**30:.1f} GiB of memory; "
                          f"{available / 2**30:.1f} GiB is free: choose a coarser resolution")
    return float(resolution)


def available_memory() -> float | None:
    """Bytes of memory available to this process without swapping (psutil's "available":
    free memory plus what the system would reclaim from caches, on Linux and Windows)."""
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except (ImportError, OSError, RuntimeError):
        return None


def reading_filter(since: datetime | None = None, until: datetime | None = None) -> str | None:
    """SQL condition selecting readings by time."""
    if since is not None and until is not None and since >= until:
        raise ConfigError(f"--since {since:%Y-%m-%d} is not before --until {until:%Y-%m-%d}")
    clauses = []
    if since is not None:
        clauses.append(f"time_utc >= '{format_utc(_aware(since))}'")
    if until is not None:
        clauses.append(f"time_utc < '{format_utc(_aware(until))}'")
    return " AND ".join(clauses) or None


def check_position_error(max_position_error_m: float | None) -> float | None:
    """A maximum position error that is a positive number of metres (or none)."""
    if max_position_error_m is not None and not (
            np.isfinite(max_position_error_m) and max_position_error_m > 0):
        raise ConfigError(f"maximum position error {max_position_error_m:g} m must be > 0")
    return max_position_error_m


def _aware(value: datetime) -> datetime:
    """A naive date is taken in Vietnam's time zone, where campaigns are planned."""
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM_TZ)
