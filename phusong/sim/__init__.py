"""The simulator: synthetic campaigns with known ground truth, written as a probe would.

It sits beside the engine, not inside it: it writes stores (which ``coverage/``
must not), and it keeps its own radio model and constants, so the engine's
accuracy on it is not the engine agreeing with itself.
"""
from .campaign import (DECLARATIONS_CSV, SITES_DECLARED_CSV, STORE_NAME, TRUTH_DIR,
                       TRUTH_RASTER, TRUTH_TABLE, Simulation, SimulationConfig, simulate)
from .variants import VARIANTS, simulated_campaign, variant_config

__all__ = ["DECLARATIONS_CSV", "SITES_DECLARED_CSV", "STORE_NAME", "TRUTH_DIR", "TRUTH_RASTER",
           "TRUTH_TABLE", "VARIANTS", "Simulation", "SimulationConfig", "simulate",
           "simulated_campaign", "variant_config"]
