"""The ``phusong`` command, a thin door to :mod:`phusong.pipeline`: one module per command
group (as rasterio's ``rio``), parsing options and printing results only."""
from ._common import app
from . import estimate, maps, probe, serve, store  # noqa: F401 - each registers its commands
from .main import localise_click_error, main

__all__ = ["app", "localise_click_error", "main"]
