"""What a reading says about 5G at its position.

In NR-NSA networks an idle phone camps on LTE even where NR is available, so a
reading without NR is evidence of "no 5G" only when it comes from a 5G-capable
device with data active (GUIDE §4, G-NetTrack's ``State``; the probe's own
traffic). Such readings enter the interpolation at :data:`NO_NR_DBM`, a value
below any attach threshold: the NR signal there was too weak to be used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from phusong.probes import SIGNAL_LAYER, ReadingStore

from .grid import wgs84_to

NR_TECHNOLOGIES = ("NR-NSA", "NR-SA")
NO_NR_DBM = -140.0
EVIDENCE_COLUMNS = ("time_utc", "technology", "nr_ss_rsrp_dbm", "device_state", "device_5g_capable",
                    "operator", "cell_id", "synthetic")


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
    active = readings["device_state"].eq("data").fillna(False).astype(bool)
    absent = ~readings["technology"].isin(NR_TECHNOLOGIES) & capable & active
    evidence = readings[measured | absent].copy()
    evidence["value"] = np.where(
        measured[measured | absent], evidence["nr_ss_rsrp_dbm"].astype(float), NO_NR_DBM
    )
    evidence["nr_measured"] = measured[measured | absent].to_numpy()
    return evidence


def load_signal_xy(store_path: str | Path, crs: str,
                   columns: tuple[str, ...] | None = EVIDENCE_COLUMNS,
                   where: str | None = None) -> pd.DataFrame:
    """Signal readings that have a fix, with projected ``x``/``y`` in ``crs``.

    Only ``columns`` are read (what :func:`nr_evidence` needs by default; all with
    ``None``), and only the rows meeting the SQL condition ``where`` if given. The
    store is opened read-only.
    """
    condition = "has_fix = 1" + (f" AND ({where})" if where else "")
    with ReadingStore(store_path, readonly=True) as store:
        frame = store.read_table(SIGNAL_LAYER, where=condition, columns=columns)
    frame = frame[frame["lon"].notna()].reset_index(drop=True)
    frame["x"], frame["y"] = wgs84_to(crs).transform(frame.pop("lon").to_numpy(),
                                                     frame.pop("lat").to_numpy())
    return frame
