"""The collection server: probes upload batches of readings into a central store; planners
read the latest estimate's figures, map and report.

- Every request but ``/healthz`` carries ``Authorization: Bearer TOKEN``
  (:mod:`.tokens`): missing or unknown → 401; a probe uploading under another probe id, or a
  planner uploading at all → 403.
- A batch is written in one transaction of the store (all or nothing), idempotent on the
  readings' ids (a batch sent twice adds nothing), and committed before the answer, so an
  acknowledged reading is on disk. Rows the store's own rules refuse are quarantined with
  their reason, as an importer's are, and counted in the answer.
- Requests above :data:`MAX_BODY_BYTES` get 413, batches above :data:`MAX_RECORDS` 422, and
  more than :data:`RATE_PER_S` requests a second per token (bursts of :data:`BURST`) 429.
- Tokens never reach a log: the access log has paths only.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from phusong import __version__

from phusong.errors import InputFormatError
from phusong.store import SIGNAL_LAYER, SPEED_LAYER
from phusong.store.neighbours import checked_neighbour

from .central import central_store
from .tokens import PLANNER, PROBE, Principal, TokenBook

MAX_BODY_BYTES = 16 * 2**20
MAX_RECORDS = 5_000
MAX_NEIGHBOURS = 8 * MAX_RECORDS
RATE_PER_S, BURST = 20.0, 40.0


class Batch(BaseModel):
    """Readings from one probe: signal readings and speed tests, each a record of the store's
    columns (``phusong export`` writes their dictionary, COLUMNS.md)."""

    probe_id: str = Field(min_length=1, max_length=200)
    signal: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    speed: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    neighbours: list[dict[str, Any]] = Field(
        default_factory=list, max_length=MAX_NEIGHBOURS,
        description="neighbour cells, each naming the reading_id of a signal reading of "
                    "this batch (columns of the store's neighbour_cells table)")


class Stored(BaseModel):
    """What the central store did with a batch, committed before this answer."""

    inserted: int
    duplicates: int
    quarantined: int
    reasons: list[str]


class _RateLimiter:
    """A token bucket per caller."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            level, last = self.buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - last) * self.rate)
            allowed = level >= 1
            self.buckets[key] = (level - 1 if allowed else level, now)
            return allowed


def _neighbours_by_reading(batch: Batch) -> dict[str, list[dict[str, Any]]]:
    """The batch's neighbour cells by reading id, each checked; 422 for one that is malformed
    or names no signal reading of the batch."""
    readings = {r.get("reading_id") for r in batch.signal}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for index, record in enumerate(batch.neighbours):
        try:
            cell = checked_neighbour(record)
        except InputFormatError as exc:
            raise HTTPException(422, f"neighbours[{index}]: {exc}") from None
        if cell["reading_id"] not in readings:
            raise HTTPException(422, f"neighbours[{index}]: reading_id {cell['reading_id']!r} "
                                     "is no signal reading of this batch")
        grouped.setdefault(cell["reading_id"], []).append(cell)
    return grouped


def create_app(store: str | Path, estimates: Optional[str | Path] = None,
               rate_per_s: float = RATE_PER_S, burst: float = BURST,
               database: Optional[str] = None) -> FastAPI:
    """The server of ``store`` (a GeoPackage readings store, created if needed; with
    ``database``, a PostgreSQL/PostGIS URL, the readings go there and ``store`` only names
    the tokens file ``STORE.tokens.json``), serving the estimate folder ``estimates`` to
    planners when given."""
    central = central_store(store, database)
    tokens, limiter = TokenBook(store), _RateLimiter(rate_per_s, burst)
    app = FastAPI(title="phusong collection server", version=__version__)

    @app.middleware("http")
    async def limit_size(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"detail": f"request larger than {MAX_BODY_BYTES} bytes"}, 413)
        if request.method == "POST" and length is None:
            return JSONResponse({"detail": "Content-Length is required"}, 411)
        return await call_next(request)

    def principal(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        found = tokens.verify(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise HTTPException(401, "a valid token is required (Authorization: Bearer TOKEN)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not limiter.allow(found.name):
            raise HTTPException(429, "too many requests: slow down", headers={"Retry-After": "1"})
        return found

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    @app.post("/v1/batches", response_model=Stored)
    def upload(batch: Batch, who: Principal = Depends(principal)) -> Stored:
        if who.role != PROBE or who.name != batch.probe_id:
            raise HTTPException(403, "a probe uploads under its own probe id only")
        for record in (*batch.signal, *batch.speed):
            if record.get("probe_id") not in (None, batch.probe_id):
                raise HTTPException(403, "every record must carry the batch's probe id")
        stored = central.add(batch.probe_id, {SIGNAL_LAYER: batch.signal,
                                              SPEED_LAYER: batch.speed},
                             _neighbours_by_reading(batch))
        return Stored(inserted=stored.inserted, duplicates=stored.duplicates,
                      quarantined=stored.quarantined, reasons=stored.reasons[:50])

    @app.get("/v1/estimate/summary")
    def summary(who: Principal = Depends(principal)) -> JSONResponse:
        return FileResponse(_estimate_file(estimates, who, "summary.json"),
                            media_type="application/json")

    @app.get("/v1/estimate/map")
    def estimate_map(who: Principal = Depends(principal)) -> FileResponse:
        return FileResponse(_estimate_file(estimates, who, "map.html"), media_type="text/html")

    @app.get("/v1/estimate/report")
    def report(who: Principal = Depends(principal)) -> FileResponse:
        return FileResponse(_estimate_file(estimates, who, "report/report.xlsx"),
                            filename="report.xlsx")

    return app


def _estimate_file(estimates: Optional[str | Path], who: Principal, name: str) -> Path:
    if who.role not in (PLANNER, PROBE):
        raise HTTPException(403, "not allowed")
    if estimates is None:
        raise HTTPException(404, "this server was started without --estimates")
    path = Path(estimates) / name
    if not path.is_file():
        raise HTTPException(404, f"the estimate folder holds no {name}")
    return path
