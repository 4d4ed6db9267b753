"""Where a reading was taken: gpsd, NMEA (serial device or file), or a fixed site.

gpsd is asked to ``?WATCH`` in JSON and its ``TPV`` reports are used (``mode`` 2 or 3 is
a fix; ``eph`` the horizontal error in metres). NMEA sentences are read with pynmea2:
an ``RMC`` with status ``A`` gives the time and position of a fix, the last ``GGA``'s
HDOP its accuracy (HDOP × 5 m, a common receiver's UERE). A reading without a fix is
kept and flagged; when a track exists it is placed by interpolating the fixes around
it in time, with the accuracy stated.
"""
from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from phusong.store.tracks import (  # noqa: F401 - part of this module's API
    MAX_INTERPOLATION_GAP, UERE_M, interpolate_track, metres_between)



@dataclass(frozen=True)
class Fix:
    """A position fix: WGS 84 degrees, UTC time, horizontal error (m), and its source."""

    time_utc: datetime | None
    lon: float
    lat: float
    accuracy_m: float | None
    source: str

    def record(self) -> dict:
        return {"lon": self.lon, "lat": self.lat, "position_accuracy_m": self.accuracy_m,
                "position_source": self.source}


def nmea_fixes(lines: Iterable[str]) -> list[Fix]:
    """The fixes in NMEA sentences (RMC with status A; accuracy from the last GGA)."""
    import pynmea2

    fixes, hdop = [], None
    for line in lines:
        line = line.strip()
        if not line.startswith("$"):
            continue
        try:
            sentence = pynmea2.parse(line)
        except (pynmea2.ParseError, ValueError, AttributeError):
            continue
        kind = getattr(sentence, "sentence_type", None)  # proprietary sentences have none
        if kind == "GGA":
            hdop = _float(getattr(sentence, "horizontal_dil", None))
        elif kind == "RMC" and getattr(sentence, "status", "") == "A":
            fix = _rmc_fix(sentence, None if hdop is None else hdop * UERE_M)
            if fix is not None:
                fixes.append(fix)
    return fixes


def _rmc_fix(sentence, accuracy_m: float | None) -> Fix | None:
    """The fix of an RMC sentence; ``None`` when a garbled one (a serial line's noise in a
    sentence without a checksum) gives no date, time or position on the globe."""
    day, clock = getattr(sentence, "datestamp", None), getattr(sentence, "timestamp", None)
    if not (isinstance(day, date) and isinstance(clock, time)):
        return None
    try:
        lon, lat = float(sentence.longitude), float(sentence.latitude)
    except (TypeError, ValueError, AttributeError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        return None
    when = datetime.combine(day, clock)
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
    return Fix(when.astimezone(timezone.utc), lon, lat, accuracy_m, "gnss")


def _float(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def tpv_fix(report: dict) -> Fix | None:
    """A fix from a gpsd TPV report (``None`` without one)."""
    if report.get("class") != "TPV" or not isinstance(report.get("mode"), int) \
            or report["mode"] < 2:
        return None
    lon, lat = _float(report.get("lon")), _float(report.get("lat"))
    if lon is None or lat is None or abs(lon) > 180 or abs(lat) > 90:
        return None
    stamp = report.get("time")
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except (AttributeError, ValueError):
        return None
    return Fix(when, lon, lat, _float(report.get("eph")), "gnss")


def gpsd_fix(host: str = "127.0.0.1", port: int = 2947, timeout: float = 10.0) -> Fix | None:
    """The first fix gpsd reports within ``timeout`` seconds (``None`` without one).

    Raises
    ------
    OSError
        When gpsd cannot be reached.
    """
    deadline = datetime.now(timezone.utc) + timedelta(seconds=timeout)
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(b'?WATCH={"enable":true,"json":true}\n')
        stream = connection.makefile("r", encoding="utf-8", errors="replace")
        while datetime.now(timezone.utc) < deadline:
            line = stream.readline()
            if not line:
                return None
            try:
                report = json.loads(line)
            except json.JSONDecodeError:
                continue
            fix = tpv_fix(report)
            if fix is not None and fix.time_utc is not None:
                return fix
    return None


def mmcli_location(text: str) -> Fix | None:
    """The fix in ``mmcli -m any --location-get -J`` (``modem.location.gps``): its NMEA
    sentences when the modem gives them (read like any NMEA), else its latitude and
    longitude; ``None`` without a fix (ModemManager writes ``--`` for unknown)."""
    gps = json.loads(text).get("modem", {}).get("location", {}).get("gps", {})
    nmea = gps.get("nmea") or []
    fixes = nmea_fixes(nmea if isinstance(nmea, list) else str(nmea).splitlines())
    if fixes:
        return fixes[-1]
    lat, lon = _float(gps.get("latitude")), _float(gps.get("longitude"))
    if lat is None or lon is None:
        return None
    utc = gps.get("utc")
    when = None
    if utc and utc != "--":
        try:
            when = datetime.fromisoformat(str(utc).replace("Z", "+00:00"))
        except ValueError:
            when = None
    return Fix(when, lon, lat, None, "gnss")


def fixed_site(lon: float, lat: float, accuracy_m: float | None = None) -> Fix:
    """A reading taken at a surveyed site."""
    return Fix(None, lon, lat, accuracy_m, "manual")


def interpolate(track: list[Fix], when: datetime) -> Fix | None:
    """The position at ``when`` between the two fixes around it (``None`` outside the
    track or across a gap longer than ``MAX_INTERPOLATION_GAP``); see
    :func:`interpolate_track`."""
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    seconds = lambda t: (t - epoch).total_seconds()  # noqa: E731
    lon, lat, accuracy = interpolate_track(
        np.array([seconds(f.time_utc) for f in track]), np.array([f.lon for f in track]),
        np.array([f.lat for f in track]),
        np.array([np.nan if f.accuracy_m is None else f.accuracy_m for f in track]),
        np.array([seconds(when)]))
    if np.isnan(lon[0]):
        return None
    return Fix(when, float(lon[0]), float(lat[0]), float(accuracy[0]), "track")
