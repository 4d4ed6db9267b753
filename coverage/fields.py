"""Gaussian random fields with exponential autocorrelation, sampled on a grid by FFT
(circulant embedding), for the interval simulations of the estimate."""
from __future__ import annotations

import numpy as np
from scipy.fft import irfft2, next_fast_len, rfft2


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
