"""Benchmark: importing a large G-NetTrack log, against a plain pandas.read_csv of it.

Run:  python benchmarks/bench_import.py [--rows 200000]

Builds a G-NetTrack main log of ``--rows`` rows in Bắc Ninh from the rows of the real
capture in tests/fixtures (times one second apart, positions along a line), imports it
into a new store in one process, and prints rows per second and the ratio of the
import's time to ``pandas.read_csv`` of the same file (the floor of any importer that
validates each row). A second import of the same file shows the duplicate check's cost.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from phusong.probes import ReadingStore, gnettrack
from phusong.probes.importing import ImportOptions, import_file

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real" / "gnettrack" / \
    "Orange_log.head41.txt"


def build_log(path: Path, rows: int) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], [line.split("\t") for line in lines[1:]]
    names = header.split("\t")
    t, lon, lat, operator = (names.index(n) for n in ("Timestamp", "Longitude", "Latitude",
                                                      "Operator"))
    start = datetime(2025, 10, 1, 7, 0, 0)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\r\n")
        for i in range(rows):
            values = list(body[i % len(body)])
            values[t] = (start + timedelta(seconds=i)).strftime("%Y.%m.%d_%H.%M.%S")
            values[lon] = f"{106.0 + 0.4 * i / rows:.6f}"
            values[lat] = f"{21.1 + 0.3 * i / rows:.6f}"
            values[operator] = "45204"
            out.write("\t".join(values) + "\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log, store_path = Path(tmp) / "log.txt", Path(tmp) / "store.gpkg"
        build_log(log, args.rows)
        started = time.perf_counter()
        pd.read_csv(log, sep="\t", dtype=str, index_col=False)
        read_csv = time.perf_counter() - started
        with ReadingStore(store_path) as store:
            started = time.perf_counter()
            first = import_file(store, gnettrack.parse, log, "gnettrack", ImportOptions())
            elapsed = time.perf_counter() - started
            started = time.perf_counter()
            again = import_file(store, gnettrack.parse, log, "gnettrack", ImportOptions())
            repeat = time.perf_counter() - started
    print(f"{args.rows:,} rows: imported {first.imported:,}, quarantined {first.quarantined:,} "
          f"in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s); pandas.read_csv "
          f"{read_csv:.2f} s; ratio {elapsed / read_csv:.0f}×")
    print(f"re-import: {again.imported} imported, {again.duplicates:,} duplicates in "
          f"{repeat:.1f} s ({args.rows / repeat:,.0f} rows/s)")


if __name__ == "__main__":
    main()
