"""Import the Hamburg–Bremen drive tests through ``phusong import table`` and count them.

Run:  python benchmarks/import_real.py PATH/TO/hamburg_bremen_2021/drives [--store FILE]

The data are real (ENQT GmbH / HAW Hamburg, CC BY-NC 4.0) and not shipped with phusong;
the mapping is benchmarks/mappings/hamburg_bremen_2021.toml. Prints the rows imported
and quarantined (by reason), and per operator the LTE readings with RSRP, with an
E-UTRAN cell identity and an eNB (site) identity, and the distinct cells and sites.
"""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPING = Path(__file__).resolve().parent / "mappings" / "hamburg_bremen_2021.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drives", type=Path)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    store = args.store or Path(tempfile.mkdtemp()) / "hamburg_bremen.gpkg"
    files = sorted(str(p) for p in args.drives.glob("*.geojson"))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "phusong.cli", "--lang", "en", "import", "table",
                    *files, "--store", str(store), "--mapping", str(MAPPING),
                    "--region", "any"], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    with sqlite3.connect(store) as conn:
        total = conn.execute("SELECT count(*) FROM signal_readings").fetchone()[0]
        refused = conn.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason "
                               "ORDER BY 2 DESC").fetchall()
        per_operator = conn.execute(
            "SELECT operator, count(lte_rsrp_dbm), count(eci), count(enb_id), "
            "count(DISTINCT eci), count(DISTINCT enb_id) FROM signal_readings "
            "WHERE technology = 'LTE' GROUP BY operator").fetchall()
    print(f"{len(files)} files, {total:,} readings imported, "
          f"{sum(n for _, n in refused):,} quarantined, in {elapsed:.1f} s; store {store}")
    for reason, n in refused:
        print(f"  quarantined {n} × {reason}")
    print("operator  LTE RSRP readings  with ECI  with eNB  cells  sites")
    for operator, rsrp, eci, enb, cells, sites in per_operator:
        print(f"{operator:8}  {rsrp:17,}  {eci:8,}  {enb:8,}  {cells:5}  {sites:5}")
    print(f"all       {sum(r[1] for r in per_operator):17,}")


if __name__ == "__main__":
    main()
