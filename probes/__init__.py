"""Field collection: readings, the local store, importers.

Never imports :mod:`phusong.coverage` or :mod:`phusong.maps`: data flows one way.
"""
from .records import stable_reading_id
from .schema import (
    QUARANTINE_TABLE,
    SCHEMA_VERSION,
    SIGNAL_LAYER,
    SPEED_LAYER,
    TECHNOLOGIES,
)
from .store import ReadingStore, WriteResult, merge_stores

__all__ = [
    "QUARANTINE_TABLE",
    "SCHEMA_VERSION",
    "SIGNAL_LAYER",
    "SPEED_LAYER",
    "TECHNOLOGIES",
    "ReadingStore",
    "WriteResult",
    "merge_stores",
    "stable_reading_id",
]
