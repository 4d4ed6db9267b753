"""The interval draws' approximations against exact draws, on the same campaigns.

Two approximations make the estimate's interval draws cheap: a random sign per part of
their frequency-domain noise where a field's spectrum spreads over enough terms
(``coverage/fields.py``; ``--compare noise``: against normal noise), and fields drawn on
cells up to 0.8 of their correlation length wide (``coverage/uncertainty.py``;
``--compare cells``: against cells a fifth of it wide, the grid's where that is finer).
This script estimates simulated campaigns (with the operators' site list) both ways with
several draw seeds, and prints for each the communes' mean 90 % interval width and the
share of communes whose interval holds the true share (as ``communes.csv`` rounds it).
Widths and coverage should differ between the two no more than between draw seeds, or
the approximation should only widen the intervals.

Run:  python benchmarks/draw_noise.py [--compare noise|cells] [--seeds 1,2,3]
      [--draw-seeds 0,1] [--draws 100] [--readings 20000] [--workdir DIR]
"""
from __future__ import annotations

import argparse
import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import phusong.coverage.estimate as stages
import phusong.coverage.fields as fields
import phusong.coverage.uncertainty as uncertainty
from phusong.coverage import load_boundaries
from phusong.coverage.sites import read_sites
from phusong.sim import SITES_DECLARED_CSV, TRUTH_TABLE, simulated_campaign

# each comparison: the module, its setting, and the setting's value in each variant
VARIANTS = {
    "noise": (fields, "MIN_TERMS_FOR_SIGNS",
              {"normal": np.inf, "signs": fields.MIN_TERMS_FOR_SIGNS}),
    "cells": (uncertainty, "FIELD_CELL_PER_CORRELATION",
              {"fifth": 0.2, "0.8": uncertainty.FIELD_CELL_PER_CORRELATION}),
}


def scores(folder: Path, units, compare: str, variant: str, draw_seed: int,
           draws: int) -> dict:
    """One estimate's mean interval width and the share of communes holding the truth."""
    module, setting, values = VARIANTS[compare]
    setattr(module, setting, values[variant])
    simulate_coverage = stages.simulate_coverage
    stages.simulate_coverage = functools.partial(simulate_coverage, seed=draw_seed)
    try:
        result = stages.estimate_coverage(folder / "campaign.gpkg", units,
                                          sites=read_sites(folder / SITES_DECLARED_CSV),
                                          n_realisations=draws)
    finally:
        stages.simulate_coverage = simulate_coverage
    truth = pd.read_csv(folder / "truth" / TRUTH_TABLE, dtype={"code": str})
    table = result.communes.merge(truth, on="code")
    rated = table[table["status"] != "insufficient_data"].round(
        {"share_5g_low_pct": 2, "share_5g_high_pct": 2})
    true = rated["true_share_5g_area_pct"]
    inside = ((true >= rated["share_5g_low_pct"] - 1e-6)
              & (true <= rated["share_5g_high_pct"] + 1e-6))
    return {"width_pp": float((rated["share_5g_high_pct"] - rated["share_5g_low_pct"]).mean()),
            "inside": float(inside.mean()), "communes": len(rated)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=tuple(VARIANTS), default="noise")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--draw-seeds", default="0,1")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the simulated campaigns here and reuse them")
    args = parser.parse_args()
    units = load_boundaries()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = simulated_campaign(workdir, "default", seed, args.readings, units)
            for draw_seed in (int(s) for s in args.draw_seeds.split(",")):
                for variant in VARIANTS[args.compare][2]:
                    rows.append({"seed": seed, "draw_seed": draw_seed, args.compare: variant,
                                 **scores(folder, units, args.compare, variant, draw_seed,
                                          args.draws)})
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    print(f"\nper {args.compare} variant, over campaigns and draw seeds:")
    print(table.groupby(args.compare)[["width_pp", "inside"]].agg(["mean", "min", "max"])
          .round(3).to_string())


if __name__ == "__main__":
    main()
