"""Per-device level offsets, as random effects.

Two modems side by side do not report the same RSRP: 3GPP's measurement
accuracy requirements (TS 36.133 for LTE, TS 38.133 for NR) allow a device's
absolute RSRP several dB of error (±6 dB for LTE in normal conditions), and an
antenna or a car body adds its own gain or loss. Along a probe's route that offset looks like a run of good or bad
signal, and kriging spreads it over the commune the probe drove through.

Each device's offset is estimated from its readings' residuals from the trend,
averaged per 1 km block so that one probe's many readings in one place count
once; the spread of the offsets between devices (``tau``) is what is left of the
devices' mean residuals once the blocks' own scatter is taken out (method of
moments), and each device's offset is shrunk towards the fleet by
``tau² / (tau² + v)``, ``v`` the variance of its own mean. Where a probe worked alone
in one district, its offset cannot be told from that district's departure from the
trend: the offsets are reported (``summary.json``) so they can be checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BLOCK_M = 1000.0
MIN_DEVICES = 3
MIN_BLOCKS = 3


@dataclass(frozen=True)
class DeviceOffsets:
    """Offsets (dB) by device, the spread between devices and how many there were."""

    offsets: dict = field(default_factory=dict)
    tau_db: float = 0.0
    n_devices: int = 0

    def at(self, device_ids) -> np.ndarray:
        """The offset of each reading's device (0 for devices not estimated)."""
        if not self.offsets or device_ids is None:
            return np.zeros(0 if device_ids is None else len(device_ids))
        codes, devices = pd.factorize(np.asarray(device_ids, dtype=object))
        return np.array([self.offsets.get(d, 0.0) for d in devices] + [0.0])[codes]

    @property
    def fleet_std_db(self) -> float:
        """Standard deviation of the fleet's mean offset: a level error no trend removes."""
        return self.tau_db / np.sqrt(self.n_devices) if self.n_devices else 0.0

    def summary(self) -> dict:
        return {"spread_db": round(self.tau_db, 2), "devices": self.n_devices,
                "offsets_db": {str(k): round(v, 2) for k, v in sorted(self.offsets.items())}}


NONE = DeviceOffsets()


def estimate_device_offsets(X: np.ndarray, y: np.ndarray, trend: np.ndarray,
                            censored: np.ndarray, level: float, sigma: float,
                            miss_rate: float, device_ids, iterations: int = 5) -> DeviceOffsets:
    """Random-effect offsets of the devices from readings ``y`` about ``trend`` at ``X``.

    A reading without a value (``censored``) says "below ``level``" about its device's
    shifted signal: its expected residual is taken given the device's current offset,
    and the offsets are re-estimated until they settle (EM), so a device whose
    offset hides more of its readings is not pulled back to the fleet by them.
    Devices with fewer than :data:`MIN_BLOCKS` blocks get no offset; with fewer than
    :data:`MIN_DEVICES` such devices nothing is estimated.
    """
    from .pathloss import censored_residual_mean

    if device_ids is None:
        return NONE
    device, names = _device_codes(device_ids)
    keys = np.floor(np.asarray(X, float) / BLOCK_M).astype(np.int64)
    keys -= keys.min(axis=0)
    span = keys.max(axis=0) + 1
    block_of, block = np.unique((device * span[0] + keys[:, 0]) * span[1] + keys[:, 1],
                                return_inverse=True)
    block_device = block_of // (span[0] * span[1])
    per_block = np.bincount(block)
    blocks_per_device = np.bincount(block_device, minlength=len(names))
    offset = np.zeros(len(names))
    residual = np.asarray(y, float) - trend
    for _ in range(iterations):
        shift = offset[device[censored]]
        residual[censored] = shift + censored_residual_mean(trend[censored] + shift, level,
                                                            sigma, miss_rate)
        block_mean = np.bincount(block, residual) / per_block
        device_mean = np.bincount(block_device, block_mean, len(names)) / np.maximum(
            blocks_per_device, 1)
        offset = device_mean - device_mean[blocks_per_device > 0].mean()
    spread = np.bincount(block_device, (block_mean - device_mean[block_device]) ** 2,
                         len(names)) / np.maximum(blocks_per_device - 1, 1)
    per_device = pd.DataFrame({"mean": device_mean, "var": spread, "size": blocks_per_device},
                              index=names)
    per_device = per_device[(per_device["size"] >= MIN_BLOCKS) & (per_device.index != "")]
    if len(per_device) < MIN_DEVICES:
        return NONE
    own_var = per_device["var"] / per_device["size"]
    tau2 = max(float(per_device["mean"].var(ddof=1) - own_var.mean()), 0.0)
    if tau2 == 0.0:
        return DeviceOffsets({}, 0.0, len(per_device))
    centred = per_device["mean"] - per_device["mean"].mean()
    shrunk = centred * tau2 / (tau2 + own_var)
    return DeviceOffsets(shrunk.to_dict(), float(np.sqrt(tau2)), len(per_device))


def _device_codes(device_ids) -> tuple[np.ndarray, np.ndarray]:
    """Each reading's device as a code into the sorted device names (a missing id is
    the name "")."""
    codes, devices = pd.factorize(np.asarray(device_ids, dtype=object))
    labels = [str(d) for d in devices] + ([""] if (codes < 0).any() else [])
    names, merged = np.unique(np.array(labels, dtype=object), return_inverse=True)
    return merged[codes], names
