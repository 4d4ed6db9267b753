"""Geospatial engine: boundaries, grid, interpolation, per-commune estimates, targets.

The public names below are loaded on first use (Scientific Python SPEC 1, lazy loading), so
that a command which only reads an estimate's folder or checks its options does not import
scikit-learn and the interpolators.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "Estimate": ".estimate",
    "Grid": ".grid",
    "InverseDistance": ".baselines",
    "Membership": ".grid",
    "PathLossKriging": ".interpolate",
    "Targets": ".targets",
    "block_reduce": ".blocks",
    "check_estimate_folder": ".estimate_folder",
    "default_interpolator": ".interpolate",
    "estimate_coverage": ".estimate",
    "grid_for": ".grid",
    "load_boundaries": ".boundaries",
    "load_targets": ".targets",
    "membership": ".grid",
    "normalise_name": ".boundaries",
    "write_estimate": ".estimate_folder",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .baselines import InverseDistance
    from .blocks import block_reduce
    from .boundaries import load_boundaries, normalise_name
    from .estimate import Estimate, estimate_coverage
    from .estimate_folder import check_estimate_folder, write_estimate
    from .grid import Grid, Membership, grid_for, membership
    from .interpolate import PathLossKriging, default_interpolator
    from .targets import Targets, load_targets


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
