"""Benchmark: the coverage engine end to end on a simulated province campaign, and
the default interpolator against PyKrige and scikit-learn's GP on the same folds.

Run:  python benchmarks/bench_engine.py [--readings 1000000] [--cv-readings 60000]

Prints wall time and peak memory (RSS) of ``phusong estimate`` in its own process,
against the targets of issue 3 (≤ 30 s, ≤ 3 GB on 2 cores), then a table of
spatial-block CV RMSE and time with ratios to the default (pathloss).
Needs the ``bench`` extra (PyKrige).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from phusong.coverage import load_boundaries
from phusong.coverage.evaluate import evaluate_store, scores_table
from phusong.sim import SITES_DECLARED_CSV, SimulationConfig, simulate

ESTIMATE = """
import resource, sys, time
from phusong.coverage import estimate_coverage, load_boundaries, write_estimate
from phusong.coverage.sites import read_sites
start = time.perf_counter()
sites = read_sites(sys.argv[3]) if len(sys.argv) > 3 else None
result = estimate_coverage(sys.argv[1], load_boundaries(), sites=sites)
write_estimate(result, sys.argv[2])
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def end_to_end(readings: int, work: Path) -> None:
    start = time.perf_counter()
    sim = simulate(work / "big", load_boundaries(), SimulationConfig(n_readings=readings))
    print(f"simulated {readings:,} readings in {time.perf_counter() - start:.1f} s")
    declared = sim.store_path.parent / SITES_DECLARED_CSV
    for label, extra in (("readings alone", []), ("with the site list", [str(declared)])):
        out = subprocess.run([sys.executable, "-c", ESTIMATE, str(sim.store_path),
                              str(work / "est"), *extra],
                             capture_output=True, text=True, check=True).stdout.split()
        seconds, peak_kib = float(out[0]), int(out[1])
        print(f"estimate end to end, {label} (100 m grid, with uncertainty): {seconds:.1f} s "
              f"(target 30 s), peak RSS {peak_kib / 2**20:.2f} GB (target 3 GB)")


def against_peers(readings: int, work: Path) -> None:
    sim = simulate(work / "cv", load_boundaries(), SimulationConfig(n_readings=readings, seed=5))
    scores = scores_table(evaluate_store(sim.store_path, "EPSG:9214",
                                         ("pathloss", "pykrige", "gp", "kriging", "idw")))
    base = scores.set_index("method").loc["pathloss"]
    scores["rmse_ratio"] = scores["rmse_db"] / base["rmse_db"]
    scores["time_ratio"] = scores["seconds"] / base["seconds"]
    print(f"\nspatial-block (1 km) 5-fold CV on {readings:,} readings, same folds:")
    print(scores[["method", "rmse_db", "share_error_pp", "seconds", "rmse_ratio",
                  "time_ratio"]].round(3).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--cv-readings", type=int, default=60_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(args.readings, Path(tmp))
        if args.cv_readings:
            against_peers(args.cv_readings, Path(tmp))
    print(f"\nbenchmark process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")


if __name__ == "__main__":
    main()
