"""Radio propagation of the simulator: path loss and spatially correlated shadowing.

Path loss: 3GPP TR 38.901 V17.0.0, Table 7.4.1-1, UMa NLOS,
``PL' = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (hUT - 1.5)`` (d in m, fc in GHz),
valid 0.5–100 GHz, shadow-fading standard deviation 6 dB.
Shadowing: log-normal with the exponential autocorrelation of Gudmundson (1991),
``R(d) = exp(-d / d_corr)``, synthesised on the grid by FFT (circulant embedding).
"""
from __future__ import annotations

import numpy as np

from phusong.coverage.fields import GaussianField

UMA_NLOS_SHADOW_STD_DB = 6.0


def uma_nlos_path_loss_db(
    d2d_m: np.ndarray, fc_ghz: float, h_bs_m: float = 25.0, h_ut_m: float = 1.5
) -> np.ndarray:
    """Path loss (dB) of TR 38.901 UMa NLOS (the PL' formula) at 2D distance ``d2d_m``."""
    d2d = np.maximum(np.asarray(d2d_m, dtype=float), 10.0)
    d3d = np.hypot(d2d, h_bs_m - h_ut_m)
    return 13.54 + 39.08 * np.log10(d3d) + 20 * np.log10(fc_ghz) - 0.6 * (h_ut_m - 1.5)


def correlated_shadowing(
    shape: tuple[int, int],
    resolution_m: float,
    std_db: float,
    correlation_m: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A Gaussian field with exponential autocorrelation, zero mean, std ``std_db``."""
    return GaussianField(shape, resolution_m, correlation_m).sample(std_db, rng)


def sector_gain_db(bearing_deg: np.ndarray, azimuth_deg: np.ndarray, sectors: int = 3,
                   beamwidth_deg: float = 65.0, max_attenuation_db: float = 30.0) -> np.ndarray:
    """Gain (dB, 0 at boresight) towards ``bearing_deg`` of the best of a site's
    ``sectors`` evenly spaced sectors, the first pointing at ``azimuth_deg``: the
    horizontal pattern of TR 38.901 Table 7.3-1, ``-min(12 (φ/φ3dB)², Am)``."""
    spacing = 360.0 / sectors
    off = (np.asarray(bearing_deg) - np.asarray(azimuth_deg)) % spacing
    off = np.minimum(off, spacing - off)  # to the nearest sector's boresight
    return -np.minimum(12 * (off / beamwidth_deg) ** 2, max_attenuation_db)
