"""Gaussian random fields with exponential autocorrelation, sampled on a grid by FFT
(circulant embedding), for the interval simulations of the estimate."""
from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy.fft import irfft2, next_fast_len, rfft2

MIN_TERMS_FOR_SIGNS = 1000
_SIGN_PAIRS = np.array([1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j], dtype=np.complex64)


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
        """One field of zero mean and unit variance in expectation (float32), for the many
        draws of the interval simulations: single precision, no rescaling, and one FFT.

        The white noise is drawn in the frequency domain (its Fourier transform is complex
        white noise, Dietrich & Newsam 1997, SIAM J. Sci. Comput. 18(4)), so the forward
        transform of :meth:`sample` is not needed. The inverse real transform keeps only
        the real part of the columns of zero and Nyquist frequency along x: their noise
        is scaled by √2 so that they keep their share of the variance."""
        return self.draw_padded(rng)[: self.shape[0], : self.shape[1]]

    def draw_padded(self, rng: np.random.Generator) -> np.ndarray:
        """:meth:`draw` on the whole padded grid (its first ``shape`` rows and columns are
        the field; contiguous, so reading cells from it copies nothing else).

        On grids whose spectrum spreads over at least :data:`MIN_TERMS_FOR_SIGNS` terms the
        frequency-domain noise is a random sign per part instead of a normal variable: its
        first two moments are the same, and the field, a weighted sum of that many
        independent terms, is Gaussian in the limit (the random-phase spectral method,
        Shinozuka & Deodatis 1991, Appl. Mech. Rev. 44(4)); its excess kurtosis is of the
        order of minus the inverse of the number of terms. Drawing signs costs a fifth of
        drawing normals, which were most of a draw's time besides the FFT."""
        if self.effective_terms >= MIN_TERMS_FOR_SIGNS:
            codes = rng.integers(0, 4, size=self.half_spectrum.shape, dtype=np.uint8)
            spectrum = self.half_spectrum * _SIGN_PAIRS[codes]
        else:
            noise = rng.standard_normal((2, *self.half_spectrum.shape), dtype=np.float32)
            spectrum = self.half_spectrum * (noise[0] + 1j * noise[1])
        return irfft2(spectrum, s=self.padded, workers=-1)

    @cached_property
    def effective_terms(self) -> float:
        """How many terms of the spectrum carry the field's variance: (Σ S²)² / Σ S⁴."""
        power = self.half_spectrum.astype(float) ** 2
        return float(power.sum() ** 2 / (power**2).sum())

    @cached_property
    def half_spectrum(self) -> np.ndarray:
        """The spectrum scaled for complex noise of unit variance per part (float32)."""
        n = self.padded[0] * self.padded[1]
        scale = np.full(self.spectrum.shape[1], np.sqrt(n / 2))
        scale[0] *= np.sqrt(2)
        if self.padded[1] % 2 == 0:
            scale[-1] *= np.sqrt(2)
        return (self.spectrum * scale).astype(np.float32)
