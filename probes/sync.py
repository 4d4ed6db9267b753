"""``phusong probe sync``: send a probe's readings (with their neighbour cells) to the
collection server, each exactly once.

The outbox is the local store itself: a table ``outbox_acknowledged`` in it records the ids
the server acknowledged (the server commits before it answers), so whatever has no
acknowledgement is sent, in batches, again after any failure. The server is idempotent on
reading ids, so a batch whose answer was lost is sent again harmlessly. Network errors,
5xx and 429 answers are retried with back-off; a refused token (401/403) ends the sync
with one clear line.
"""
from __future__ import annotations

import http.client
import json
import math
import sqlite3
import time
from contextlib import closing
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from phusong.errors import PhusongError
from phusong.store import SIGNAL_LAYER, SPEED_LAYER, ReadingStore

OUTBOX_TABLE = "outbox_acknowledged"
BATCH_SIZE = 500
MAX_BACKOFF_S = 30.0
LAYERS = {SIGNAL_LAYER: "signal", SPEED_LAYER: "speed"}
# Columns the central store computes again (or that only describe the local copy).
NOT_SENT = {"fid", "content_key", "imported_utc", "source_file"}


class SyncError(PhusongError, ConnectionError):
    """The server refused this probe (its token), or cannot be reached before the deadline."""


@dataclass
class SyncResult:
    sent: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)


def _outbox(store: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(store, timeout=30, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{OUTBOX_TABLE}" (reading_id TEXT PRIMARY KEY, '
                 "layer TEXT NOT NULL, acknowledged_utc TEXT NOT NULL)")
    return conn


def pending(readings: ReadingStore, layer: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` readings of ``layer`` the server has not acknowledged, as JSON records."""
    where = (f'fid IN (SELECT fid FROM "{layer}" WHERE reading_id NOT IN (SELECT reading_id '
             f'FROM "{OUTBOX_TABLE}") ORDER BY fid LIMIT {int(limit)})')
    frame = readings.read_table(layer, where=where)
    return [json_record(row) for row in frame.to_dict(orient="records")]


def neighbours_of(readings: ReadingStore, reading_ids: list[str]) -> list[dict[str, Any]]:
    """The neighbour cells stored with ``reading_ids``, as JSON records."""
    if not reading_ids:
        return []
    frame = readings.read_neighbours(reading_ids)
    return [json_record(row) for row in frame.to_dict(orient="records")]


def json_record(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the server takes it: no empty values, times as ISO text, plain numbers
    (and none of the columns the central store computes again)."""
    record = {}
    for key, value in row.items():
        if key in NOT_SENT or value is None:
            continue
        if isinstance(value, float) and math.isnan(value):
            continue
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):
            value = value.item()
        record[key] = value
    return record


def acknowledge(outbox: sqlite3.Connection, ids: dict[str, list[str]]) -> None:
    """Record the ids the server acknowledged, per layer, in one transaction."""
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    outbox.execute("BEGIN IMMEDIATE")
    try:
        outbox.executemany(f'INSERT OR IGNORE INTO "{OUTBOX_TABLE}" VALUES (?, ?, ?)',
                           [(i, layer, now) for layer, layer_ids in ids.items()
                            for i in layer_ids])
    except BaseException:
        outbox.execute("ROLLBACK")
        raise
    outbox.execute("COMMIT")


def post_batch(server: str, token: str, body: dict, timeout: float = 60.0) -> dict:
    """POST one batch; the server's answer. Raises ``urllib`` errors as they come."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        server.rstrip("/") + "/v1/batches", data=data, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read().decode("utf-8"))


def sync(store: str | Path, server: str, token: str, probe_id: str,
         deadline_s: float | None = None, batch_size: int = BATCH_SIZE,
         sleep: Callable[[float], None] = time.sleep) -> SyncResult:
    """Send every unacknowledged reading of ``store`` to ``server``; retry until all are
    acknowledged or ``deadline_s`` passes (then :class:`SyncError`).

    The store is opened once for the whole sync: opening it again after each acknowledgement
    would check the whole file again (its size changed), 0.2 s a batch for a 150 MB store."""
    # the outbox first: in a store left in WAL mode its open connection keeps the -wal file,
    # so the reader is not opened immutable and sees each acknowledgement
    with closing(_outbox(Path(store))) as outbox, \
            ReadingStore(store, readonly=True) as readings:
        return _send_all(readings, outbox, server, token, probe_id, deadline_s, batch_size,
                         sleep)


def _send_all(readings: ReadingStore, outbox: sqlite3.Connection, server: str, token: str,
              probe_id: str, deadline_s: float | None, batch_size: int,
              sleep: Callable[[float], None]) -> SyncResult:
    result, started, backoff = SyncResult(), time.monotonic(), 1.0
    while True:
        batch = {name: pending(readings, layer, batch_size) for layer, name in LAYERS.items()}
        if not any(batch.values()):
            return result
        neighbours = neighbours_of(readings, [r["reading_id"] for r in batch["signal"]])
        try:
            answer = post_batch(server, token, {"probe_id": probe_id, **batch,
                                                "neighbours": neighbours})
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise SyncError(f"the server at {server} refused this probe's token "
                                f"(HTTP {exc.code}): ask for a new one") from None
            if exc.code not in (429,) and exc.code < 500:
                raise SyncError(f"the server at {server} refused a batch (HTTP {exc.code}): "
                                f"{exc.read()[:300].decode('utf-8', 'replace')}") from None
            reason = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            # HTTPException: an answer cut short (the server or the network went down while
            # it answered); the batch may have been stored, and sending it again adds nothing
            reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
        else:
            acknowledge(outbox, {layer: [r["reading_id"] for r in batch[name]]
                                 for layer, name in LAYERS.items()})
            result.sent += sum(len(v) for v in batch.values())
            for key in ("inserted", "duplicates", "quarantined"):
                setattr(result, key, getattr(result, key) + int(answer.get(key, 0)))
            backoff = 1.0
            continue
        result.retries += 1
        result.failures.append(reason)
        if deadline_s is not None and time.monotonic() - started + backoff > deadline_s:
            raise SyncError(f"the server at {server} could not be reached ({reason}); "
                            f"{sum(len(v) for v in batch.values())}+ readings wait in the "
                            "outbox for the next sync")
        sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)
