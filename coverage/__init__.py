"""Geospatial engine: boundaries, grid, interpolation, per-commune estimates, targets."""
from .boundaries import load_boundaries, normalise_name
from .estimate import Estimate, estimate_coverage
from .estimate_folder import check_estimate_folder, write_estimate
from .grid import Grid, Membership, grid_for, membership
from .baselines import InverseDistance
from .blocks import block_reduce
from .interpolate import PathLossKriging, default_interpolator
from .targets import Targets, load_targets

__all__ = [
    "Estimate",
    "Grid",
    "InverseDistance",
    "Membership",
    "PathLossKriging",
    "Targets",
    "block_reduce",
    "check_estimate_folder",
    "default_interpolator",
    "estimate_coverage",
    "grid_for",
    "load_boundaries",
    "load_targets",
    "membership",
    "normalise_name",
    "write_estimate",
]
