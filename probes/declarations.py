"""Importing operators' fixed-broadband declarations (CSV) into the store; the schema and
each row's validation are the store's (:mod:`phusong.store.declarations`)."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

from phusong.errors import InputFormatError
from phusong.store.declarations import DECLARATION_COLUMNS, DECLARATIONS_TABLE, declaration_row

from .importing import ImportOptions, Row, content_id, read_text


def parse(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Rows of a declarations CSV for the store's ``declarations`` table."""
    reader = csv.DictReader(io.StringIO(read_text(path)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in DECLARATION_COLUMNS[:4] if c not in header]
    if missing:
        raise InputFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    reader.fieldnames = header
    first_line: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        text = ",".join(str(v) for v in raw.values() if v is not None)
        try:
            row = declaration_row({k: v for k, v in raw.items() if isinstance(v, str)})
        except ValueError as exc:
            yield Row(DECLARATIONS_TABLE, f"line {line}", text, reason=str(exc))
            continue
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        key = content_id("declaration", *sorted((k, str(v)) for k, v in row.items()))
        if key in first_line:
            yield Row(DECLARATIONS_TABLE, f"line {line}", text,
                      reason=f"duplicate of line {first_line[key]}")
            continue
        first_line[key] = line
        yield Row(DECLARATIONS_TABLE, f"line {line}", text, {**row, "reading_id": key})
