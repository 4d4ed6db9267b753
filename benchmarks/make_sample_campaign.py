"""Write data/sample/: a small campaign in the formats staff bring, for the README's examples.

Run:  python benchmarks/make_sample_campaign.py

The readings come from the simulator (seed 7, labelled synthetic in data/README.md), so
they hold no one's personal data: a G-NetTrack-style main log of one phone driving part
of Bắc Ninh (times in Vietnam's local time, 5G NSA rows carrying both legs: the NR cell's in the
serving columns, the LTE anchor's in ``SecondCell_*``) and a
speedtest-cli ``--json`` result.
"""
from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from phusong.coverage import load_boundaries
from phusong.sim import SimulationConfig, simulate
from phusong.probes import SIGNAL_LAYER, ReadingStore

OUT = Path(__file__).resolve().parents[1] / "data" / "sample"
# G-NetTrack Pro's own layout: a 5G row's serving values are the NR cell's, the NSA
# anchor's in SecondCell_* (see phusong.probes.gnettrack).
HEADER = ("Timestamp", "Longitude", "Latitude", "Operator", "NetworkTech", "Level", "Qual",
          "SNR", "SecondCell_RSRP", "SecondCell_RSRQ", "SecondCell_SNR", "Node", "CellID", "LAC",
          "State")
VIETNAM = timezone(timedelta(hours=7))


def _value(value: object) -> str:
    return "-" if value is None or value != value else f"{value:g}" \
        if isinstance(value, float) else str(value)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sim = simulate(Path(tmp), load_boundaries(), SimulationConfig(seed=7, n_readings=3000))
        with ReadingStore(sim.store_path, readonly=True) as store:
            frame = store.read_table(SIGNAL_LAYER)
    phone = frame[(frame["probe_id"] == frame["probe_id"].iloc[0]) & frame["has_fix"]].head(300)
    lines = ["\t".join(HEADER)]
    for row in phone.itertuples():
        when = datetime.fromisoformat(row.time_utc.replace("Z", "+00:00")).astimezone(VIETNAM)
        nr = row.technology.startswith("NR")
        node, _, cell = str(row.cell_id or "-").rpartition("-")
        lte = (row.lte_rsrp_dbm, row.lte_rsrq_db, row.lte_sinr_db)
        serving = (row.nr_ss_rsrp_dbm, row.nr_ss_rsrq_db, row.nr_ss_sinr_db) if nr else lte
        lines.append("\t".join(_value(v) for v in (
            when.strftime("%Y.%m.%d_%H.%M.%S"), f"{row.lon:.6f}", f"{row.lat:.6f}",
            row.operator.replace("-", ""), "5G" if nr else "4G", *serving,
            *(lte if nr else (None, None, None)), None, None, None,
            "D" if row.device_state == "data" else "I")))
    (OUT / "gnettrack_sample.txt").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = {"download": 187_400_000.0, "upload": 41_200_000.0, "ping": 14.2,
              "server": {"id": "9903", "name": "Bắc Ninh", "host": "speedtest.example:8080"},
              "timestamp": "2025-10-01T03:15:00.000000Z", "bytes_sent": 52_000_000,
              "bytes_received": 236_000_000, "client": {"isp": "Sample ISP"}}
    (OUT / "speedtest_sample.json").write_text(json.dumps(result, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    print(f"wrote {len(lines) - 1} log rows and one speed test to {OUT}")


if __name__ == "__main__":
    main()
