"""The files of an estimate, written all-or-nothing and read back only when complete.

An estimate folder holds ``communes.csv`` and ``communes.gpkg`` (one row per unit),
the rasters ``rsrp.tif``, ``rsrp_std.tif``, ``p_covered.tif`` (empty where no reading
is near: not measured), ``p_covered_model.tif`` (the model's figure on every cell) and
``readings.tif`` (evidence readings per cell), ``realisations.npz`` (whether each cell was covered
in each simulated error field, for re-aggregation with intervals), ``summary.json``,
and ``declarations_quarantine.csv`` when declarations were refused. Every file
carries the run id of :mod:`phusong.outputs`. An LTE estimate (``--technology lte``)
names its figures ``lte`` where a 5G one says ``5g`` (``share_lte_area_pct``,
``province_share_lte_pct``); :func:`internal_names` reads either.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from phusong.config import RELIABLE_RADIUS_M
from phusong.errors import EstimationError
from phusong.outputs import read_marker, spreadsheet_safe, staged_folder

from .grid import Grid
from .rasters import read_run_id, write_cog
from .targets import STATUSES

if TYPE_CHECKING:
    from .estimate import Estimate

COMMUNES_CSV = "communes.csv"
COMMUNES_GPKG = "communes.gpkg"
SUMMARY_JSON = "summary.json"
RSRP_TIF = "rsrp.tif"
RSRP_STD_TIF = "rsrp_std.tif"
P_COVERED_TIF = "p_covered.tif"
P_COVERED_MODEL_TIF = "p_covered_model.tif"
READINGS_TIF = "readings.tif"
REALISATIONS_NPZ = "realisations.npz"
DECLARATIONS_QUARANTINE_CSV = "declarations_quarantine.csv"
RASTERS = (RSRP_TIF, RSRP_STD_TIF, P_COVERED_TIF, P_COVERED_MODEL_TIF, READINGS_TIF)
ESTIMATE_KINDS = ("estimate", "demo")


def with_status_labels(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The table with ``status_label`` and ``gigabit_status_label`` beside the status codes,
    in the current language (the codes stay as they are for programs)."""
    from phusong.i18n import t

    table = table.copy()
    for column in ("status", "gigabit_status"):
        if column in table:
            labels = {code: t(f"status.{code}", lang) for code in STATUSES}
            position = table.columns.get_loc(column) + 1
            table.insert(position, f"{column}_label", table[column].map(labels))
    return table


def json_safe(value):
    """``value`` with NaN and infinities as ``null`` and numpy scalars as Python's,
    so that the JSON written is valid."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(json_safe(data), ensure_ascii=False, indent=2, allow_nan=False),
                    encoding="utf-8")


def write_estimate(result: Estimate, out_dir: str | Path, force: bool = False) -> dict[str, Path]:
    """Write an estimate into ``out_dir`` all-or-nothing (see the module documentation)."""
    out_dir = Path(out_dir)
    with staged_folder(out_dir, "estimate", force=force) as (staging, run_id):
        names = write_estimate_files(result, staging, run_id)
    return {key: out_dir.absolute() / path.name for key, path in names.items()}


def write_estimate_files(result: Estimate, folder: Path, run_id: str) -> dict[str, Path]:
    """Write an estimate's files into ``folder`` (a staging folder), tagged ``run_id``."""
    paths = {
        "csv": folder / COMMUNES_CSV,
        "gpkg": folder / COMMUNES_GPKG,
        "rsrp": folder / RSRP_TIF,
        "rsrp_std": folder / RSRP_STD_TIF,
        "p_covered": folder / P_COVERED_TIF,
        "p_covered_model": folder / P_COVERED_MODEL_TIF,
        "readings": folder / READINGS_TIF,
        "realisations": folder / REALISATIONS_NPZ,
        "summary": folder / SUMMARY_JSON,
    }
    technology = result.summary.get("technology", "nr")
    communes = result.communes.assign(run_id=run_id)
    communes = communes.rename(columns=public_names(communes.columns, technology))
    table = with_status_labels(pd.DataFrame(communes.drop(columns="geometry")))
    spreadsheet_safe(table).to_csv(paths["csv"], index=False, float_format="%.2f",
                                   encoding="utf-8")
    with_status_labels(communes).to_file(paths["gpkg"], layer="communes", driver="GPKG")
    grid = result.grid
    value = value_name(result.summary.get("technology", "nr"))
    write_cog(paths["rsrp"], result.rsrp, grid, f"Estimated {value}, best operator", "dBm",
              run_id=run_id)
    write_cog(paths["rsrp_std"], result.rsrp_std, grid,
              f"Standard deviation of the estimated {value}", "dB", run_id=run_id)
    measured = ("" if result.summary.get("site_list_used") else
                f" (empty beyond {RELIABLE_RADIUS_M:g} m of any reading: not measured)")
    what = "Probability that some operator's {} is at or above the threshold".format(
        value_name(result.summary.get("technology", "nr")))
    write_cog(paths["p_covered"], result.p_covered, grid, what + measured, run_id=run_id)
    model = result.p_covered if result.p_covered_model is None else result.p_covered_model
    write_cog(paths["p_covered_model"], model, grid,
              what + ", by the model on every cell (also where no reading is near)",
              run_id=run_id)
    write_cog(paths["readings"], result.readings_per_cell, grid,
              "Readings that tell whether {} is present, per cell".format(
                  "LTE" if result.summary.get("technology") == "lte" else "5G"),
              "count", run_id=run_id)
    save_realisations(paths["realisations"], result, run_id)
    if result.declarations_quarantine is not None:
        paths["declarations_quarantine"] = folder / DECLARATIONS_QUARANTINE_CSV
        spreadsheet_safe(result.declarations_quarantine).to_csv(
            paths["declarations_quarantine"], index=False, encoding="utf-8")
    summary = {"run_id": run_id, **result.summary}
    names = public_names(summary, technology)
    write_json(paths["summary"], {names[key]: value for key, value in summary.items()})
    return paths


_5G = re.compile(r"(?<=_)5g(?=_|$)")
_LTE = re.compile(r"(?<=_)lte(?=_|$)")


def public_names(names, technology: str) -> dict[str, str]:
    """The names under which ``technology``'s figures are written: ``…_5g_…`` becomes
    ``…_lte_…`` for LTE; unchanged for 5G."""
    if technology != "lte":
        return {name: name for name in names}
    return {name: _5G.sub("lte", name) for name in names}


def internal_names(obj):
    """A summary (dict) or communes table with an LTE estimate's ``…_lte_…`` names read
    back as ``…_5g_…``, the names the maps and reports work with."""
    if isinstance(obj, dict):
        if obj.get("technology") != "lte":
            return obj
        return {_LTE.sub("5g", key): value for key, value in obj.items()}
    return obj.rename(columns=lambda name: _LTE.sub("5g", name))


def value_name(technology: str) -> str:
    """What the rasters hold for ``technology``: NR SS-RSRP or LTE RSRP."""
    return "LTE RSRP" if technology == "lte" else "NR SS-RSRP"


def save_realisations(path: Path, result: Estimate, run_id: str) -> None:
    """Whether each cell was covered in each realisation, bit-packed."""
    grid = result.grid
    _savez_fast(
        path, run_id=np.array(run_id), cells=result.cells.astype(np.int64),
        covered=np.packbits(result.covered_draws, axis=1),
        n_cells=np.array(len(result.cells)),
        reliable=np.packbits(result.reliable[result.cells]),
        grid=np.array([grid.west, grid.north, grid.resolution, grid.width, grid.height]),
        crs=np.array(grid.crs))


def _savez_fast(path: Path, **arrays: np.ndarray) -> None:
    """``numpy.savez_compressed`` at zlib level 1 instead of 6: several times faster on the
    draws, a few percent larger; ``numpy.load`` reads it alike."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, values in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(values), allow_pickle=False)


def load_realisations(path: Path) -> tuple[Grid, np.ndarray, np.ndarray, np.ndarray, str]:
    """The grid, cells, covered draws, reliable mask (per grid cell) and run id."""
    with np.load(path, allow_pickle=False) as data:
        west, north, resolution, width, height = data["grid"]
        grid = Grid(float(west), float(north), float(resolution), int(width), int(height),
                    str(data["crs"]))
        n_cells = int(data["n_cells"])
        cells = data["cells"]
        covered = np.unpackbits(data["covered"], axis=1, count=n_cells).astype(bool)
        reliable = np.zeros(grid.size, dtype=bool)
        reliable[cells] = np.unpackbits(data["reliable"], count=n_cells).astype(bool)
        return grid, cells, covered, reliable, str(data["run_id"])


def _table_run_ids(folder: Path) -> dict[str, str | None]:
    """The run id written in each row of the communes tables (one value when sound)."""
    found: dict[str, str | None] = {}
    csv = folder / COMMUNES_CSV
    if csv.is_file():
        try:
            ids = set(pd.read_csv(csv, usecols=["run_id"], dtype=str)["run_id"])
        except (ValueError, OSError) as exc:
            raise EstimationError(f"{csv} is damaged or not from phusong estimate: {exc}") \
                from exc
        found[COMMUNES_CSV] = ids.pop() if len(ids) == 1 else ", ".join(sorted(map(str, ids)))
    try:
        import pyogrio

        ids = set(pyogrio.read_dataframe(folder / COMMUNES_GPKG, columns=["run_id"],
                                         read_geometry=False)["run_id"].astype(str))
        found[COMMUNES_GPKG] = ids.pop() if len(ids) == 1 else ", ".join(sorted(ids))
    except Exception as exc:  # noqa: BLE001 - any reader failure: the file is not sound
        raise EstimationError(f"{folder / COMMUNES_GPKG} cannot be read: {exc}") from exc
    return found


def check_estimate_folder(folder: str | Path, needs: tuple[str, ...] = ()) -> dict:
    """The summary of a complete estimate folder, after checking that every file is
    there and from the same run.

    Raises
    ------
    EstimationError
        For a folder that is missing, incomplete, or mixes files of several runs.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EstimationError(f"{folder} is not a folder written by phusong estimate")
    marker = read_marker(folder)
    if marker is None or marker.get("kind") not in ESTIMATE_KINDS:
        raise EstimationError(f"{folder} holds no complete estimate (no .phusong-run marker): "
                              "run phusong estimate again")
    run_id = marker["run_id"]
    missing = [name for name in (SUMMARY_JSON, COMMUNES_GPKG, *needs)
               if not (folder / name).is_file()]
    if missing:
        raise EstimationError(f"{folder} lacks {', '.join(missing)}: run phusong estimate again")
    try:
        summary = json.loads((folder / SUMMARY_JSON).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise EstimationError(f"{folder / SUMMARY_JSON} is damaged: {exc}") from exc
    found = {SUMMARY_JSON: summary.get("run_id")}
    for name in needs:
        if name.endswith(".tif"):
            found[name] = read_run_id(folder / name)
    found.update(_table_run_ids(folder))
    mixed = {name: rid for name, rid in found.items() if rid != run_id}
    if mixed:
        raise EstimationError(f"{folder} mixes runs: " + ", ".join(
            f"{name} is from run {rid}" for name, rid in mixed.items())
            + f", the folder from run {run_id}: run phusong estimate again")
    return internal_names(summary)
