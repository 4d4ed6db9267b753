"""Benchmark: the coverage engine end to end on a simulated province campaign, and
the default interpolator against PyKrige and scikit-learn's GP on the same folds.

Run:  python benchmarks/bench_engine.py [--readings 1000000] [--cv-readings 60000]
      [--store CAMPAIGN.gpkg] [--repeats 3]

Prints wall time (median of ``--repeats`` runs) and peak memory (RSS) of the estimate, each
run in its own process,
against the targets (≤ 15 s, ≤ 2 GB on 2 cores), beside the floor for the same readings
and grid (a k-d tree and 16-neighbour inverse-distance weighting, nothing else); the
default's spatial-block cross-validation calibrated (cross-fitted, as ``evaluate`` does;
nested, as ``estimate`` calibrates in each fold) and uncalibrated; then a table of
spatial-block CV RMSE and time with ratios to the default (pathloss). ``--readings 0`` or
``--cv-readings 0`` skips a part.
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
from phusong.coverage import estimate as stages, load_boundaries, write_estimate
from phusong.coverage.sites import read_sites
seconds = {}
def clocked(name, run):
    def stage(*args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return run(*args, **kwargs)
        finally:
            seconds[name] = (time.perf_counter() - started, time.process_time() - cpu)
    return stage
for name in ("read_evidence", "predict_fields", "share_intervals"):
    setattr(stages, name, clocked(name, getattr(stages, name)))
start, cpu = time.perf_counter(), time.process_time()
sites = read_sites(sys.argv[3]) if len(sys.argv) > 3 else None
result = stages.estimate_coverage(sys.argv[1], load_boundaries(), sites=sites)
clocked("write_estimate", write_estimate)(result, sys.argv[2])
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      f"CPU={time.process_time() - cpu:.1f}",
      *(f"{name}={wall:.1f}(CPU={busy:.1f})" for name, (wall, busy) in seconds.items()))
"""


def end_to_end(readings: int, work: Path, repeats: int, store: Path | None = None) -> None:
    if store is None:
        start = time.perf_counter()
        store = simulate(work / "big", load_boundaries(),
                         SimulationConfig(n_readings=readings)).store_path
        print(f"simulated {readings:,} readings in {time.perf_counter() - start:.1f} s")
    declared = store.parent / SITES_DECLARED_CSV
    floor = sorted(idw_floor(store) for _ in range(repeats))[repeats // 2]
    print(f"floor on the same readings and grid (k-d tree + 16-neighbour IDW), median of "
          f"{repeats}: {floor:.2f} s")
    for label, extra in (("readings alone", []), ("with the site list", [str(declared)])):
        runs = sorted((_estimate_once(store, work / "est", extra)
                       for _ in range(repeats)), key=lambda run: run[0])
        seconds, _, stages = runs[len(runs) // 2]
        peak_kib = max(run[1] for run in runs)
        print(f"estimate end to end, {label} (100 m grid, with uncertainty), median of "
              f"{repeats} runs: {seconds:.1f} s (runs {runs[0][0]:.1f}-{runs[-1][0]:.1f} s; "
              f"target 15 s; {seconds / floor:.1f}x the floor), peak RSS "
              f"{peak_kib / 2**20:.2f} GB at most (target 2 GB); its stages, seconds (CPU "
              f"seconds of both cores): {stages}")
    operator_costs(store, declared)


def _estimate_once(store: Path, out: Path, extra: list[str]) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) and the stages' seconds (wall and CPU) of one estimate in its
    own process."""
    printed = subprocess.run([sys.executable, "-c", ESTIMATE, str(store), str(out), *extra],
                             capture_output=True, text=True, check=True).stdout.split()
    return float(printed[0]), int(printed[1]), " ".join(printed[2:])


def operator_costs(store: Path, declared: Path) -> None:
    """One operator's share of the estimate, alone: its fit without and with the
    calibration, and with the site list ``declared`` and the readings' serving cells, and its
    prediction at every cell of the grid."""
    from phusong.coverage.evidence import attribute_operators, evidence_for, load_signal_xy
    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.interpolate import PathLossKriging
    from phusong.coverage.operators import fit_kwargs, operator_model, project_sites
    from phusong.coverage.sites import read_sites

    units = load_boundaries()
    evidence, _ = attribute_operators(evidence_for(load_signal_xy(store, units.crs.to_string()),
                                                   "nr"))
    operator, rows = next(iter(evidence.groupby("operator")))
    X, y = rows[["x", "y"]].to_numpy(), rows["value"].to_numpy()
    member = membership(grid_for(units, 100.0), units)
    cells = member.grid.centres(member.cells())
    timings = {}
    for calibrate in (False, True):
        start = time.perf_counter()
        model = operator_model(PathLossKriging(calibrate=calibrate), operator, rows)
        model.fit(X, y, **fit_kwargs(model, rows))
        timings[calibrate] = time.perf_counter() - start
    start = time.perf_counter()
    model.predict(cells, return_std=True)
    predicted = time.perf_counter() - start
    sites = project_sites(read_sites(declared), units.crs.to_string())
    start = time.perf_counter()
    listed = operator_model(PathLossKriging(), operator, rows, sites)
    listed.fit(X, y, **fit_kwargs(listed, rows))
    print(f"one operator ({operator}, {len(rows):,} readings): fit {timings[False]:.1f} s "
          f"without the calibration, {timings[True]:.1f} s with it, "
          f"{time.perf_counter() - start:.1f} s with the site list ({listed.n_unlisted_} of "
          f"{rows['cell_id'].nunique():,} serving cells added as sites the list lacks); "
          f"prediction at {len(cells):,} cells {predicted:.1f} s")


def idw_floor(store: Path) -> float:
    """Seconds to build a k-d tree of the evidence and weight 16 neighbours at every cell
    of the estimate's grid: what no estimate of these readings can beat by much."""
    import numpy as np
    from scipy.spatial import cKDTree

    from phusong.coverage.evidence import load_signal_xy, nr_evidence
    from phusong.coverage.grid import grid_for, membership

    units = load_boundaries()
    evidence = nr_evidence(load_signal_xy(store, units.crs.to_string()))
    member = membership(grid_for(units, 100.0), units)
    xy = member.grid.centres(member.cells())
    start = time.perf_counter()
    distance, index = cKDTree(evidence[["x", "y"]].to_numpy()).query(xy, k=16, workers=-1)
    weights = 1 / np.maximum(distance, 1.0) ** 2
    values = evidence["value"].to_numpy()[index]
    (weights * values).sum(axis=1) / weights.sum(axis=1)
    return time.perf_counter() - start


def calibration_cost(store: Path) -> None:
    """The default's spatial-block CV: calibrated as the CV does it (cross-fitted), as the
    estimate does it inside every fold (nested), and uncalibrated; times and scores."""
    import numpy as np

    from phusong.coverage.evaluate import _score, cross_validated_predictions, spatial_folds
    from phusong.coverage.evidence import load_signal_xy, nr_evidence
    from phusong.coverage.interpolate import PathLossKriging

    evidence = nr_evidence(load_signal_xy(store, "EPSG:9214")).reset_index(drop=True)
    evidence["cell_id"] = None  # as estimate without a site list
    folds = spatial_folds(evidence[["x", "y"]].to_numpy(), 1000.0, 5, np.random.default_rng(0))
    runs = {label: _score(label, evidence, cross_validated_predictions(
                evidence, PathLossKriging(calibrate=calibrate), folds, nested=nested))
            for label, calibrate, nested in (("cross-fitted", True, False),
                                             ("nested", True, True),
                                             ("uncalibrated", False, False))}
    base = runs["uncalibrated"].seconds
    print(f"default's 5-fold CV on {len(evidence):,} readings:")
    for label, score in runs.items():
        print(f"  {label:>12}: {score.seconds:.2f} s ({score.seconds / base:.2f}x the "
              f"uncalibrated; target <= 2), RMSE {score.rmse_db:.2f} dB, Brier "
              f"{score.brier:.4f}, share error {score.share_error_pp:+.2f} pp")


def against_peers(readings: int, work: Path) -> None:
    sim = simulate(work / "cv", load_boundaries(), SimulationConfig(n_readings=readings, seed=5))
    calibration_cost(sim.store_path)
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
    parser.add_argument("--repeats", type=int, default=3,
                        help="estimates per configuration (the median is printed: this "
                             "machine's speed varies by 10-25 %% from hour to hour)")
    parser.add_argument("--store", type=Path, default=None,
                        help="time the estimates on this campaign (a store made by "
                             "phusong simulate, its site list beside it) instead of "
                             "simulating --readings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.readings or args.store:
            end_to_end(args.readings, Path(tmp), args.repeats, args.store)
        if args.cv_readings:
            against_peers(args.cv_readings, Path(tmp))
    print(f"\nbenchmark process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")


if __name__ == "__main__":
    main()
