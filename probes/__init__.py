"""Field collection: speed tests, modems, GNSS, unattended runs, and importers of the logs
staff already have. Readings go to the store (:mod:`phusong.store`, re-exported here for
the probes' users); this package never imports :mod:`phusong.coverage` or
:mod:`phusong.maps`: data flows one way.
"""
from phusong.store import (
    QUARANTINE_TABLE,
    SCHEMA_VERSION,
    SIGNAL_LAYER,
    SPEED_LAYER,
    TECHNOLOGIES,
    ReadingStore,
    WriteResult,
    merge_stores,
    stable_reading_id,
)

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
