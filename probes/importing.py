"""Importing files into the readings store: every row a reading or a quarantined row.

Each format's parser yields :class:`Row` items: a record for a store layer, or the
raw text with the reason it could not be read. :func:`import_file` writes a whole
file in one transaction (an interrupted import leaves the store as it was), with a
stable content key as the reading id where the source has none, so re-importing the
same file or an overlapping one adds nothing twice.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from phusong.errors import ConfigError, InputFormatError

from phusong.store.records import stable_reading_id
from phusong.store.schema import SIGNAL_LAYER
from phusong.store.readings import ReadingStore

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
# A file whose first rows are all unreadable is not of the format given: refused at once
# (one line, nothing written) rather than read to its end into the quarantine.
UNREADABLE_START = 1000


@dataclass
class Row:
    """One input row: a ``record`` for ``layer``, or the ``reason`` it was refused."""

    layer: str
    locator: str
    raw: str
    record: dict[str, Any] | None = None
    reason: str | None = None


@dataclass
class ImportOptions:
    """What a parser needs besides the file."""

    time_zone: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    # Whether the user named the zone (a default one read abroad is worth a warning).
    time_zone_given: bool = False
    probe_id: str | None = None
    # The operator (MCC-MNC) of readings whose source names none (a log without an
    # operator column): the user knows which SIM the probe carried.
    operator: str | None = None
    # Whether the device is 5G-capable, as the user states it (its LTE rows with data active
    # then say 5G was not there); None: as each source shows it (a G-NetTrack file with a
    # 5G row).
    device_5g_capable: bool | None = None
    mapping: Path | None = None
    gnb_id_bits: int = 24
    notes: list[str] = field(default_factory=list)
    # Whether each (lon, lat) lies inside the boundaries; readings outside are kept and
    # flagged outside_boundaries.
    inside: Callable[[list[float], list[float]], list[bool]] | None = None


@dataclass
class FileSummary:
    """What importing one file did."""

    path: Path
    notes: list[str] = field(default_factory=list)
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    # What was stored: rows per layer, signal readings per technology, NR values among them.
    stored: dict[str, int] = field(default_factory=dict)
    technologies: Counter = field(default_factory=Counter)
    nr_values: int = 0
    # why the file was not imported (nothing of it stored), or None
    error: str | None = None

    @property
    def five_g_rows(self) -> int:
        """Signal readings stored on 5G (NSA or SA)."""
        return self.technologies["NR-NSA"] + self.technologies["NR-SA"]


Parser = Callable[[Path, ImportOptions], Iterator[Row]]


def time_zone(name: str | None) -> tzinfo:
    """An IANA time zone (``Asia/Ho_Chi_Minh`` when omitted; ``UTC`` accepted)."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}: give an IANA name such as "
                          "Asia/Ho_Chi_Minh or UTC") from exc


def local_time(text: str, fmt: str, zone: tzinfo) -> datetime:
    """A timestamp written in local time, made aware."""
    return datetime.strptime(text.strip(), fmt).replace(tzinfo=zone).astimezone(timezone.utc)


def content_id(kind: str, *values: object) -> str:
    """A reading id from what a record measured: the same row in any file gets the same id."""
    return stable_reading_id(kind, *values)


CUT_SHORT = ("the last line has no line end: the file looks cut short (an interrupted copy or "
             "download); if that line is complete, add a line end and import the file again")


def cut_short(text: str) -> bool:
    """Whether a text file ends inside a line: its last record may be cut."""
    return bool(text.strip()) and not text.endswith(("\n", "\r"))


def read_text(path: Path) -> str:
    """A text file's content: UTF-8 (with or without BOM), else Windows-1252, which
    decodes any byte, so a wrongly encoded row still reaches the quarantine."""
    if path.is_dir():
        raise InputFormatError(f"{path} is a folder, not a file to import")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFormatError(f"file not found: {path}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def import_file(store: ReadingStore, parser: Parser, path: Path, kind: str,
                options: ImportOptions, strict: bool = False) -> FileSummary:
    """Parse ``path`` and write it in one transaction; see the module documentation."""
    batches: dict[str, tuple[list, list]] = {}
    seen: set[str] = set()
    repeated = 0
    readable = 0
    for row in parser(path, options):
        records, refused = batches.setdefault(row.layer, ([], []))
        readable += row.record is not None
        if not readable and len(refused) >= UNREADABLE_START:
            raise InputFormatError(f"{path.name}: its first {UNREADABLE_START} rows are all "
                                   f"unreadable ({refused[0]['reason']}): is it a {kind} file?")
        if row.record is not None:
            # the same record twice in a file (same id, same values) is one reading
            if row.record["reading_id"] in seen:
                repeated += 1
                continue
            seen.add(row.record["reading_id"])
            records.append({**row.record, **_stated_by_user(row, options),
                            "record_locator": row.locator, "source_record": row.raw})
        else:
            refused.append({"raw_record": row.raw, "reason": row.reason,
                            "record_locator": row.locator})
    if not batches:
        raise InputFormatError(f"{path.name} holds no row to import")
    if options.inside is not None:
        _flag_outside(batches, options.inside)
    results = store.add_batches(batches, source_kind=kind, source_file=path.name,
                                strict=strict)
    summary = FileSummary(path, notes=list(options.notes), duplicates=repeated)
    options.notes.clear()
    for layer, result in results.items():
        summary.imported += result.inserted
        summary.duplicates += result.duplicates
        summary.quarantined += result.quarantined
        summary.reasons.update(_reason_kind(r) for r in result.reasons)
        summary.stored[layer] = result.inserted
        summary.technologies.update(result.technologies)
        summary.nr_values += result.nr_values
    if options.device_5g_capable is False and summary.five_g_rows:
        summary.notes.append(f"{path.name}: {summary.five_g_rows} rows are on 5G, yet the device "
                             "was said to be 4G-only (--device-4g): is it the right file or "
                             "device?")
    return summary


def _stated_by_user(row: Row, options: ImportOptions) -> dict[str, Any]:
    """What the user stated of the readings where their source says nothing: the operator
    of a record that names none (not even an anonymised one, which stays apart), and
    whether the device is 5G-capable."""
    stated: dict[str, Any] = {}
    record = row.record or {}
    if options.operator is not None and "operator" in record and record["operator"] is None \
            and not record.get("operator_name"):
        stated["operator"] = options.operator
    if options.device_5g_capable is not None and row.layer == SIGNAL_LAYER:
        stated["device_5g_capable"] = options.device_5g_capable
    return stated


def _flag_outside(batches: dict[str, tuple[list, list]], inside) -> None:
    for records, _ in batches.values():
        located = [r for r in records if r.get("lon") is not None and r.get("lat") is not None]
        flags = inside([r["lon"] for r in located], [r["lat"] for r in located])
        for record, flag in zip(located, flags):
            record["outside_boundaries"] = not flag


def _reason_kind(reason: str) -> str:
    """A reason without its values, to count reasons by kind."""
    import re

    return re.sub(r"'[^']*'|\([^)]*\)|-?\d[\d.:TZ-]*", "…", reason)


def import_files(store_path: str | Path, kind: str, parser: Parser, paths: Iterable[Path],
                 options: ImportOptions, strict: bool = False,
                 region: tuple[float, float, float, float] | None | str = "country",
                 ) -> list[FileSummary]:
    """Import each file in its own transaction into the store (created if needed). A file
    that cannot be read as ``kind`` (or, ``strict``, holds a refused row) is left out whole,
    its summary saying why, and the others are still imported."""
    kwargs: dict[str, Any] = {} if region == "country" else {"region": region}
    summaries = []
    with ReadingStore(store_path, **kwargs) as store:
        for path in map(Path, paths):
            try:
                summaries.append(import_file(store, parser, path, kind, options, strict))
            except InputFormatError as exc:
                options.notes.clear()
                reason = str(exc)
                if path.name not in reason:
                    reason = f"{path.name}: {reason}"
                summaries.append(FileSummary(path, error=reason))
    return summaries
