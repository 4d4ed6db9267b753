"""The registry of interpolation methods by their short names (the CLI's ``--method``)."""
from __future__ import annotations


def _methods() -> dict:
    from .baselines import (GaussianProcess, InverseDistance, OrdinaryKriging,
                            PyKrigeOrdinaryKriging)
    from .interpolate import PathLossKriging

    return {"pathloss": PathLossKriging, "kriging": OrdinaryKriging, "idw": InverseDistance,
            "gp": GaussianProcess, "pykrige": PyKrigeOrdinaryKriging}


METHOD_NAMES = ("pathloss", "kriging", "idw", "gp", "pykrige")


def make_interpolator(name: str):
    """An unfitted interpolator by its short name (see :data:`METHOD_NAMES`)."""
    from phusong.errors import ConfigError

    if name not in METHOD_NAMES:
        raise ConfigError(f"unknown method {name!r}; choose from {', '.join(METHOD_NAMES)}")
    return _methods()[name]()
