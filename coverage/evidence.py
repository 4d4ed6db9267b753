"""What a reading says about 5G at its position.

In NR-NSA networks an idle phone camps on LTE even where NR is available, so a
reading without NR is evidence of "no 5G" only when it comes from a 5G-capable
device with data active (3GPP TS 37.340: the NR leg of EN-DC is added during data
activity; G-NetTrack Pro's ``State`` column; the probe's own
traffic). Such readings enter the interpolation at :data:`NO_NR_DBM`, a value
below any attach threshold: the NR signal there was too weak to be used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from phusong.store import SIGNAL_LAYER, ReadingStore

from .grid import utm_crs_at, wgs84_to

NR_TECHNOLOGIES = ("NR-NSA", "NR-SA")
LTE_TECHNOLOGIES = ("LTE", "NR-NSA")
FALLBACK_TECHNOLOGIES = ("GSM", "UMTS", "NONE")
NO_NR_DBM = -140.0
NO_LTE_DBM = -145.0
TECHNOLOGY_CHOICES = ("nr", "lte")
EVIDENCE_COLUMNS = ("time_utc", "technology", "nr_ss_rsrp_dbm", "lte_rsrp_dbm", "device_state",
                    "device_5g_capable", "operator", "cell_id", "synthetic")


def nr_evidence(readings: pd.DataFrame) -> pd.DataFrame:
    """Rows that say something about NR, with ``value`` = NR SS-RSRP or :data:`NO_NR_DBM`.

    Parameters
    ----------
    readings
        Signal readings as stored (``technology``, ``nr_ss_rsrp_dbm``,
        ``device_state``, ``device_5g_capable``, ``operator``, ``x``, ``y``).
    """
    measured = readings["technology"].isin(NR_TECHNOLOGIES) & readings["nr_ss_rsrp_dbm"].notna()
    capable = readings["device_5g_capable"].fillna(False).astype(bool)
    absent = ~readings["technology"].isin(NR_TECHNOLOGIES) & capable & _active(readings)
    return _evidence(readings, measured, absent, "nr_ss_rsrp_dbm", NO_NR_DBM)


def lte_evidence(readings: pd.DataFrame) -> pd.DataFrame:
    """Rows that say something about LTE, with ``value`` = LTE RSRP or :data:`NO_LTE_DBM`.

    A reading on LTE (or on an NSA anchor) gives its RSRP; a reading on 2G/3G from a
    device with data active says LTE was not usable there. ``nr_measured`` is kept as
    the name of "the technology's value was measured" for the models and scores.
    """
    measured = readings["technology"].isin(LTE_TECHNOLOGIES) & readings["lte_rsrp_dbm"].notna()
    absent = readings["technology"].isin(FALLBACK_TECHNOLOGIES) & _active(readings)
    return _evidence(readings, measured, absent, "lte_rsrp_dbm", NO_LTE_DBM)


def _active(readings: pd.DataFrame) -> pd.Series:
    return readings["device_state"].eq("data").fillna(False).astype(bool)


def _evidence(readings: pd.DataFrame, measured: pd.Series, absent: pd.Series, column: str,
              below: float) -> pd.DataFrame:
    """The rows measured or absent, ``value`` the measured ``column`` or ``below``."""
    kept = measured | absent
    evidence = readings[kept].copy()
    evidence["value"] = np.where(measured[kept], evidence[column].astype(float), below)
    evidence["nr_measured"] = measured[kept].to_numpy()
    return evidence


TRACK_GAP_S = 30.0
MISS_MARGIN_DB = 10.0
MIN_BRACKETED = 100
ATTACH_QUANTILE = 0.02
MIN_ATTACHES = 100


def _seconds(times: pd.Series) -> np.ndarray:
    """Seconds since the earliest of ``times``, ISO 8601 strings with their zone as the
    store writes them; NaN where one is missing or unreadable."""
    try:
        # Arrow parses the store's ISO strings ten times faster than pandas
        parsed = pc.cast(pa.array(times, from_pandas=True, type=pa.string()),
                         pa.timestamp("us", tz="UTC"))
        micro = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        parsed = pd.to_datetime(times, utc=True, errors="coerce", format="ISO8601")
        micro = parsed.dt.as_unit("us").astype("int64").to_numpy().astype(float)
        micro[parsed.isna().to_numpy()] = np.nan
    if np.isnan(micro).all():
        return micro
    return (micro - np.nanmin(micro)) / 1e6


def _on_tracks(evidence: pd.DataFrame,
               max_gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Whether the value was measured and the value, reading by reading in track order
    (operator, probe, time), and for each reading but the last whether the next one
    follows it on the same track within ``max_gap_s``; ``None`` without probes and times."""
    needed = {"probe_id", "time_utc", "operator", "value", "nr_measured"}
    if not needed <= set(evidence.columns) or evidence["time_utc"].isna().all():
        return None
    seconds = _seconds(evidence["time_utc"])
    timed = ~np.isnan(seconds)
    seconds = seconds[timed]
    operator = pd.factorize(evidence["operator"])[0][timed]
    probe = pd.factorize(evidence["probe_id"])[0][timed]
    order = np.lexsort((seconds, probe, operator))
    seconds, operator, probe = seconds[order], operator[order], probe[order]
    joined = ((operator[1:] == operator[:-1]) & (probe[1:] == probe[:-1])
              & (np.diff(seconds) <= max_gap_s))
    measured = evidence["nr_measured"].to_numpy(bool)[timed][order]
    values = evidence["value"].to_numpy(float)[timed][order]
    return measured, values, joined


def miss_rate_on_tracks(evidence: pd.DataFrame, level: float,
                        margin_db: float = MISS_MARGIN_DB, max_gap_s: float = TRACK_GAP_S,
                        min_bracketed: int = MIN_BRACKETED) -> float | None:
    """The share of readings that miss a signal they could have had, from the tracks.

    A reading whose previous and next readings by the same probe (each at most
    ``max_gap_s`` away) both measured at least ``margin_db`` above the attach ``level``
    was almost surely above it too: if it has no value, the device missed it (no
    traffic to add the NR leg, a dropped leg). The share of such bracketed readings
    without a value is the miss rate; ``None`` below ``min_bracketed`` of them.
    Misses in bursts longer than one reading are partly hidden, so this is a lower bound.
    """
    ordered = _on_tracks(evidence, max_gap_s)
    return None if ordered is None else _miss_rate(*ordered, level, margin_db, min_bracketed)


def attach_level_on_tracks(evidence: pd.DataFrame, quantile: float = ATTACH_QUANTILE,
                           max_gap_s: float = TRACK_GAP_S,
                           min_events: int = MIN_ATTACHES) -> float | None:
    """The level at which the NR leg is added, from the tracks: a low quantile of the
    first value measured after a reading without one (``None`` below ``min_events``).

    Networks release the leg below the level at which they add it (hysteresis), so
    the weakest values measured say where NR is dropped, not where it is added; a
    reading without NR (that is not a miss) lies below the level where it is added.
    Attaches after a miss come at any level and sit above the low quantile.
    """
    ordered = _on_tracks(evidence, max_gap_s)
    return None if ordered is None else _attach_level(*ordered, quantile, min_events)


def track_statistics(evidence: pd.DataFrame, weakest_dbm: float
                     ) -> tuple[float | None, float | None]:
    """The attach level (:func:`attach_level_on_tracks`) and the miss rate
    (:func:`miss_rate_on_tracks`, above the higher of that level and ``weakest_dbm``),
    the tracks put in order once."""
    ordered = _on_tracks(evidence, TRACK_GAP_S)
    if ordered is None:
        return None, None
    attach = _attach_level(*ordered, ATTACH_QUANTILE, MIN_ATTACHES)
    level = weakest_dbm if attach is None else max(weakest_dbm, attach)
    return attach, _miss_rate(*ordered, level, MISS_MARGIN_DB, MIN_BRACKETED)


def _miss_rate(measured: np.ndarray, values: np.ndarray, joined: np.ndarray, level: float,
               margin_db: float, min_bracketed: int) -> float | None:
    strong = measured & (values >= level + margin_db)
    bracketed = np.r_[False, joined & strong[:-1]] & np.r_[joined & strong[1:], False]
    if bracketed.sum() < min_bracketed:
        return None
    return float((~measured[bracketed]).mean())


def _attach_level(measured: np.ndarray, values: np.ndarray, joined: np.ndarray,
                  quantile: float, min_events: int) -> float | None:
    attach = np.r_[False, joined & ~measured[:-1] & measured[1:]]
    if attach.sum() < min_events:
        return None
    return float(np.quantile(values[attach], quantile))


def evidence_for(readings: pd.DataFrame, technology: str = "nr") -> pd.DataFrame:
    """The evidence about ``technology`` (``nr`` or ``lte``) in the readings."""
    if technology not in TECHNOLOGY_CHOICES:
        from phusong.errors import ConfigError

        raise ConfigError(f"unknown technology {technology!r}; choose nr or lte")
    return nr_evidence(readings) if technology == "nr" else lte_evidence(readings)


def attribute_operators(evidence: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Readings whose operator is unknown, given one where nothing else is possible: the
    only operator of their probe's other readings, else the store's only operator.
    Otherwise they stay ``unknown`` (a separate network in the models) with a warning:
    one operator split in two would be modelled twice.
    """
    missing = evidence["operator"].isna()
    if not missing.any():
        return evidence, []
    operator = evidence["operator"].astype(object).where(~missing)
    evidence = evidence.copy()
    known = operator[~missing].astype(str)
    if known.nunique() == 1:
        operator[missing] = known.iloc[0]
    elif "probe_id" in evidence and len(known):
        probes = evidence["probe_id"].fillna("")
        only = known.groupby(probes[~missing]).agg(lambda v: v.iloc[0] if v.nunique() == 1
                                                   else None)
        operator[missing] = probes[missing].map(only)
    evidence["operator"] = operator
    left = int(evidence["operator"].isna().sum())
    if not left:
        return evidence, []
    return evidence, [f"{left} readings name no operator and could not be given one: they are "
                      "modelled as a separate network 'unknown'; set the operator on import "
                      "(--operator, or --mapping for a table) if they belong to one"]


def load_signal_xy(store_path: str | Path, crs: str | None,
                   columns: tuple[str, ...] | None = EVIDENCE_COLUMNS,
                   where: str | None = None,
                   max_position_error_m: float | None = None) -> pd.DataFrame:
    """Signal readings with a position, with projected ``x``/``y`` in ``crs``.

    Readings taken without a fix are placed on their probe's track by time where fixes
    lie on both sides within 30 s (``position_source`` = track, with the accuracy
    stated), then readings whose position error exceeds ``max_position_error_m`` are
    left out. ``crs`` ``None`` is the UTM zone of the readings (in ``attrs["crs"]``).
    Only ``columns`` are read (what :func:`nr_evidence` needs by default; all
    with ``None``), and only the rows meeting the SQL condition ``where`` if given. The
    store is opened read-only.
    """
    needed = None if columns is None else tuple(dict.fromkeys(
        (*columns, "time_utc", "probe_id", "has_fix", "position_accuracy_m")
        + (("operator_name",) if "operator" in columns else ())))
    with ReadingStore(store_path, readonly=True) as store:
        frame = store.read_table(SIGNAL_LAYER, where=where, columns=needed)
    if "operator" in frame and "operator_name" in frame:
        # an operator a source names but does not code (an anonymised "A") stays apart
        frame["operator"] = frame["operator"].fillna(frame.pop("operator_name"))
    place_on_track(frame)
    placed = frame["lon"].notna().to_numpy(dtype=bool, copy=True)
    if max_position_error_m is not None:
        placed &= ~(frame["position_accuracy_m"] > max_position_error_m).to_numpy()
    # one copy of the readings kept, none when all are (a million readings' columns)
    frame = (frame if placed.all() else frame[placed]).reset_index(drop=True)
    if crs is None:
        crs = utm_crs_at(float(frame["lon"].median()), float(frame["lat"].median())) \
            if len(frame) else "EPSG:3857"
    frame.attrs["crs"] = crs
    frame["x"], frame["y"] = _projected(crs, frame.pop("lon").to_numpy(),
                                        frame.pop("lat").to_numpy())
    return frame


def _projected(crs: str, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lon``/``lat`` in ``crs``, in parts on every core (pyproj's transformers are
    thread-safe since 3.1 and release the GIL)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    transformer = wgs84_to(crs)
    parts = max(min(os.cpu_count() or 1, len(lon) // 100_000), 1)
    if parts == 1:
        return transformer.transform(lon, lat)
    bounds = np.linspace(0, len(lon), parts + 1).astype(int)
    with ThreadPoolExecutor(max_workers=parts) as pool:
        done = list(pool.map(lambda i: transformer.transform(lon[bounds[i]:bounds[i + 1]],
                                                             lat[bounds[i]:bounds[i + 1]]),
                             range(parts)))
    return np.concatenate([x for x, _ in done]), np.concatenate([y for _, y in done])


def place_on_track(frame: pd.DataFrame) -> None:
    """Fill the position of readings without a fix from their probe's fixes, in place."""
    missing = (frame["lon"].isna() & frame["time_utc"].notna()).to_numpy()
    if not missing.any():
        return
    from phusong.store.tracks import interpolate_track

    probe = pd.factorize(frame["probe_id"].fillna(""))[0]
    # only the probes with a reading to place: their times parsed, their fixes in time order
    rows = np.flatnonzero(np.isin(probe, np.unique(probe[missing])))
    seconds = _seconds(frame["time_utc"].iloc[rows])
    lon, lat = (frame[c].to_numpy(dtype=float, na_value=np.nan)[rows] for c in ("lon", "lat"))
    accuracy = frame["position_accuracy_m"].to_numpy(dtype=float, na_value=np.nan)[rows]
    fix = ~np.isnan(lon) & ~np.isnan(seconds)
    order = np.lexsort((seconds, probe[rows]))
    placed = {"lon": np.full(len(rows), np.nan), "lat": np.full(len(rows), np.nan),
              "position_accuracy_m": np.full(len(rows), np.nan)}
    for track in np.split(order, np.flatnonzero(np.diff(probe[rows][order])) + 1):
        fixes, holes = track[fix[track]], track[missing[rows[track]]]
        if len(fixes) < 2 or not len(holes):
            continue
        at = interpolate_track(seconds[fixes], lon[fixes], lat[fixes], accuracy[fixes],
                               seconds[holes])
        for column, values in zip(placed, at):
            placed[column][holes] = values
    done = ~np.isnan(placed["lon"])
    for column, values in placed.items():
        frame.loc[frame.index[rows[done]], column] = values[done]
