"""How far from the readings the readings-alone model stands: its P(covered) against the
simulator's truth, by distance to the nearest reading.

Without a site list, the cells near the readings stand for their commune
(``phusong.config.RELIABLE_RADIUS_M``). For each campaign this fits every operator from
the readings alone, adds the sites no reading names (:mod:`phusong.coverage.unseen`), and
prints, per band of distance to the nearest reading, the true covered share of the cells
and the model's mean P(covered). ``benchmarks/real_campaigns.py`` prints the same table
for the real drives' held-out readings (distance to the readings the model trained on).

Run:  python benchmarks/distance_bands.py [--seeds 1,2,3,4,5] [--readings 20000]
      [--variants default,roads,device-offsets] [--workdir DIR]

The simulator shares many of the estimator's assumptions: these figures are in-model.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

from phusong.config import DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from phusong.coverage import default_interpolator, load_boundaries
from phusong.coverage.evidence import evidence_for, load_signal_xy
from phusong.coverage.grid import grid_for, membership
from phusong.coverage.operators import predict_operators
from phusong.coverage.unseen import add_unseen_sites
from phusong.sim import TRUTH_DIR, TRUTH_RASTER

from campaigns import campaign_arguments, each_campaign

BANDS_M = (0, 50, 150, 300, 450, 600, 900)


def campaign_bands(sim_dir: Path, member, cells: np.ndarray, units) -> list[dict]:
    """Per distance band: cells, their true covered share and the model's mean P."""
    evidence = evidence_for(load_signal_xy(sim_dir / "campaign.gpkg", units.crs.to_string()))
    threshold = DEFAULT_NR_THRESHOLD_DBM
    *_, p_any, per_operator = predict_operators(evidence, member.grid.centres(cells),
                                                threshold, default_interpolator())
    p_any = add_unseen_sites(per_operator, member, cells, evidence, threshold, p_any)
    with rasterio.open(sim_dir / TRUTH_DIR / TRUTH_RASTER) as src:
        truth = src.read(1).ravel().astype(float)[cells]
    distance = member.distance_to(evidence[["x", "y"]].to_numpy(), np.inf, cells)[cells]
    rows = []
    for low, high in zip(BANDS_M[:-1], BANDS_M[1:]):
        band = (distance >= low) & (distance < high) & np.isfinite(truth)
        rows.append({"campaign": sim_dir.name, "band": f"{low}–{high} m", "cells": int(band.sum()),
                     "true_share": float(np.mean(truth[band] >= threshold)),
                     "model_p": float(np.mean(p_any[band]))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    campaign_arguments(parser, "default,roads,device-offsets")
    args = parser.parse_args()
    units = load_boundaries()
    member = membership(grid_for(units, DEFAULT_RESOLUTION_M), units)
    cells = member.cells()
    rows = []
    for variant, sim_dir in each_campaign(args, units):
        rows += [{"variant": variant, **row}
                 for row in campaign_bands(sim_dir, member, cells, units)]
    frame = pd.DataFrame(rows)
    pooled = frame.groupby(["variant", "band"], sort=False).agg(
        campaigns=("campaign", "nunique"), cells=("cells", "sum"),
        true_share=("true_share", "mean"), model_p=("model_p", "mean"))
    pooled["gap_pp"] = 100 * (pooled["model_p"] - pooled["true_share"])
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print("model's mean P(covered) and the true covered share, by distance to the nearest "
              "reading (means over campaigns; gap = model − truth):")
        print(pooled.to_string())


if __name__ == "__main__":
    main()
