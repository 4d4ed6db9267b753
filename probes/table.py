"""Any table of readings (CSV, GeoJSON, GeoPackage, Parquet) through a mapping file.

The mapping (TOML) names, for each store column, the table's column and how to read
it::

    [source]
    layer = "signal_readings"         # or "speed_tests"
    kind = "hamburg-bremen-2021"      # recorded as source_kind
    probe_id = "roof-antenna-car"
    time_zone = "UTC"                 # for times written without an offset
    gnb_id_bits = 24                  # NR: bits of the gNB ID in an NCI (22-32)

    [columns]
    time_utc = { column = "timestamp", format = "epoch_ms" }  # epoch_s, epoch_ms, iso, or strptime
    operator = { mcc = "mcc", mnc = "mnc" }     # or { column = "plmn" }: MCC-MNC or a name
    technology = { column = "tech", values = { Lte = "LTE", Gsm = "GSM" } }
    lte_rsrp_dbm = { column = "rsrp" }          # scale, offset: value × scale + offset
    download_bps = { column = "down", unit = "Mbit/s" }   # or unit_column = "down_unit"
    cell = { column = "cell_id" }   # ECI for LTE rows, NCI for NR rows, else the cell id
    tac = "lac"                     # a bare string is the column name

Positions come from ``lon``/``lat`` columns when mapped, else from point geometries;
``x``/``y`` with ``crs`` read projected coordinates. ``id`` names a column with each
row's own identifier; without one the reading id is a hash of the row's content, so
overlapping files add nothing twice. Columns of the table that are not mapped are
kept in the row's raw record only.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from phusong.errors import ConfigError, InputFormatError

from phusong.store import cells
from .importing import CUT_SHORT, ImportOptions, Row, content_id, cut_short, read_text, time_zone
from phusong.store.schema import LAYER_COLUMNS, SIGNAL_LAYER

# Rate units by the SI/IEC convention: lower-case b is a bit, upper-case B a byte
# (Mb/s = megabit, MB/s = megabyte; IEC 80000-13); Ki/Mi/Gi are binary prefixes.
RATE_UNIT = re.compile(r"^(?P<prefix>[kKmMgGtT]i?)?(?P<base>bit/s|bits/s|bps|b/s|byte/s|bytes/s|"
                       r"B/s|Bps|o/s)$")
PREFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
            "ki": 2.0**10, "mi": 2.0**20, "gi": 2.0**30, "ti": 2.0**40}


def rate_factor(unit: object) -> float:
    """Bits per second in one ``unit`` (``Mbit/s``, ``Mbps``, ``Mb/s``, ``MB/s``, ``kB/s``…).

    Raises
    ------
    ValueError
        For a unit that is not a data rate.
    """
    text = re.sub(r"\s+", "", str(unit))
    match = RATE_UNIT.match(text) or RATE_UNIT.match(text[:1] + text[1:].replace("Bit", "bit"))
    if match is None:
        raise ValueError(f"unknown rate unit {unit!r} (bit/s, kbit/s, Mbit/s, Mb/s, MB/s…)")
    base = match["base"]
    byte = base in ("byte/s", "bytes/s", "B/s", "Bps", "o/s")
    return PREFIXES[(match["prefix"] or "").lower()] * (8.0 if byte else 1.0)


SPECIAL = ("operator", "technology", "cell", "lon", "lat", "x", "y", "id")


class Mapping:
    """A validated mapping file."""

    def __init__(self, path: Path) -> None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ConfigError(f"mapping file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path.name} is not a valid UTF-8 TOML file: {exc}") from exc
        source, columns = data.get("source", {}), data.get("columns", {})
        self.layer = source.get("layer", SIGNAL_LAYER)
        if self.layer not in LAYER_COLUMNS:
            raise ConfigError(f"{path.name}: source.layer must be one of "
                              f"{', '.join(LAYER_COLUMNS)}")
        self.kind = str(source.get("kind", "table"))
        self.probe_id = source.get("probe_id")
        self.zone = time_zone(source.get("time_zone", "UTC"))
        bits = source.get("gnb_id_bits", 24)
        if isinstance(bits, bool) or not isinstance(bits, int) or not 22 <= bits <= 32:
            raise ConfigError(f"{path.name}: source.gnb_id_bits must be a whole number from 22 "
                              f"to 32, not {bits!r}")
        self.gnb_id_bits = bits
        self.file_layer = source.get("file_layer")
        self.crs = source.get("crs")
        known = {c.name for c in LAYER_COLUMNS[self.layer]} | set(SPECIAL)
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ConfigError(f"{path.name}: {', '.join(unknown)} are not columns of "
                              f"{self.layer}")
        if "time_utc" not in columns:
            raise ConfigError(f"{path.name}: map time_utc to the table's time column")
        self.columns = {name: {"column": spec} if isinstance(spec, str) else dict(spec)
                        for name, spec in columns.items()}
        for name, spec in self.columns.items():
            unit = spec.get("unit")
            if unit is not None:
                try:
                    rate_factor(unit)
                except ValueError:
                    raise ConfigError(f"{path.name}: unknown unit {unit!r} for {name}") from None


def read_table(path: Path, mapping: Mapping) -> pd.DataFrame:
    """The table's rows as text/number columns, with ``__lon``/``__lat`` from point
    geometries where it has them."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            return pd.read_csv(path, dtype=str, sep=None, engine="python",
                               encoding="utf-8-sig", keep_default_na=False)
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            import geopandas as gpd

            frame = gpd.read_file(path, layer=mapping.file_layer) if mapping.file_layer \
                else gpd.read_file(path)
    except FileNotFoundError as exc:
        raise InputFormatError(f"file not found: {path}") from exc
    except Exception as exc:  # noqa: BLE001 - any reader's failure is one clear error
        raise InputFormatError(f"cannot read {path.name} as a table: {exc}") from exc
    geometry = frame.get("geometry")
    if geometry is not None and hasattr(geometry, "x"):
        points = geometry.geom_type == "Point"
        frame = pd.DataFrame(frame.drop(columns="geometry"))
        frame["__lon"] = np.where(points, geometry.x.where(points), np.nan)
        frame["__lat"] = np.where(points, geometry.y.where(points), np.nan)
    return frame


def parse_with(mapping: Mapping):
    """A parser reading tables with ``mapping``."""
    def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
        frame = read_table(path, mapping)
        time_column = mapping.columns["time_utc"]["column"]
        if time_column not in frame.columns:
            raise InputFormatError(f"{path.name} has no column {time_column!r} (time_utc in "
                                   "the mapping)")
        missing = sorted({spec[key] for spec in mapping.columns.values()
                          for key in ("column", "mcc", "mnc", "unit_column") if key in spec}
                         - set(frame.columns))
        if missing:
            options.notes.append(f"{path.name}: column(s) {', '.join(missing)} named in the "
                                 "mapping are not in the file: read as empty")
        text_file = path.suffix.lower() in (".csv", ".txt", ".tsv")
        offset = 2 if text_file else 1
        label = "line" if offset == 2 else "row"
        last = len(frame) - 1 if text_file and cut_short(read_text(path)) else None
        for index, values in enumerate(frame.to_dict(orient="records")):
            raw = json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False,
                             default=str)
            locator = f"{label} {index + offset}"
            if index == last:
                yield Row(mapping.layer, locator, raw, reason=CUT_SHORT)
                continue
            try:
                yield Row(mapping.layer, locator, raw, _record(values, mapping, options))
            except (ValueError, TypeError) as exc:
                yield Row(mapping.layer, locator, raw, reason=str(exc))
    return parse


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _value(values: dict, spec: dict, name: str) -> Any:
    raw = values.get(spec["column"])
    if cells.missing(raw):
        return None
    return raw


def _number(values: dict, spec: dict, name: str) -> float | None:
    raw = _value(values, spec, name)
    try:
        number = cells.number(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if number is None:
        return None
    unit = spec.get("unit")
    if "unit_column" in spec:
        unit = values.get(spec["unit_column"])
        if cells.missing(unit):
            raise ValueError(f"no unit for {name} (column {spec['unit_column']!r})")
    try:
        factor = rate_factor(unit) if unit is not None else 1.0
    except ValueError:
        raise ValueError(f"unknown unit {unit!r} for {name}") from None
    return number * factor * float(spec.get("scale", 1.0)) + float(spec.get("offset", 0.0))


def _time(values: dict, spec: dict, zone) -> datetime:
    raw = _value(values, spec, "time_utc")
    if raw is None:
        raise ValueError("time is missing")
    fmt = spec.get("format", "iso")
    try:
        if fmt in ("epoch_s", "epoch_ms"):
            seconds = float(raw) / (1000 if fmt == "epoch_ms" else 1)
            return datetime.fromtimestamp(seconds, timezone.utc)
        text = str(raw).strip()
        value = datetime.fromisoformat(text.replace("Z", "+00:00")) if fmt == "iso" else \
            datetime.strptime(text, fmt)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"time {raw!r} is not {fmt}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=spec.get("zone") or zone)
    return value.astimezone(timezone.utc)


def _technology(values: dict, spec: dict | None) -> str | None:
    if spec is None:
        return None
    raw = _value(values, spec, "technology")
    if raw is None:
        return None
    text = str(raw).strip()
    named = spec.get("values", {}).get(text)
    technology = named or cells.technology(text)
    return "NR-SA" if technology == "NR" else technology


def _operator(values: dict, spec: dict | None) -> str | None:
    if spec is None:
        return None
    if "mcc" in spec:
        return cells.operator_code(values.get(spec["mcc"]), values.get(spec["mnc"]))
    return cells.operator_code(_value(values, spec, "operator"))


def _record(values: dict, mapping: Mapping, options: ImportOptions) -> dict:
    columns = mapping.columns
    record: dict[str, Any] = {"time_utc": _time(values, columns["time_utc"], mapping.zone)}
    record["technology"] = _technology(values, columns.get("technology"))
    record["operator"] = _operator(values, columns.get("operator"))
    store_columns = {c.name: c for c in LAYER_COLUMNS[mapping.layer]}
    for name, spec in columns.items():
        if name in SPECIAL or name in record:
            continue
        column = store_columns[name]
        if column.sql_type in ("REAL", "INTEGER"):
            record[name] = _number(values, spec, name)
        else:
            value = _value(values, spec, name)
            record[name] = None if value is None else str(value).strip()
    _position(values, mapping, record)
    if mapping.layer == SIGNAL_LAYER:
        _cell_identity(values, mapping, record)
    record.setdefault("probe_id", options.probe_id or mapping.probe_id or mapping.kind)
    if "id" in columns:
        own = _value(values, columns["id"], "id")
        if own is None:
            raise ValueError("the row has no id")
        record["reading_id"] = content_id(mapping.kind, "id", own)
    else:
        record["reading_id"] = content_id(mapping.kind, *sorted(
            (k, str(v)) for k, v in record.items() if k != "probe_id"))
    if record.get("has_fix") is None:
        record.pop("has_fix", None)
    return record


def _position(values: dict, mapping: Mapping, record: dict) -> None:
    columns = mapping.columns
    if "lon" in columns and "lat" in columns:
        lon, lat = _number(values, columns["lon"], "lon"), _number(values, columns["lat"], "lat")
    elif "x" in columns and "y" in columns:
        x, y = _number(values, columns["x"], "x"), _number(values, columns["y"], "y")
        lon, lat = _projected(x, y, mapping.crs)
    else:
        lon, lat = cells.number(values.get("__lon")), cells.number(values.get("__lat"))
    record["lon"], record["lat"] = lon, lat
    record.setdefault("position_source", "gnss" if lon is not None else "none")


def _projected(x: float | None, y: float | None, crs: str | None):
    if x is None or y is None:
        return None, None
    if crs is None:
        raise ValueError("x/y given without source.crs in the mapping")
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)


def _cell_identity(values: dict, mapping: Mapping, record: dict) -> None:
    """ECI/NCI from the ``cell`` column by technology, and the site they imply."""
    spec = mapping.columns.get("cell")
    technology = record.get("technology") or ""
    if spec is not None:
        cell = _number(values, spec, "cell")
        if cell is not None:
            cell = int(cell)
            record["cell_id"] = str(cell)
            if technology in ("LTE", "NR-NSA") and cell < 2**28:
                record["eci"] = cell
            elif technology == "NR-SA":
                record["nci"] = cell
    if record.get("eci") is not None:
        record["enb_id"] = cells.lte_site(record["eci"])
        record["site_id"] = cells.site_key(record.get("operator"), "LTE", record["enb_id"])
    if record.get("nci") is not None:
        record["gnb_id"] = cells.nr_site(record["nci"], mapping.gnb_id_bits)
        record["gnb_id_bits"] = mapping.gnb_id_bits
        record["site_id"] = cells.site_key(record.get("operator"), "NR", record["gnb_id"])
