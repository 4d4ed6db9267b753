"""Speed-test results from other programs: speedtest-cli (``--json``, ``--csv``), Ookla's
CLI (``-f json``: bandwidth in bytes/s), M-Lab Murakami (JSON lines of ndt5, ndt7 and
ookla-speedtest tests) and iperf3 (``-J``).

Every result becomes a row of ``speed_tests`` in bits per second. The client's IP
address is personal data and is not stored. A result without a position keeps
``has_fix = 0``. iperf3's known quirks are handled: ``nan`` in its JSON, an error
line after the JSON, and the JSON printed twice (3.16/3.17).
"""
from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from phusong.errors import InputFormatError

from .importing import ImportOptions, Row, content_id, read_text
from phusong.store.schema import SPEED_LAYER

SPEEDTEST_CSV_HEADER = ("Server ID", "Sponsor", "Server Name", "Timestamp", "Distance", "Ping",
                        "Download", "Upload", "Share", "IP Address")
MURAKAMI_UNITS = {"bit/s": 1.0, "kbit/s": 1e3, "mbit/s": 1e6, "gbit/s": 1e9}
CONNECTION_KINDS = {"wired": "wired", "ethernet": "wired", "wifi": "wifi", "wi-fi": "wifi",
                    "wlan": "wifi", "cellular": "cellular", "mobile": "cellular",
                    "4g": "cellular", "5g": "cellular", "lte": "cellular"}


def _utc(text: str | None, options: ImportOptions) -> datetime:
    if not text:
        raise ValueError("the result has no time")
    value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # these programs log UTC
    return value.astimezone(timezone.utc)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _record(options: ImportOptions, tool: str, identity: tuple, **values: Any) -> dict:
    record = {"probe_id": options.probe_id or tool, "tool": tool, "has_fix": False,
              "position_source": "none", **values}
    record["reading_id"] = content_id(tool, *identity)
    return record


# A result document is never larger than this; a failed attempt reads at most this much.
MAX_DOCUMENT = 8 * 2**20
# Failed attempts may read at most this many times the text's length, so junk fails fast.
SCAN_BUDGET = 8
LINE_START_BRACE = re.compile(r"^[ \t]*\{", re.MULTILINE)


def json_documents(text: str, name: str = "the file") -> list[Any]:
    """Every JSON document in ``text`` (several when a program printed its JSON twice),
    each starting on a line of its own, ignoring lines around them; ``nan`` read as NaN.

    Raises
    ------
    InputFormatError
        When finding them would read the text more than :data:`SCAN_BUDGET` times over
        (a file that is not JSON output).
    """
    decoder = json.JSONDecoder()
    text = re.sub(r"(?<=[:\s\[,])(-?nan|-?inf(inity)?)(?=[\s,\]}])", "NaN", text,
                  flags=re.IGNORECASE)
    documents, position, scanned = [], 0, 0
    budget = SCAN_BUDGET * len(text) + MAX_DOCUMENT
    for match in LINE_START_BRACE.finditer(text):
        start = match.end() - 1
        if start < position:
            continue
        window = text[start:start + MAX_DOCUMENT]
        try:
            document, end = decoder.raw_decode(window)
        except json.JSONDecodeError:
            scanned += len(window)
            if scanned > budget:
                raise InputFormatError(f"{name} is not JSON output (no document found after "
                                       f"reading it {SCAN_BUDGET} times over)") from None
            continue
        except RecursionError:
            raise InputFormatError(f"{name} nests JSON too deeply to be a result") from None
        documents.append(document)
        position = start + end
    return documents


def parse_speedtest_cli(path: Path, options: ImportOptions) -> Iterator[Row]:
    """speedtest-cli ``--json`` (one object per line or per file) or ``--csv`` rows."""
    text = read_text(path)
    if text.lstrip().startswith("{"):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield _guarded(line, f"line {number}", lambda: _speedtest_json(line, options))
        return
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("Server ID"):
        lines = lines[1:]
    for number, values in enumerate(csv.reader(lines), start=1):
        raw = ",".join(values)
        yield _guarded(raw, f"row {number}", lambda: _speedtest_csv(values, options))


def _guarded(raw: str, locator: str, build) -> Row:
    try:
        return Row(SPEED_LAYER, locator, raw, build())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Row(SPEED_LAYER, locator, raw, reason=f"not a readable result: {exc}")


def _speedtest_json(line: str, options: ImportOptions) -> dict:
    data = json.loads(line)
    server = data.get("server") or {}
    time = _utc(data.get("timestamp"), options)
    return _record(options, "speedtest-cli", (time.isoformat(), server.get("id"),
                                              data.get("download"), data.get("upload")),
                   time_utc=time, download_bps=_finite(data.get("download")),
                   upload_bps=_finite(data.get("upload")), latency_ms=_finite(data.get("ping")),
                   bytes_received=data.get("bytes_received"), bytes_sent=data.get("bytes_sent"),
                   server_id=str(server.get("id", "")) or None,
                   server_name=server.get("name") or server.get("sponsor"),
                   server_host=server.get("host"),
                   isp=(data.get("client") or {}).get("isp"))


def _speedtest_csv(values: list[str], options: ImportOptions) -> dict:
    if len(values) < 8:
        raise ValueError(f"{len(values)} fields; speedtest-cli --csv writes "
                         f"{len(SPEEDTEST_CSV_HEADER)}")
    row = dict(zip(SPEEDTEST_CSV_HEADER, values))
    time = _utc(row["Timestamp"], options)
    return _record(options, "speedtest-cli", (time.isoformat(), row["Server ID"],
                                              row["Download"], row["Upload"]),
                   time_utc=time, download_bps=float(row["Download"]),
                   upload_bps=float(row["Upload"]), latency_ms=float(row["Ping"]),
                   server_id=row["Server ID"], server_name=row["Server Name"] or row["Sponsor"])


def parse_ookla(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Ookla CLI ``-f json``/``jsonl`` results (``type`` = ``result``); bandwidth is bytes/s."""
    for number, document in _lines_or_documents(path):
        if isinstance(document, str):
            yield Row(SPEED_LAYER, number, document, reason="not JSON")
            continue
        if document.get("type", "result") != "result":
            continue
        yield _guarded(json.dumps(document), number, lambda d=document: _ookla(d, options))


def _ookla(data: dict, options: ImportOptions) -> dict:
    download, upload = data.get("download") or {}, data.get("upload") or {}
    server, ping = data.get("server") or {}, data.get("ping") or {}
    interface = data.get("interface") or {}
    time = _utc(data.get("timestamp"), options)
    result_id = (data.get("result") or {}).get("id")
    return _record(options, "ookla", (result_id or time.isoformat(), download.get("bandwidth")),
                   time_utc=time, download_bps=8 * float(download["bandwidth"]),
                   upload_bps=8 * float(upload["bandwidth"]) if upload.get("bandwidth")
                   is not None else None,
                   bytes_received=download.get("bytes"), bytes_sent=upload.get("bytes"),
                   latency_ms=_finite(ping.get("latency")), jitter_ms=_finite(ping.get("jitter")),
                   packet_loss_pct=_finite(data.get("packetLoss")), isp=data.get("isp"),
                   server_id=str(server.get("id")) if server.get("id") is not None else None,
                   server_name=server.get("name"), server_host=server.get("host"),
                   interface_kind="unknown" if not interface else None)


def _lines_or_documents(path: Path) -> Iterator[tuple[str, Any]]:
    """JSON lines (a locator and each parsed line, or the raw line when it is not JSON),
    or the documents of a JSON file."""
    text = read_text(path)
    lines = [line for line in text.splitlines() if line.strip()]
    if all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield f"line {number}", json.loads(line)
                except json.JSONDecodeError:
                    yield f"line {number}", line
        return
    documents = json_documents(text, path.name)
    if not documents:
        raise InputFormatError(f"{path.name} holds no JSON result: is it the right format?")
    for index, document in enumerate(documents, start=1):
        yield f"document {index}", document


def parse_murakami(path: Path, options: ImportOptions) -> Iterator[Row]:
    """Murakami result lines: ndt5, ndt7 (values with units) and ookla-speedtest (flat
    fields whose "Bit/s" are really bytes/s)."""
    for locator, document in _lines_or_documents(path):
        if isinstance(document, str):
            yield Row(SPEED_LAYER, locator, document, reason="not JSON")
            continue
        yield _guarded(json.dumps(document), locator, lambda d=document: _murakami(d, options))


def _murakami_rate(data: dict, prefix: str) -> float | None:
    value = _finite(data.get(f"{prefix}Value"))
    if value is None:
        return None
    unit = str(data.get(f"{prefix}Unit", "")).strip().lower()
    if unit not in MURAKAMI_UNITS:
        raise ValueError(f"unknown unit {data.get(f'{prefix}Unit')!r} for {prefix}")
    return value * MURAKAMI_UNITS[unit]


def _murakami(data: dict, options: ImportOptions) -> dict:
    test = str(data.get("TestName", ""))
    time = _utc(data.get("TestStartTime"), options)
    kind = CONNECTION_KINDS.get(str(data.get("MurakamiConnectionType", "")).strip().lower(),
                                "unknown")
    common = dict(time_utc=time, interface_kind=kind)
    if test == "ookla-speedtest":
        return _record(options, "murakami-ookla", (data.get("ResultId") or time.isoformat(),),
                       download_bps=8 * float(data["DownloadBandwidth"]),
                       upload_bps=8 * float(data["UploadBandwidth"]),
                       bytes_received=data.get("DownloadBytes"),
                       bytes_sent=data.get("UploadBytes"),
                       latency_ms=_finite(data.get("PingLatency")),
                       jitter_ms=_finite(data.get("PingJitter")),
                       packet_loss_pct=_finite(data.get("PacketLoss")), isp=data.get("Isp"),
                       server_id=str(data.get("ServerId")), server_name=data.get("ServerName"),
                       server_host=data.get("ServerHost"), **common)
    if test in ("ndt5", "ndt7"):
        if data.get("DownloadError") and data.get("UploadError"):
            raise ValueError(f"the test failed: {data.get('DownloadError')}")
        return _record(options, f"murakami-{test}", (data.get("DownloadUUID") or time.isoformat(),),
                       download_bps=_murakami_rate(data, "Download"),
                       upload_bps=_murakami_rate(data, "Upload"),
                       latency_ms=_finite(data.get("MinRTTValue")),
                       server_name=data.get("ServerName"), **common)
    raise ValueError(f"unknown Murakami test {test!r} (ndt5, ndt7 or ookla-speedtest)")


def parse_iperf3(path: Path, options: ImportOptions) -> Iterator[Row]:
    """iperf3 ``-J`` output: one speed test per run (download when the server sent, as
    with ``-R``; otherwise upload), from ``end.sum_received``."""
    text = read_text(path)
    documents = json_documents(text, path.name)
    if not documents:
        raise InputFormatError(f"{path.name} holds no iperf3 JSON (iperf3 -J): is it the "
                               "right format?")
    printed = set()
    for index, document in enumerate(documents, start=1):
        text = json.dumps(document, sort_keys=True)
        if text in printed:  # iperf3 3.16/3.17 print the same JSON twice
            continue
        printed.add(text)
        yield _guarded(text[:20000], f"document {index}", lambda d=document: iperf3_result(d, options))


def iperf3_result(data: dict, options: ImportOptions) -> dict:
    if data.get("error") and not data.get("end"):
        raise ValueError(f"iperf3 reported: {data['error']}")
    start, end = data["start"], data["end"]
    time = datetime.fromtimestamp(int(start["timestamp"]["timesecs"]), timezone.utc)
    received = end.get("sum_received") or end.get("sum") or {}
    rate = _finite(received.get("bits_per_second"))
    if rate is None:
        raise ValueError("no finite end.sum_received.bits_per_second")
    reverse = bool((start.get("test_start") or {}).get("reverse"))
    host = (start.get("connecting_to") or {}).get("host")
    return _record(options, "iperf3", (start.get("cookie") or time.isoformat(), rate),
                   time_utc=time, server_host=host,
                   download_bps=rate if reverse else None, upload_bps=None if reverse else rate,
                   bytes_received=received.get("bytes") if reverse else None,
                   bytes_sent=None if reverse else received.get("bytes"))

