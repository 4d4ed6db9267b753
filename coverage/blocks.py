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
    y = np.asarray(y, dtype=float)
    if reduction not in ("mean", "median") or not len(y):
        return _block_reduce_pandas(X, y, spacing, reduction)
    block, uniques = pd.factorize(block_codes(X, spacing))  # in order of first appearance
    n = np.bincount(block, minlength=len(uniques))
    xy = np.column_stack([np.bincount(block, X[:, 0], len(n)),
                          np.bincount(block, X[:, 1], len(n))]) / n[:, None]
    if reduction == "mean":
        return xy, np.bincount(block, y, len(n)) / n, n
    return xy, _block_medians(block, y, n), n


def _block_medians(block: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The median of ``y`` in each block (the mean of the two middle values when even)."""
    ordered = y[np.lexsort((y, block))]
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    low, high = start + (n - 1) // 2, start + n // 2
    return (ordered[low] + ordered[high]) / 2


def _block_reduce_pandas(X: np.ndarray, y: np.ndarray, spacing: float, reduction: str):
    frame = pd.DataFrame({"block": block_codes(X, spacing), "x": X[:, 0], "y": X[:, 1], "v": y})
    reduced = frame.groupby("block", sort=False).agg(
        x=("x", "mean"), y=("y", "mean"), v=("v", reduction), n=("v", "size"))
    return reduced[["x", "y"]].to_numpy(), reduced["v"].to_numpy(), reduced["n"].to_numpy()


def reduce_and_subsample(X: np.ndarray, y: np.ndarray, block_size: float, max_points: int,
                         random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-reduce, then draw at most ``max_points`` blocks at random (for O(n³) methods)."""
    Xr, yr, _ = block_reduce(X, y, block_size)
    if len(yr) > max_points:
        keep = np.random.default_rng(random_state).choice(len(yr), max_points, replace=False)
        Xr, yr = Xr[keep], yr[keep]
    return Xr, yr
