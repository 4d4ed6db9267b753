"""Positions on a probe's track: distances between fixes, and readings without a fix placed
between the fixes around them (the store's readings carry their probe and time)."""
from __future__ import annotations

from datetime import timedelta

import numpy as np

# Horizontal error per unit of HDOP (m), for receivers that do not state one.
UERE_M = 5.0
# A reading further than this from both neighbouring fixes is not interpolated.
MAX_INTERPOLATION_GAP = timedelta(seconds=30)


def metres_between(lon_a, lat_a, lon_b, lat_b):
    """Approximate ground distance (m) between positions a few km apart (equirectangular);
    works on numbers and numpy arrays."""
    lat = np.radians((np.asarray(lat_a) + np.asarray(lat_b)) / 2)
    return 111_320 * np.hypot((np.asarray(lon_b) - lon_a) * np.cos(lat),
                              np.asarray(lat_b) - lat_a)


def interpolate_track(fix_s: np.ndarray, fix_lon: np.ndarray, fix_lat: np.ndarray,
                      fix_accuracy_m: np.ndarray, at_s: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions at times ``at_s`` (seconds) on a track of fixes (sorted by time), linear
    between the two fixes around each, NaN outside the track or across a gap longer than
    ``MAX_INTERPOLATION_GAP``; the accuracy is the worse fix's (``UERE_M`` when unknown)
    plus half the distance between them."""
    out = np.full((3, len(at_s)), np.nan)
    if len(fix_s) < 2:
        return out[0], out[1], out[2]
    after = np.searchsorted(fix_s, at_s, side="left")
    inside = (after > 0) & (after < len(fix_s))
    before = np.clip(after - 1, 0, len(fix_s) - 1)
    after = np.clip(after, 0, len(fix_s) - 1)
    span = fix_s[after] - fix_s[before]
    ok = inside & (span > 0) & (span <= MAX_INTERPOLATION_GAP.total_seconds())
    share = np.where(ok, (at_s - fix_s[before]) / np.where(span > 0, span, 1), np.nan)
    lon = fix_lon[before] + share * (fix_lon[after] - fix_lon[before])
    lat = fix_lat[before] + share * (fix_lat[after] - fix_lat[before])
    gap_m = metres_between(fix_lon[before], fix_lat[before], fix_lon[after], fix_lat[after])
    worse = np.fmax(np.nan_to_num(fix_accuracy_m[before], nan=UERE_M),
                    np.nan_to_num(fix_accuracy_m[after], nan=UERE_M))
    return (np.where(ok, lon, np.nan), np.where(ok, lat, np.nan),
            np.where(ok, worse + gap_m / 2, np.nan))
