"""Exchanging campaigns: merging laptops' stores and exporting a store for other tools.

``export`` writes each layer as GeoPackage (a clean single-file copy of the store),
CSV (``lon``/``lat`` columns, UTF-8) or GeoParquet (for large campaigns), with
``COLUMNS.md``: the column dictionary generated from the store's schema.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from phusong.errors import ConfigError, StoreError

from .schema import LAYER_COLUMNS, QUARANTINE_COLUMNS, QUARANTINE_TABLE, Column
from .readings import ReadingStore

FORMATS = ("gpkg", "csv", "parquet")
UNITS = {"_dbm": "dBm", "_db": "dB", "_bps": "bit/s", "_mbps": "Mbit/s", "_ms": "ms",
         "_pct": "%", "_m": "m", "_utc": "UTC, ISO 8601"}
DESCRIPTIONS = {
    "reading_id": "UUID of the reading; the same reading imported twice keeps it",
    "time_utc": "when the reading was taken",
    "probe_id": "the probe, app or source that took it",
    "has_fix": "1 when the position comes from a fix; 0: no position (kept as evidence)",
    "position_accuracy_m": "stated horizontal error of the position",
    "position_source": "where the position comes from",
    "technology": "radio technology of the serving cell",
    "operator": "MCC-MNC of the network (452-04 Viettel, 452-02 VinaPhone, 452-01 MobiFone)",
    "device_state": "data: the device was transferring (NR can attach); idle: it was not",
    "device_5g_capable": "the device can use 5G NR (a reading without NR then means no 5G)",
    "cell_id": "the source's identifier of the serving cell",
    "pci": "physical cell id (LTE 0-503, NR 0-1007; reused, never a site key alone)",
    "arfcn": "channel number of the serving cell (EARFCN/ARFCN)",
    "tac": "tracking area code",
    "eci": "LTE E-UTRAN cell identity (28 bits)",
    "enb_id": "LTE site: eNB ID = ECI >> 8",
    "nci": "NR cell identity (36 bits)",
    "gnb_id": "NR site: the first gnb_id_bits bits of the NCI",
    "site_id": "operator:technology:site, to group the sectors of one site",
    "source_kind": "the program or format the reading came from",
    "source_file": "the file it was imported from",
    "source_record": "the row as the source wrote it",
    "synthetic": "1 for simulated data",
    "content_key": "hash of the measured values, to tell duplicates from conflicts",
    "interface_kind": "wired, Wi-Fi or cellular line of a speed test",
    "link_speed_mbps": "negotiated link speed of the interface",
    "plan_down_mbps": "subscribed download rate of the line",
    "reason": "why the row was refused",
}


def column_dictionary() -> str:
    """Markdown describing every column of every layer: type, unit, range, meaning."""
    lines = ["# Columns of a phusong readings store", ""]
    for layer, columns in {**LAYER_COLUMNS, QUARANTINE_TABLE: QUARANTINE_COLUMNS}.items():
        lines += [f"## {layer}", "", "| column | type | unit | valid values | meaning |",
                  "|---|---|---|---|---|"]
        lines += [_describe(column) for column in columns]
        lines.append("")
    return "\n".join(lines)


def _describe(column: Column) -> str:
    unit = next((u for suffix, u in UNITS.items() if column.name.endswith(suffix)), "")
    if column.choices:
        valid = ", ".join(column.choices)
    elif column.low is not None or column.high is not None:
        valid = f"{'' if column.low is None else f'{column.low:g}'}…" \
                f"{'' if column.high is None else f'{column.high:g}'}"
    else:
        valid = ""
    required = " (required)" if column.required else ""
    return (f"| `{column.name}` | {column.sql_type}{required} | {unit} | {valid} | "
            f"{DESCRIPTIONS.get(column.name, '')} |")


def default_export_path(store: Path, fmt: str) -> Path:
    """``campaign_export.gpkg`` or the folder ``campaign_export/`` beside the store."""
    return store.with_name(f"{store.stem}_export" + (".gpkg" if fmt == "gpkg" else ""))


def export_store(store: str | Path, fmt: str, out: str | Path | None = None,
                 force: bool = False) -> Path:
    """Export a store (see the module documentation); returns the file or folder written.
    An existing file is replaced only when it is this command's unchanged earlier export or
    with ``force``, and a readings store never."""
    from phusong.outputs import atomic_file, spreadsheet_safe, staged_folder

    store = Path(store)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out) if out is not None else default_export_path(store, fmt)
    if fmt == "gpkg":
        from phusong.outputs import check_output_file

        check_output_file(out, "export", force)
    with ReadingStore(store, readonly=True) as source:
        if fmt == "gpkg":
            with atomic_file(out, "export", force) as partial:
                partial.unlink()
                _copy_database(source, partial)
            return out
        with staged_folder(out, "export", force=force) as (staging, _):
            for layer in LAYER_COLUMNS:
                frame = source.read(layer)
                if fmt == "csv":
                    table = source.read_table(layer)
                    spreadsheet_safe(table).to_csv(staging / f"{layer}.csv", index=False,
                                                   encoding="utf-8")
                else:
                    frame.to_parquet(staging / f"{layer}.parquet", index=False)
            quarantine = source.read_quarantine()
            if fmt == "csv":
                spreadsheet_safe(quarantine).to_csv(staging / f"{QUARANTINE_TABLE}.csv",
                                                    index=False, encoding="utf-8")
            else:
                quarantine.to_parquet(staging / f"{QUARANTINE_TABLE}.parquet", index=False)
            (staging / "COLUMNS.md").write_text(column_dictionary(), encoding="utf-8")
    return out


def _copy_database(source: ReadingStore, target: Path) -> None:
    """A consistent single-file copy of an open store (SQLite's online backup)."""
    try:
        with sqlite3.connect(target) as copy:
            source._conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        copy.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot copy {source.path}: {exc}") from exc


__all__ = ["FORMATS", "column_dictionary", "export_store", "merge_stores"]


def merge_stores(target: str | Path, sources: Iterable[str | Path]) -> dict[str, int]:
    """Merge ``sources`` into ``target`` (created if needed); idempotent.

    Raises
    ------
    StoreError
        When a source is the target itself.
    """
    sources = [Path(source) for source in sources]
    for source in sources:
        if Path(target).exists() and source.exists() and source.samefile(target):
            raise StoreError(f"{source} is the store being merged into: merge other stores "
                             f"into it, or choose another --into")
    totals: dict[str, int] = {}
    with ReadingStore(target) as store:
        for source in sources:
            for layer, n in store.merge_from(source).items():
                totals[layer] = totals.get(layer, 0) + n
    return totals
