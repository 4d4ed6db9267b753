"""Calibration of the figures the province signs, against the simulator's ground truth.

For each seed: simulate a campaign, estimate it with the operators' site list and
from the readings alone, and compare with the truth:

* interval coverage: the share of communes whose 90 % interval holds the true share,
  for communes with enough data and for those without (target 85–95 %);
* wrong side: among communes called met (P ≥ 0.9) or not met (P ≤ 0.1), the share on
  the wrong side of the target (target ≤ 10 %);
* the province figure, its interval, and whether the interval holds the truth;
* the share's error against the truth for communes with enough data (RMSE and mean, pp).

Run:  python benchmarks/calibration.py [--seeds 1,2,3,4,5] [--readings 20000]
      [--modes list,readings] [--workdir DIR] [--variant default|misspecified|sectorised|roads|traffic|hysteresis|device-offsets]

The ``misspecified`` variant drives the campaign with what the estimator does not model:
6 dB car penetration loss, per-device offsets of 3 dB, NR released 5 dB below its attach
level and added only with traffic (70 % of readings), and drives along a road network;
the car loss is declared to the estimate (``--vehicle-loss-db 6``) unless
``--undeclared-car-loss``. ``sectorised`` gives every site three 65° sectors (TR 38.901
antenna pattern); ``roads``, ``traffic``, ``hysteresis`` and ``device-offsets`` take the
mis-specifications one at a time. The simulator is otherwise built on the estimator's
own assumptions: these figures are in-model, not evidence that the intervals are honest
on real networks.
"""
from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from phusong.coverage import estimate_coverage, load_boundaries
from phusong.coverage.gigabit import read_declarations
from phusong.sim import (DECLARATIONS_CSV, SITES_DECLARED_CSV, TRUTH_TABLE, VARIANTS,
                         simulated_campaign)
from phusong.coverage.sites import read_sites

TARGET = 60.0


@dataclass
class Calibration:
    seed: int
    mode: str
    n_sufficient: int
    covered_sufficient: float
    n_insufficient: int
    covered_insufficient: float
    n_decided: int
    wrong_side: float
    n_uncertain: int
    province: float
    province_low: float
    province_high: float
    province_truth: float
    width_sufficient: float
    width_insufficient: float
    rmse_sufficient: float  # pp, the share against the truth, communes with data
    bias_sufficient: float


def calibrate(seed: int, readings: int, mode: str, units, workdir: Path,
              n_realisations: int = 100, variant: str = "default",
              declared_loss: bool = True) -> Calibration:
    """One campaign, one mode (``list`` or ``readings``), compared with its truth; the
    car loss of a variant is declared to the estimate (``--vehicle-loss-db``) unless
    ``declared_loss`` is false."""
    sim_dir = simulated_campaign(workdir, variant, seed, readings, units)
    sites = read_sites(sim_dir / SITES_DECLARED_CSV) if mode == "list" else None
    result = estimate_coverage(sim_dir / "campaign.gpkg", units, sites=sites,
                               vehicle_loss_db=VARIANTS[variant].get("car_loss_db", 0.0)
                               if declared_loss else 0.0,
                               declarations=read_declarations(sim_dir / DECLARATIONS_CSV),
                               n_realisations=n_realisations)
    truth = pd.read_csv(sim_dir / "truth" / TRUTH_TABLE, dtype={"code": str})
    table = pd.DataFrame(result.communes.drop(columns="geometry")).merge(truth, on="code")
    true_share = table["true_share_5g_pop_pct"]
    inside = table["share_5g_low_pct"].le(true_share + 1e-6) & \
        table["share_5g_high_pct"].ge(true_share - 1e-6)
    sufficient = table["status"] != "insufficient_data"
    decided = table["status"].isin(["met", "not_met"])
    wrong = (table["status"].eq("met") & (true_share < TARGET)) | \
        (table["status"].eq("not_met") & (true_share >= TARGET))
    pop = table["population_x"] if "population_x" in table else table["population"]
    summary = result.summary
    width = table["share_5g_high_pct"] - table["share_5g_low_pct"]
    error = (table["share_5g_model_pct"] - true_share)[sufficient]
    return Calibration(
        seed, mode, int(sufficient.sum()), float(inside[sufficient].mean()),
        int((~sufficient).sum()), float(inside[~sufficient].mean()),
        int(decided.sum()), float(wrong[decided].mean()) if decided.any() else 0.0,
        int(table["status"].eq("uncertain").sum()),
        summary["province_share_5g_pct"], summary["province_share_5g_low_pct"],
        summary["province_share_5g_high_pct"], float((pop * true_share).sum() / pop.sum()),
        float(width[sufficient].mean()), float(width[~sufficient].mean()),
        float(np.sqrt((error**2).mean())), float(error.mean()))


def run(seeds: list[int], readings: int, modes: list[str],
        n_realisations: int = 100, variant: str = "default",
        declared_loss: bool = True, workdir: Path | None = None) -> pd.DataFrame:
    """The study's rows; campaigns are simulated in ``workdir`` (kept, and reused by a
    later run) or in a temporary directory."""
    units = load_boundaries()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for mode in modes:
                rows.append(calibrate(seed, readings, mode, units, Path(workdir or tmp),
                                      n_realisations, variant, declared_loss))
    return pd.DataFrame([vars(r) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--modes", default="list,readings")
    parser.add_argument("--variant", choices=tuple(VARIANTS), default="default")
    parser.add_argument("--undeclared-car-loss", action="store_true",
                        help="Do not tell the estimate the variant's car loss.")
    parser.add_argument("--workdir", type=Path,
                        help="Keep the simulated campaigns here and reuse them on later runs.")
    args = parser.parse_args()
    frame = run([int(s) for s in args.seeds.split(",")], args.readings, args.modes.split(","),
                variant=args.variant, declared_loss=not args.undeclared_car_loss,
                workdir=args.workdir)
    frame["province_inside"] = (frame["province_low"] <= frame["province_truth"]) & \
        (frame["province_truth"] <= frame["province_high"])
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:.3f}".format):
        print(frame.to_string(index=False))
        for mode, part in frame.groupby("mode"):
            covered = np.average(
                np.r_[part["covered_sufficient"], part["covered_insufficient"]],
                weights=np.r_[part["n_sufficient"], part["n_insufficient"]])
            print(f"\n{mode}: interval coverage, all communes {covered:.1%} "
                  f"(with data {part['covered_sufficient'].mean():.1%}, without "
                  f"{part['covered_insufficient'].mean():.1%}); wrong side among decided "
                  f"{np.average(part['wrong_side'], weights=part['n_decided']):.1%}; "
                  f"province interval holds the truth in {part['province_inside'].sum()} "
                  f"of {len(part)}; share error with data: RMSE "
                  f"{np.sqrt(np.average(part['rmse_sufficient'] ** 2, weights=part['n_sufficient'])):.2f} pp, "
                  f"mean {np.average(part['bias_sufficient'], weights=part['n_sufficient']):+.2f} pp")


if __name__ == "__main__":
    main()
