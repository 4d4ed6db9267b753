"""Field collection: speed tests, modems, GNSS, unattended runs, and importers of the logs
staff already have. Readings go to the store (:mod:`phusong.store`), whose main names are
re-exported here for the probes' users; this package never imports
:mod:`phusong.coverage` or :mod:`phusong.maps`: data flows one way.
"""
from phusong.store import (  # noqa: F401 - re-exported
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
