"""The engine on real drive tests: every method, per operator and overall, in one run.

Run:  python benchmarks/real_campaigns.py PATH/TO/hamburg_bremen_2021/drives
      [--methods pathloss,kriging,idw,gp,pykrige] [--threshold-dbm -105] [--cell-ids eci|enb|none]

Imports the Hamburg–Bremen drives (ENQT GmbH / HAW Hamburg, CC BY-NC 4.0; not shipped)
through ``phusong import table`` with benchmarks/mappings/hamburg_bremen_2021.toml, takes
the LTE RSRP readings, reduces them to 10 m cells per operator (the median; the drives
repeat values between modem reports), and cross-validates every method on the same 1 km
spatial blocks (5 folds), each operator fitted on its own. Prints, per operator and
overall: RMSE, MAE and bias (dB), the Brier score and the error of the expected covered
share (mean P(covered) minus the observed share) at the threshold, the reliability of
P(covered) (observed frequency per decile of predicted probability), the excess kurtosis
of the held-out errors over their predicted spread, the predictive distribution's tail
(Student-t degrees of freedom; inf for a normal) and the time; the default's rows twice,
as ``estimate`` reports it (``pathloss``) and with P(covered) recalibrated at the threshold
(``pathloss-recalibrated``, an option); then the correlation of
the operators' held-out residuals on the 10 m cells they share, and for the default each
decile's gap with its interval over resampled 1 km blocks and, by distance to the nearest
reading it was trained on, the mean P(covered) against the observed share.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import kurtosis

from phusong.coverage.evaluate import cross_validated_predictions, spatial_folds
from phusong.coverage.evidence import lte_evidence, load_signal_xy
from phusong.coverage.blocks import block_codes
from phusong.coverage.interpolate import PathLossKriging

MAPPING = Path(__file__).resolve().parent / "mappings" / "hamburg_bremen_2021.toml"
CRS = "EPSG:25832"  # ETRS89 / UTM 32N: metric, for northern Germany
CELL_M = 10.0


def load(drives: Path, cell_ids: str) -> pd.DataFrame:
    store = Path(tempfile.mkdtemp()) / "hamburg_bremen.gpkg"
    files = sorted(str(p) for p in drives.glob("*.geojson"))
    subprocess.run([sys.executable, "-m", "phusong.cli", "import", "table", *files, "--store",
                    str(store), "--mapping", str(MAPPING), "--region", "any"], check=True,
                   stdout=subprocess.DEVNULL)
    readings = load_signal_xy(store, CRS, columns=("time_utc", "technology", "lte_rsrp_dbm",
                                                   "device_state", "operator", "cell_id",
                                                   "eci", "enb_id", "synthetic"))
    evidence = lte_evidence(readings)
    evidence["cell"] = (np.floor(evidence["x"] / CELL_M).astype(np.int64).astype(str) + ":" +
                        np.floor(evidence["y"] / CELL_M).astype(np.int64).astype(str))
    key = {"eci": "eci", "enb": "enb_id", "none": None}[cell_ids]
    reduced = evidence.groupby(["operator", "cell"], sort=False).agg(
        x=("x", "mean"), y=("y", "mean"), value=("value", "median"),
        nr_measured=("nr_measured", "max"),
        cell_id=(key, lambda v: str(v.mode().iloc[0]) if key and v.notna().any() else None)
        if key else ("x", lambda v: None)).reset_index()
    return reduced


def reliability(p: np.ndarray, observed: np.ndarray) -> list[tuple[float, float, int]]:
    """(mean predicted, observed frequency, count) per decile of predicted probability."""
    bins = np.clip((p * 10).astype(int), 0, 9)
    return [(float(p[bins == b].mean()), float(observed[bins == b].mean()),
             int((bins == b).sum())) for b in range(10) if (bins == b).any()]


def reliability_intervals(p: np.ndarray, observed: np.ndarray, blocks: np.ndarray,
                          n_boot: int = 1000, seed: int = 0, min_cells: int = 50
                          ) -> list[tuple[int, float, float, float]]:
    """Per decile of predicted probability (with at least ``min_cells``): its number,
    observed frequency minus mean prediction, and the 90 % interval of that gap when whole
    ``blocks`` are resampled (the errors of nearby cells are correlated, so cells are not
    independent draws)."""
    bins = np.clip((p * 10).astype(int), 0, 9)
    _, block = np.unique(blocks, return_inverse=True)
    key = block * 10 + bins
    size = (block.max() + 1) * 10
    n, sum_p, sum_obs = (np.bincount(key, w, size).reshape(-1, 10)
                         for w in (None, p, observed.astype(float)))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(n), np.full(len(n), 1 / len(n)), size=n_boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = (draws @ sum_obs - draws @ sum_p) / (draws @ n)
    rows = []
    for b in range(10):
        if n[:, b].sum() < min_cells:
            continue
        gap = (sum_obs[:, b].sum() - sum_p[:, b].sum()) / n[:, b].sum()
        low, high = np.nanpercentile(gaps[:, b], [5, 95])
        rows.append((b, gap, low, high))
    return rows


def scores(part: pd.DataFrame, predicted: np.ndarray, spread: np.ndarray, dof: np.ndarray,
           p_covered: np.ndarray, threshold: float) -> dict:
    ok = ~np.isnan(predicted)
    measured = part["nr_measured"].to_numpy(bool) & ok
    error = predicted[measured] - part["value"].to_numpy()[measured]
    observed = part["value"].to_numpy()[ok] >= threshold
    p = p_covered[ok]
    worst = max((abs(f - m) for m, f, n in reliability(p, observed) if n >= 50), default=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = error / spread[measured]
    z = z[np.isfinite(z)]  # methods without a spread (IDW) have no shape to show
    return {"rmse_db": np.sqrt(np.mean(error**2)), "mae_db": np.mean(np.abs(error)),
            "bias_db": np.mean(error), "brier": np.mean((p - observed) ** 2),
            "share_error_pp": 100 * (p.mean() - observed.mean()),
            "worst_decile_pp": 100 * worst, "n": int(ok.sum()),
            # the held-out errors' shape: excess kurtosis (0 if normal), fitted t tail
            "z_kurtosis": float(kurtosis(z)) if len(z) > 1 else np.nan,
            "tail_dof": float(np.median(dof[ok]))}


def score_rows(evidence: pd.DataFrame, held, p_covered: np.ndarray, label: str,
               threshold: float) -> list[dict]:
    """:func:`scores` of cross-validated predictions ``held`` with ``p_covered``, overall
    and per operator."""
    rows = []
    for operator, part in [("all", evidence)] + list(evidence.groupby("operator")):
        index = part.index.to_numpy()
        rows.append({"method": label, "operator": operator,
                     **scores(part, held.predicted[index], held.spread[index], held.dof[index],
                              p_covered[index], threshold),
                     "seconds": held.seconds if operator == "all" else np.nan})
    return rows


def decile_gap_intervals(evidence: pd.DataFrame, p_covered: np.ndarray,
                         threshold: float) -> dict[str, list]:
    """:func:`reliability_intervals` overall and per operator, over 1 km blocks."""
    blocks = block_codes(evidence[["x", "y"]].to_numpy(), 1000.0)
    result = {}
    for operator, part in [("all", evidence)] + list(evidence.groupby("operator")):
        index = part.index.to_numpy()
        ok = ~np.isnan(p_covered[index])
        result[operator] = reliability_intervals(
            p_covered[index][ok], part["value"].to_numpy()[ok] >= threshold, blocks[index][ok])
    return result


DISTANCE_BANDS_M = (0, 50, 150, 300, 450, 600, np.inf)


def distance_to_training(evidence: pd.DataFrame, folds: np.ndarray) -> np.ndarray:
    """Each held-out cell's distance to the nearest cell its operator's model trained on."""
    xy = evidence[["x", "y"]].to_numpy()
    operators = evidence["operator"].to_numpy()
    distance = np.full(len(evidence), np.inf)
    for fold in np.unique(folds):
        for operator in np.unique(operators):
            train = (folds != fold) & (operators == operator)
            test = (folds == fold) & (operators == operator)
            if train.any() and test.any():
                distance[test], _ = cKDTree(xy[train]).query(xy[test], workers=-1)
    return distance


def reliability_by_distance(p: np.ndarray, observed: np.ndarray, distance: np.ndarray
                            ) -> list[tuple[str, int, float, float]]:
    """Per band of distance to the training readings: count, mean P(covered), observed
    share."""
    bands = []
    for low, high in zip(DISTANCE_BANDS_M[:-1], DISTANCE_BANDS_M[1:]):
        inside = (distance >= low) & (distance < high)
        if inside.any():
            bands.append((f"{low:g}–{high:g} m", int(inside.sum()), float(p[inside].mean()),
                          float(observed[inside].mean())))
    return bands


def residual_correlation(evidence: pd.DataFrame, predicted: np.ndarray) -> pd.DataFrame:
    """Correlation of the operators' held-out residuals on the 10 m cells they share."""
    residual = pd.DataFrame({"cell": evidence["cell"], "operator": evidence["operator"],
                             "r": evidence["value"].to_numpy() - predicted})
    wide = residual.dropna().pivot_table(index="cell", columns="operator", values="r")
    return wide.corr(min_periods=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drives", type=Path)
    parser.add_argument("--methods", default="pathloss,kriging,idw,gp,pykrige")
    parser.add_argument("--threshold-dbm", type=float, default=-105.0)
    parser.add_argument("--cell-ids", choices=("eci", "enb", "none"), default="none")
    args = parser.parse_args()
    evidence = load(args.drives, args.cell_ids)
    print(f"{len(evidence):,} 10 m cells with LTE RSRP, "
          f"{evidence['operator'].nunique()} operators; threshold {args.threshold_dbm:g} dBm; "
          f"cell ids: {args.cell_ids}")
    folds = spatial_folds(evidence[["x", "y"]].to_numpy(), 1000.0, 5, np.random.default_rng(0))
    rows, deciles = [], {}
    for method in args.methods.split(","):
        # nested: the default calibrated inside every fold, exactly as estimate does
        held = cross_validated_predictions(evidence, method, folds, args.threshold_dbm,
                                           nested=True)
        versions = {method: held.p_covered}
        if method == "pathloss":
            # the same model with P(covered) recalibrated at the threshold (off by default)
            versions["pathloss-recalibrated"] = cross_validated_predictions(
                evidence, PathLossKriging(recalibrate_threshold=True), folds,
                args.threshold_dbm, nested=True).p_covered
        ok = ~np.isnan(held.predicted)
        observed = evidence["value"].to_numpy()[ok] >= args.threshold_dbm
        for label, p_covered in versions.items():
            rows += score_rows(evidence, held, p_covered, label, args.threshold_dbm)
            deciles[label] = reliability(p_covered[ok], observed)
        if method == "pathloss":
            by_distance = reliability_by_distance(held.p_covered[ok], observed,
                                                  distance_to_training(evidence, folds)[ok])
            correlation = residual_correlation(evidence, held.predicted)
            gap_intervals = {label: decile_gap_intervals(evidence, p, args.threshold_dbm)
                             for label, p in versions.items()}
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False, formatters={"brier": "{:.4f}".format}))
    if "pathloss" in deciles:
        pairs = correlation.where(np.triu(np.ones(correlation.shape, bool), 1)).stack()
        print("\noperators' held-out residuals (pathloss) on shared 10 m cells, correlation:\n"
              + correlation.round(2).to_string()
              + f"\nmean over pairs: {pairs.mean():.2f}")
        for label, per_operator in gap_intervals.items():
            print(f"\n{label}: observed frequency minus mean prediction per decile (pp), with "
                  "its 90 % interval over 1 km blocks resampled:")
            for operator, gaps in per_operator.items():
                print(f"{operator:>8}: " + "; ".join(
                    f"{b / 10:.1f}–{(b + 1) / 10:.1f} {100 * g:+.1f} "
                    f"[{100 * lo:+.1f}, {100 * hi:+.1f}]" for b, g, lo, hi in gaps))
        print("\npathloss: by distance to the nearest training reading of the operator "
              "(cells, mean P(covered), observed share, gap in pp):")
        for band, n, p_mean, share in by_distance:
            print(f"{band:>12}: {n:>6} {p_mean:.3f} {share:.3f} {100 * (share - p_mean):+.1f}")
    for method, bins in deciles.items():
        print(f"\n{method}: reliability (mean predicted → observed, n) " + "; ".join(
            f"{m:.2f}→{f:.2f} ({n})" for m, f, n in bins))


if __name__ == "__main__":
    main()
