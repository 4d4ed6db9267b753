"""The density of sites no reading names, against the simulator's true sites.

For each campaign and operator, the readings-alone model locates the sites its readings
name; :mod:`phusong.coverage.unseen` then takes the operator's sites as a Poisson process
and solves for the density under which that many sites would be named. This prints the
true density of the operator's NR sites in the province beside the estimated one, and
their ratio. The model counts a site as named whenever its Voronoi cell meets a route; a
campaign names fewer (a site crossed where its signal is below the attach level, or
crossed by too few readings), so the density comes out low and the unseen sites' coverage
falls short rather than overshooting.

Run:  python benchmarks/unseen_sites.py [--seeds 1,2,3,4,5] [--readings 20000]
      [--variants default,roads,sectorised,device-offsets] [--workdir DIR]

The simulator shares the estimator's assumptions (Poisson-like sites, log-distance
trend): these ratios are in-model.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from phusong.coverage import default_interpolator, load_boundaries
from phusong.coverage.evidence import evidence_for, load_signal_xy
from phusong.coverage.grid import grid_for, membership
from phusong.coverage.operators import predict_operators
from phusong.coverage.unseen import unseen_sites

from campaigns import campaign_arguments, each_campaign

THRESHOLD_DBM = -110.0


def campaign_rows(sim_dir: Path, member, cells: np.ndarray, units) -> list[dict]:
    """Per operator: the true and both estimated densities of one campaign."""
    evidence = evidence_for(load_signal_xy(sim_dir / "campaign.gpkg", units.crs.to_string()))
    *_, per_operator = predict_operators(evidence, member.grid.centres(cells), THRESHOLD_DBM,
                                         default_interpolator())
    true = pd.read_csv(sim_dir / "truth" / "sites.csv")
    area_km2 = member.unit_area_m2().sum() / 1e6
    rows = []
    for op in per_operator:
        if op.sites_xy is None or op.trend is None:
            continue
        mine = true[true["operator"].eq(op.operator) & true["technology"].str.startswith("NR")]
        in_province = int((member.unit_of(mine[["x", "y"]].to_numpy()) >= 0).sum())
        routes = evidence.loc[evidence["operator"] == op.operator, ["x", "y"]].to_numpy()
        fit = op.trend
        estimated = unseen_sites(member, cells, routes, op.sites_xy, fit.intercept, fit.slope,
                                 fit.sigma, THRESHOLD_DBM).intensity_per_km2
        truth = in_province / area_km2
        rows.append({"campaign": sim_dir.name, "operator": op.operator,
                     "named": len(op.sites_xy), "true_sites": in_province,
                     "true_per_km2": truth, "estimated_per_km2": estimated,
                     "ratio": estimated / truth})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    campaign_arguments(parser, "default,roads,sectorised,device-offsets")
    args = parser.parse_args()
    units = load_boundaries()
    grid = grid_for(units, 100.0)
    member = membership(grid, units)
    cells = member.cells()
    rows = []
    for _, sim_dir in each_campaign(args, units):
        rows += campaign_rows(sim_dir, member, cells, units)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(frame.to_string(index=False))
    print(f"\nestimated / true density over {len(frame)} operator campaigns: mean "
          f"{frame['ratio'].mean():.2f}, sd {frame['ratio'].std():.2f}, range "
          f"{frame['ratio'].min():.2f}-{frame['ratio'].max():.2f}")


if __name__ == "__main__":
    main()
