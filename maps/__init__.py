"""Folium coverage and gap maps, and reports."""
from .coverage_map import (coverage_map, read_estimates, read_store_layers, share_colour,
                           write_map)
from .offline import inline_assets
from .report import write_report

__all__ = ["coverage_map", "inline_assets", "read_estimates", "read_store_layers", "share_colour", "write_map",
           "write_report"]
