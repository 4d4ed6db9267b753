"""Radio propagation for the simulator: path loss and spatially correlated shadowing.

Path loss: 3GPP TR 38.901 V17.0.0, Table 7.4.1-1, UMa NLOS,
``PL' = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (hUT - 1.5)`` (d in m, fc in GHz),
valid 0.5–100 GHz, shadow-fading standard deviation 6 dB.
Shadowing: log-normal with the exponential autocorrelation of Gudmundson (1991),
``R(d) = exp(-d / d_corr)``, synthesised on the grid by FFT (circulant embedding).
"""
from __future__ import annotations

import numpy as np
from scipy.fft import irfft2, next_fast_len, rfft2

UMA_NLOS_SHADOW_STD_DB = 6.0


def uma_nlos_path_loss_db(
    d2d_m: np.ndarray, fc_ghz: float, h_bs_m: float = 25.0, h_ut_m: float = 1.5
) -> np.ndarray:
    """Path loss (dB) of TR 38.901 UMa NLOS (the PL' formula) at 2D distance ``d2d_m``."""
    d2d = np.maximum(np.asarray(d2d_m, dtype=float), 10.0)
    d3d = np.hypot(d2d, h_bs_m - h_ut_m)
    return 13.54 + 39.08 * np.log10(d3d) + 20 * np.log10(fc_ghz) - 0.6 * (h_ut_m - 1.5)


class GaussianField:
    """Sampler of Gaussian fields with exponential autocorrelation on a grid.

    The grid is padded by three correlation lengths (to a fast FFT size) so the
    periodic FFT does not correlate opposite edges; the spectrum is computed once.
    """

    def __init__(self, shape: tuple[int, int], resolution_m: float, correlation_m: float):
        pad = int(np.ceil(3 * correlation_m / resolution_m))
        self.shape = shape
        self.padded = (next_fast_len(shape[0] + pad, real=True),
                       next_fast_len(shape[1] + pad, real=True))
        ny, nx = self.padded
        dy = np.minimum(np.arange(ny), ny - np.arange(ny)) * resolution_m
        dx = np.minimum(np.arange(nx), nx - np.arange(nx)) * resolution_m
        covariance = np.exp(-np.hypot(dy[:, None], dx[None, :]) / correlation_m)
        self.spectrum = np.sqrt(np.maximum(rfft2(covariance, workers=-1).real, 0))

    def sample(self, std: float, rng: np.random.Generator) -> np.ndarray:
        """One field of zero mean and standard deviation ``std`` (float32), scaled so that
        this realisation's own standard deviation is exactly ``std``."""
        noise = rng.standard_normal(self.padded)
        field = irfft2(rfft2(noise, workers=-1) * self.spectrum, s=self.padded,
                       workers=-1)[: self.shape[0], : self.shape[1]]
        return (field / field.std() * std).astype(np.float32)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One field of zero mean and unit variance in expectation (float32): faster than
        :meth:`sample` (single precision, no rescaling), for the many draws of the
        interval simulations."""
        noise = rng.standard_normal(self.padded, dtype=np.float32)
        return irfft2(rfft2(noise, workers=-1) * self.spectrum32, s=self.padded,
                      workers=-1)[: self.shape[0], : self.shape[1]]

    @property
    def spectrum32(self) -> np.ndarray:
        if not hasattr(self, "_spectrum32"):
            self._spectrum32 = self.spectrum.astype(np.float32)
        return self._spectrum32


def correlated_shadowing(
    shape: tuple[int, int],
    resolution_m: float,
    std_db: float,
    correlation_m: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A Gaussian field with exponential autocorrelation, zero mean, std ``std_db``."""
    return GaussianField(shape, resolution_m, correlation_m).sample(std_db, rng)
