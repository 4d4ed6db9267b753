"""Columns of the readings store, their units and their valid ranges.

Units are part of the column names. Ranges are the 3GPP reporting ranges
(TS 36.133 for LTE, TS 38.133 for NR): a value outside is an error in the source, not a
weak signal. A signal reading whose primary value (:data:`SIGNAL_PRIMARY`) is outside is
quarantined; any other value outside is set to null and named in ``nulled_fields``.
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 3

SIGNAL_LAYER = "signal_readings"
SPEED_LAYER = "speed_tests"
NEIGHBOUR_TABLE = "neighbour_cells"
QUARANTINE_TABLE = "quarantine"
META_TABLE = "phusong_meta"

TECHNOLOGIES = ("NONE", "GSM", "UMTS", "LTE", "NR-NSA", "NR-SA")
DEVICE_STATES = ("idle", "data", "voice", "unknown")
INTERFACE_KINDS = ("wired", "wifi", "cellular", "unknown")
TEST_STATUSES = ("ok", "failed")
POSITION_SOURCES = ("gnss", "track", "network", "manual", "simulated", "none")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


COMMON_COLUMNS = (
    Column("reading_id", "TEXT", required=True),
    Column("time_utc", "DATETIME", required=True),
    Column("probe_id", "TEXT", required=True),
    Column("has_fix", "BOOLEAN", required=True),
    Column("position_accuracy_m", "REAL", low=0, high=100_000),
    Column("position_source", "TEXT", choices=POSITION_SOURCES),
    Column("technology", "TEXT", choices=TECHNOLOGIES),
    Column("operator", "TEXT"),
)

PROVENANCE_COLUMNS = (
    Column("source_kind", "TEXT", required=True),
    Column("source_file", "TEXT"),
    Column("source_record", "TEXT"),
    Column("synthetic", "BOOLEAN", required=True),
    Column("imported_utc", "DATETIME", required=True),
)
# Added in schema version 2: a hash of a record's values (its provenance aside), so that the
# same reading_id arriving with other values is told apart from a duplicate.
CONTENT_KEY = Column("content_key", "TEXT")
# Added in schema version 2: what a speed test achieved, or why it failed ("no service
# here" is evidence), and whether it reached 90 % of its line rate.
SPEED_OUTCOME_COLUMNS = (
    Column("status", "TEXT", choices=TEST_STATUSES),
    Column("failure_reason", "TEXT"),
    Column("reached_line_rate", "BOOLEAN"),
    Column("interface_name", "TEXT"),
    Column("end_utc", "DATETIME"),
)
# Added in schema version 2: 1 when an importer was given boundaries and the reading lies
# outside every unit (kept, but it counts for no unit).
OUTSIDE = Column("outside_boundaries", "BOOLEAN")

# Cell identity (schema version 2): what a source gives, and the site derived from it.
# An LTE ECI is 28 bits: eNB ID × 256 + local cell id; an NR NCI is 36 bits: gNB ID
# (22–32 bits, set per operator) followed by the cell id (3GPP TS 36.413, TS 38.413).
CELL_IDENTITY_COLUMNS = (
    Column("tac", "INTEGER", low=0, high=16_777_215),
    Column("eci", "INTEGER", low=0, high=2**28 - 1),
    Column("enb_id", "INTEGER", low=0, high=2**20 - 1),
    Column("nci", "INTEGER", low=0, high=2**36 - 1),
    Column("gnb_id", "INTEGER", low=0, high=2**32 - 1),
    Column("gnb_id_bits", "INTEGER", low=22, high=32),
    Column("nr_pci", "INTEGER", low=0, high=1007),
    Column("nr_arfcn", "INTEGER", low=0, high=3_279_165),
    Column("site_id", "TEXT"),
)

SIGNAL_COLUMNS = COMMON_COLUMNS + (
    Column("device_state", "TEXT", choices=DEVICE_STATES),
    Column("device_5g_capable", "BOOLEAN"),
    Column("device_model", "TEXT"),
    Column("cell_id", "TEXT"),
    Column("pci", "INTEGER", low=0, high=1007),
    Column("arfcn", "INTEGER", low=0, high=3_279_165),
    Column("band", "TEXT"),
    Column("lte_rsrp_dbm", "REAL", low=-140, high=-44),
    Column("lte_rsrq_db", "REAL", low=-34, high=2.5),
    Column("lte_sinr_db", "REAL", low=-23, high=40),
    Column("rssi_dbm", "REAL", low=-125, high=-25),
    Column("nr_ss_rsrp_dbm", "REAL", low=-156, high=-31),
    Column("nr_ss_rsrq_db", "REAL", low=-43, high=20),
    Column("nr_ss_sinr_db", "REAL", low=-23, high=40),
) + PROVENANCE_COLUMNS + CELL_IDENTITY_COLUMNS + (OUTSIDE, CONTENT_KEY)

# Added in schema version 3. ``operator_name``: what the source calls an operator it does not
# give as MCC-MNC (an anonymised "A"), so operators stay apart. ``nulled_fields``: values
# outside their valid range that were set to null, with the value, while the rest of the
# reading was kept. ``dl/ul_throughput_kbps``: what the device moved in that second, whatever
# it was doing (G-NetTrack's DL_bitrate/UL_bitrate): a throughput sample, not a speed test.
OPERATOR_NAME = Column("operator_name", "TEXT")
NULLED_FIELDS = Column("nulled_fields", "TEXT")
THROUGHPUT_COLUMNS = (
    Column("dl_throughput_kbps", "REAL", low=0, high=1e9),
    Column("ul_throughput_kbps", "REAL", low=0, high=1e9),
)
SIGNAL_COLUMNS = SIGNAL_COLUMNS + (OPERATOR_NAME, NULLED_FIELDS) + THROUGHPUT_COLUMNS
# The values that make a signal reading, by precedence: an RSRP (LTE or NR), else the
# RSSI of a 2G/3G row. A row is quarantined when that value is unusable; any other value
# outside its range is set to null and named in ``nulled_fields``.
SIGNAL_PRIMARY = (("lte_rsrp_dbm", "nr_ss_rsrp_dbm"), ("rssi_dbm",))
# Values a reading can lose and still be a reading (cell identity and secondary measures).
SIGNAL_LENIENT = frozenset(
    c.name for c in SIGNAL_COLUMNS
    if c.sql_type in ("REAL", "INTEGER") and not c.required and c.name != "position_accuracy_m"
) | {"band", "device_model"}

SPEED_COLUMNS = COMMON_COLUMNS + (
    Column("tool", "TEXT", required=True),
    Column("interface_kind", "TEXT", choices=INTERFACE_KINDS),
    Column("link_speed_mbps", "REAL", low=0, high=1_000_000),
    Column("isp", "TEXT"),
    Column("plan_down_mbps", "REAL", low=0, high=1_000_000),
    Column("download_bps", "REAL", low=0, high=1e12),
    Column("upload_bps", "REAL", low=0, high=1e12),
    Column("latency_ms", "REAL", low=0, high=600_000),
    Column("jitter_ms", "REAL", low=0, high=600_000),
    Column("packet_loss_pct", "REAL", low=0, high=100),
    Column("bytes_received", "INTEGER", low=0),
    Column("bytes_sent", "INTEGER", low=0),
    Column("server_id", "TEXT"),
    Column("server_name", "TEXT"),
    Column("server_host", "TEXT"),
) + PROVENANCE_COLUMNS + SPEED_OUTCOME_COLUMNS + (OUTSIDE, CONTENT_KEY, OPERATOR_NAME)

QUARANTINE_COLUMNS = (
    Column("record_key", "TEXT", required=True),
    Column("target_layer", "TEXT", required=True),
    Column("received_utc", "DATETIME", required=True),
    Column("source_kind", "TEXT"),
    Column("source_file", "TEXT"),
    Column("record_locator", "TEXT"),
    Column("raw_record", "TEXT"),
    Column("reason", "TEXT", required=True),
)

DECLARATIONS_LAYER = "declarations"
# Operators' fixed-broadband availability declarations (schema version 2), imported like any
# other source; a point where the row gives lon/lat (schema: phusong.coverage.gigabit).
DECLARATION_STORE_COLUMNS = (
    Column("reading_id", "TEXT", required=True),
    Column("operator", "TEXT", required=True),
    Column("technology", "TEXT", required=True),
    Column("max_down_mbps", "REAL", required=True, low=0, high=1_000_000),
    Column("max_up_mbps", "REAL", required=True, low=0, high=1_000_000),
    Column("commune_code", "TEXT"),
    Column("households", "INTEGER", low=1),
    Column("as_of", "TEXT"),
    Column("source_kind", "TEXT", required=True),
    Column("source_file", "TEXT"),
    Column("source_record", "TEXT"),
    Column("imported_utc", "DATETIME", required=True),
    Column("content_key", "TEXT"),
)

LAYER_COLUMNS = {SIGNAL_LAYER: SIGNAL_COLUMNS, SPEED_LAYER: SPEED_COLUMNS,
                 DECLARATIONS_LAYER: DECLARATION_STORE_COLUMNS}
# Columns each schema version added, per layer (for the migration registry).
ADDED_IN_VERSION_2 = {SIGNAL_LAYER: CELL_IDENTITY_COLUMNS + (OUTSIDE, CONTENT_KEY),
                      SPEED_LAYER: SPEED_OUTCOME_COLUMNS + (OUTSIDE, CONTENT_KEY)}
ADDED_IN_VERSION_3 = {SIGNAL_LAYER: (OPERATOR_NAME, NULLED_FIELDS) + THROUGHPUT_COLUMNS,
                      SPEED_LAYER: (OPERATOR_NAME,)}
# Neighbour cells a modem measured beside its serving cell (schema version 2), linked to
# the signal reading: they reveal sites no serving cell showed.
NEIGHBOUR_COLUMNS = (
    Column("reading_id", "TEXT", required=True),
    Column("technology", "TEXT", choices=TECHNOLOGIES),
    Column("relation", "TEXT"),
    Column("pci", "INTEGER", low=0, high=1007),
    Column("arfcn", "INTEGER", low=0, high=3_279_165),
    Column("rsrp_dbm", "REAL", low=-156, high=-31),
    Column("rsrq_db", "REAL", low=-43, high=20),
    Column("rssi_dbm", "REAL", low=-125, high=-25),
    Column("sinr_db", "REAL", low=-23, high=40),
)
