"""Defaults shared by the pipeline stages; every one can be overridden per call or CLI flag."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# VN-2000 / TM-3 107-00 (k = 0.9999), the former Bắc Giang provincial grid
# (EPSG dataset; VN-2000 per Vietnam's Decision 83/2000/QĐ-TTg).
DEFAULT_CRS = "EPSG:9214"
DEFAULT_RESOLUTION_M = 100.0
# NR SS-RSRP at or above which an outdoor place counts as covered by 5G: a project choice
# between AOSP's NR SS-RSRP "poor" (−115) and "moderate" (−105) bounds.
DEFAULT_NR_THRESHOLD_DBM = -110.0
# A commune needs this many 5G-evidence readings, spread over this share of its area.
DEFAULT_MIN_READINGS = 30
DEFAULT_MIN_SAMPLED_AREA_PCT = 30.0
# A cell counts as sampled when a reading lies within this distance.
SAMPLED_RADIUS_M = 1000.0
# Without a site list, cells within this distance of a reading stand for their commune's
# sampled area. Up to it the readings-alone model's P(covered) matches the simulator's truth
# (benchmarks/distance_bands.py) and the real drives' held-out readings
# (benchmarks/real_campaigns.py); beyond it, on the simulator, it falls below the truth.
RELIABLE_RADIUS_M = 300.0

# Vietnam's mainland extent in degrees (west, south, east, north) with a margin of about
# 0.5°: positions and boundaries outside it are refused unless a region is given.
COUNTRY_BOUNDS = (101.5, 8.0, 110.0, 24.0)
# Readings dated before this (UTC) are refused as clock errors: no 4G network in Vietnam
# predates it (commercial LTE launched in 2016).
CAMPAIGN_FLOOR_UTC = "2010-01-01T00:00:00Z"

DEFAULT_ID_FIELD = "ward_code"
DEFAULT_NAME_FIELD = "full_name"
DEFAULT_POPULATION_FIELD = "population"


def data_path(*parts: str) -> Path:
    """Path of a file shipped in ``phusong.data``."""
    return Path(str(files("phusong.data").joinpath(*parts)))


def default_boundaries() -> Path:
    """The 2025 Bắc Ninh commune boundaries (99 units, full resolution)."""
    return data_path("boundaries", "bacninh_2025_communes.geojson")


def default_targets() -> Path:
    """The targets file shipped with phusong (Plan 182-KH/TU)."""
    return data_path("targets.toml")
