"""Blocks of the plane: the codes, reductions and subsamples that interpolators and the
spatial cross-validation's folds share."""
from __future__ import annotations

import numpy as np
import pandas as pd


def block_codes(X: np.ndarray, spacing: float) -> np.ndarray:
    """One integer per ``spacing``-sized block holding each point of ``X``, ordered as
    the blocks' (column, row) pairs are."""
    keys = np.floor(np.asarray(X, dtype=float) / spacing).astype(np.int64)
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    keys -= keys.min(axis=0)
    return keys[:, 0] * (keys[:, 1].max() + 1) + keys[:, 1]


def block_reduce(X: np.ndarray, y: np.ndarray, spacing: float,
                 reduction: str = "median") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce points to one per ``spacing``-sized block: mean position, reduced value.

    Dense drive tests put hundreds of readings in one cell; reducing them first
    keeps neighbourhoods spatially spread and the fit fast.

    Returns
    -------
    coordinates, values, counts
        One row per non-empty block.
    """
    X = np.asarray(X, dtype=float)
    frame = pd.DataFrame({"block": block_codes(X, spacing), "x": X[:, 0], "y": X[:, 1],
                          "v": np.asarray(y, dtype=float)})
    grouped = frame.groupby("block", sort=False)
    reduced = grouped.agg(x=("x", "mean"), y=("y", "mean"), v=("v", reduction),
                          n=("v", "size"))
    return reduced[["x", "y"]].to_numpy(), reduced["v"].to_numpy(), reduced["n"].to_numpy()


def reduce_and_subsample(X: np.ndarray, y: np.ndarray, block_size: float, max_points: int,
                         random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-reduce, then draw at most ``max_points`` blocks at random (for O(n³) methods)."""
    Xr, yr, _ = block_reduce(X, y, block_size)
    if len(yr) > max_points:
        keep = np.random.default_rng(random_state).choice(len(yr), max_points, replace=False)
        Xr, yr = Xr[keep], yr[keep]
    return Xr, yr
