"""Named campaigns that break the estimator's assumptions, one at a time or together.

``benchmarks/calibration.py`` measures the intervals on each of them, and
``phusong simulate --variant`` writes one, so a user can see what the engine
makes of a network it does not model.
"""
from __future__ import annotations

from pathlib import Path

from phusong.errors import ConfigError

from .campaign import SimulationConfig, simulate

VARIANTS: dict[str, dict] = {
    "default": {},
    # all of the mis-specifications below but sectors, plus 6 dB car penetration loss
    "misspecified": {"car_loss_db": 6.0, "device_offset_std_db": 3.0,
                     "nr_release_hysteresis_db": 5.0, "nr_traffic_share": 0.7,
                     "routes": "roads"},
    "sectorised": {"sectors": 3},
    "roads": {"routes": "roads"},
    "traffic": {"nr_traffic_share": 0.7},
    "hysteresis": {"nr_release_hysteresis_db": 5.0},
    "device-offsets": {"device_offset_std_db": 3.0},
}


def variant_config(variant: str, **settings) -> SimulationConfig:
    """The :class:`SimulationConfig` of a named variant, with ``settings`` (seed,
    n_readings, …) on top."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown simulation variant {variant!r}; choose from "
                          f"{', '.join(VARIANTS)}")
    return SimulationConfig(**VARIANTS[variant], **settings)


def simulated_campaign(workdir: Path, variant: str, seed: int, n_readings: int,
                       units) -> Path:
    """The folder of one simulated campaign in ``workdir``, simulated on first use and
    reused after (named ``seed{seed}-{variant}-{n_readings}``)."""
    folder = Path(workdir) / f"seed{seed}-{variant}-{n_readings}"
    if not (folder / "campaign.gpkg").exists():
        simulate(folder, units, variant_config(variant, seed=seed, n_readings=n_readings))
    return folder
