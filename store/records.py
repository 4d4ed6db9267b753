"""Validation of readings before they enter the store.

A record is a mapping with the store's column names plus ``lon``/``lat`` in
degrees (WGS 84), which become the point geometry. :func:`normalise_record`
returns the row to write or raises :class:`InputFormatError` with the reason,
which the store keeps in its quarantine table.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Mapping
import difflib
from datetime import datetime, timedelta, timezone
from typing import Any

from phusong.config import CAMPAIGN_FLOOR_UTC
from phusong.errors import InputFormatError

from .schema import Column

OPERATOR_PATTERN = re.compile(r"^\d{3}-\d{2,3}$")
UUID_NAMESPACE = uuid.UUID("6f1c1f3e-3d2a-5b8e-9a4c-70687573f06e")
# Fields a record may carry besides the store's columns.
POSITION_FIELDS = ("lon", "lat", "record_locator")
# A reading more than this far in the future is a clock error.
MAX_CLOCK_AHEAD = timedelta(days=1)


def format_utc(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, the GeoPackage DATETIME form."""
    if value.tzinfo is None:
        raise InputFormatError("timestamp has no time zone; give UTC or an offset")
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> str:
    """Normalise a datetime or an ISO 8601 string with offset to UTC text."""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            return format_utc(datetime.fromisoformat(text))
        except ValueError as exc:
            raise InputFormatError(f"time_utc {value!r} is not ISO 8601") from exc
    raise InputFormatError("time_utc is missing")


def stable_reading_id(*parts: object) -> str:
    """A UUID derived from the source of a reading, so re-imports give the same id."""
    return str(uuid.uuid5(UUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


SQLITE_INTEGER_MAX = 2**63 - 1


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _coerce(column: Column, value: Any) -> Any:
    if column.sql_type == "BOOLEAN":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes"):
                return 1
            if lowered in ("0", "false", "no"):
                return 0
            raise InputFormatError(f"{column.name} {value!r} is not a boolean")
        return int(bool(value))
    if column.sql_type in ("REAL", "INTEGER"):
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise InputFormatError(f"{column.name} {value!r} is not a number") from exc
        if not math.isfinite(number):
            raise InputFormatError(f"{column.name} is not finite")
        high = column.high
        if column.sql_type == "INTEGER":  # what an SQLite INTEGER holds
            high = SQLITE_INTEGER_MAX if high is None else min(high, SQLITE_INTEGER_MAX)
        if column.low is not None and number < column.low or (
            high is not None and number > high
        ):
            raise InputFormatError(
                f"{column.name} {number:g} outside the valid range [{column.low}, {high}]"
            )
        if column.sql_type == "INTEGER":
            if number != int(number):
                raise InputFormatError(f"{column.name} {value!r} is not an integer")
            return int(number)
        return number
    if column.sql_type == "DATETIME":
        return parse_time(value)
    text = unicodedata.normalize("NFC", str(value))
    if column.choices is not None and text not in column.choices:
        raise InputFormatError(
            f"{column.name} {text!r} is not one of {', '.join(column.choices)}"
        )
    return text


def _check_time(text: str) -> None:
    """Refuse times before the campaign floor or in the future (clock errors)."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    floor = datetime.fromisoformat(CAMPAIGN_FLOOR_UTC.replace("Z", "+00:00"))
    if when < floor:
        raise InputFormatError(f"time_utc {text} is before {CAMPAIGN_FLOOR_UTC[:10]}: "
                               "check the device clock")
    if when > datetime.now(timezone.utc) + MAX_CLOCK_AHEAD:
        raise InputFormatError(f"time_utc {text} is in the future: check the device clock")


def _check_fields(record: Mapping[str, Any], columns: tuple[Column, ...]) -> None:
    """Refuse fields the layer does not have, suggesting the nearest column name."""
    known = {c.name for c in columns} | set(POSITION_FIELDS)
    unknown = sorted(str(k) for k in record if k not in known)
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise InputFormatError(f"unknown field(s) {', '.join(hints)}")


def _position(record: Mapping[str, Any],
              region: tuple[float, float, float, float] | None) -> tuple[float, float] | None:
    lon, lat = record.get("lon"), record.get("lat")
    if _is_missing(lon) and _is_missing(lat):
        return None
    if _is_missing(lon) or _is_missing(lat):
        raise InputFormatError("position has only one of lon/lat")
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise InputFormatError(f"position ({lon!r}, {lat!r}) is not numeric") from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputFormatError(f"position ({lon}, {lat}) is not a longitude/latitude")
    if lon == 0 and lat == 0:
        raise InputFormatError("position (0, 0) is a receiver's placeholder, not a fix")
    if region is not None:
        west, south, east, north = region
        if not (west <= lon <= east and south <= lat <= north):
            raise InputFormatError(f"position ({lon:.5f}, {lat:.5f}) is outside the country "
                                   f"(lon {west}…{east}, lat {south}…{north})")
    return lon, lat


def _keep_or_refuse(row: dict[str, Any], nulled: list[str],
                    primary: tuple[tuple[str, ...], ...]) -> None:
    """Name the nulled values on the row, or refuse it when its primary value is gone.

    ``primary`` holds groups in order of precedence: the first group with a value left
    keeps the row; a group whose values were all nulled before that refuses it.
    """
    names = {reason.split(" ", 1)[0] for reason in nulled}
    for group in primary:
        if any(row.get(name) is not None for name in group):
            break
        if names & set(group):
            raise InputFormatError("; ".join(nulled))
    earlier = row.get("nulled_fields")
    row["nulled_fields"] = "; ".join(([earlier] if earlier else []) + nulled)


def normalise_record(
    record: Mapping[str, Any], columns: tuple[Column, ...], imported_utc: str,
    region: tuple[float, float, float, float] | None = None,
    lenient: frozenset[str] = frozenset(), primary: tuple[tuple[str, ...], ...] = (),
) -> tuple[dict[str, Any], tuple[float, float] | None]:
    """Validate ``record`` against ``columns``; return the row and its position.

    ``region`` (west, south, east, north in degrees) bounds the valid positions. A value
    of a ``lenient`` column that is malformed or out of range becomes null and is named
    in ``nulled_fields``, unless the record's ``primary`` value is (see
    :func:`_keep_or_refuse`).

    Raises
    ------
    InputFormatError
        With the reason, when any value is missing, malformed or out of range.
    """
    _check_fields(record, columns)
    position = _position(record, region)
    values = dict(record)
    values.setdefault("has_fix", position is not None)
    if position is None:
        values["has_fix"] = False
        values.setdefault("position_source", "none")
    values.setdefault("synthetic", False)
    values.setdefault("imported_utc", imported_utc)
    if _is_missing(values.get("reading_id")):
        values["reading_id"] = str(uuid.uuid4())
    row: dict[str, Any] = {}
    nulled: list[str] = []
    for column in columns:
        value = values.get(column.name)
        if _is_missing(value):
            if column.required:
                raise InputFormatError(f"{column.name} is missing")
            row[column.name] = None
            continue
        try:
            row[column.name] = _coerce(column, value)
        except InputFormatError as exc:
            if column.name not in lenient:
                raise
            row[column.name] = None
            nulled.append(str(exc))
    if nulled:
        _keep_or_refuse(row, nulled, primary)
    if "time_utc" in row:
        _check_time(row["time_utc"])
    operator = row.get("operator")
    if operator is not None and "time_utc" in row and not OPERATOR_PATTERN.match(operator):
        raise InputFormatError(f"operator {operator!r} is not MCC-MNC such as 452-04")
    try:
        row["reading_id"] = str(uuid.UUID(row["reading_id"]))
    except ValueError as exc:
        raise InputFormatError(f"reading_id {row['reading_id']!r} is not a UUID") from exc
    return row, position


# Columns that record where and when a row arrived, not what was measured.
PROVENANCE = ("reading_id", "source_file", "source_record", "imported_utc", "content_key",
              "outside_boundaries")


def content_key(row: Mapping[str, Any]) -> str:
    """A stable hash of what a row measured (its provenance aside)."""
    values = {k: v for k, v in row.items() if k not in PROVENANCE}
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


SPEED_FIGURES = ("download_bps", "upload_bps", "latency_ms")


def check_speed_figures(row: Mapping[str, Any]) -> None:
    """Refuse a test stored as done that measured nothing (every figure NaN or missing)."""
    if row.get("status") != "failed" and all(row.get(name) is None for name in SPEED_FIGURES):
        raise InputFormatError("a speed test without any figure (download, upload or "
                               "latency): a failed test says why in failure_reason")
