"""The readings store: one GeoPackage per campaign, its schema, validation and migrations,
merge, export, soundness checks, copy and repair, and the vocabulary sources share
(operators, technologies, cell identities).

Probes and importers write through it; the engine (:mod:`phusong.coverage`) and the maps
(:mod:`phusong.maps`) read through it. It imports no other room.
"""
from .exchange import export_store, merge_stores
from .maintenance import copy_store, repair_store
from .readings import ReadingStore, WriteResult
from .records import format_utc, stable_reading_id
from .schema import (
    DECLARATIONS_LAYER,
    NEIGHBOUR_TABLE,
    QUARANTINE_TABLE,
    SCHEMA_VERSION,
    SIGNAL_LAYER,
    SPEED_LAYER,
    TECHNOLOGIES,
)

__all__ = [
    "DECLARATIONS_LAYER",
    "NEIGHBOUR_TABLE",
    "QUARANTINE_TABLE",
    "SCHEMA_VERSION",
    "SIGNAL_LAYER",
    "SPEED_LAYER",
    "TECHNOLOGIES",
    "ReadingStore",
    "WriteResult",
    "copy_store",
    "export_store",
    "format_utc",
    "merge_stores",
    "repair_store",
    "stable_reading_id",
]
