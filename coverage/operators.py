"""Each operator's model: fitted on its readings (with its listed sites and what the
tracks show), predicted on the grid, and the any-operator union."""
from __future__ import annotations

import inspect
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import ndtri
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from .calibration import probability_above
from .evidence import NO_NR_DBM, track_statistics
from .grid import wgs84_to
from .union import p_any_covers
from .uncertainty import OperatorPrediction

# A site list "does not explain" an operator's readings when the sites added from the
# readings and the listed sites found silent exceed this share of its listed NR sites: under
# 1 % with the simulator's imperfect list, 20-24 % with that list moved 5 km, 3 % moved 1 km.
MAX_DISAGREEING_SITES_SHARE = 0.05


def fit_kwargs(model, rows: pd.DataFrame) -> dict:
    """Serving cell ids and device ids for models whose ``fit`` takes them."""
    taken = inspect.signature(model.fit).parameters
    kwargs = {}
    if "cell_ids" in taken:
        kwargs["cell_ids"] = rows["cell_id"].where(rows["nr_measured"]).to_numpy(dtype=object)
    if "device_ids" in taken and "probe_id" in rows:
        kwargs["device_ids"] = rows["probe_id"].to_numpy(dtype=object)
    return kwargs


def without_unwanted_cell_ids(evidence: pd.DataFrame, sites: pd.DataFrame | None,
                              locate_sites: bool) -> None:
    """Drop the serving cell ids from ``evidence`` (in place) when the model should not
    locate sites from them: no site list and ``locate_sites`` off (a site list keeps
    them, to add the sites it lacks)."""
    if sites is None and not locate_sites:
        evidence["cell_id"] = None


def with_operator_sites(model, sites: pd.DataFrame | None, operator: str):
    """``model`` given the operator's listed sites, if it takes sites and there is a list."""
    if sites is not None and "sites" in model.get_params():
        model.set_params(sites=sites.loc[sites["operator"] == operator, ["x", "y"]].to_numpy())
    return model


def operator_model(interpolator, operator: str, rows: pd.DataFrame,
                   sites: pd.DataFrame | None = None):
    """A fresh copy of ``interpolator`` set up as the estimate fits it to one operator's
    evidence ``rows``: given the operator's listed sites and what its tracks show."""
    return with_track_statistics(with_operator_sites(clone(interpolator), sites, operator), rows)


def with_track_statistics(model, rows: pd.DataFrame):
    """``model`` told what the tracks show, if it takes it: the share of readings that
    missed NR and the level at which NR is added
    (:func:`~phusong.coverage.evidence.track_statistics`)."""
    from .pathloss import attach_level

    measured = rows["nr_measured"].to_numpy(bool)
    params = model.get_params()
    wanted = {"attach_dbm", "miss_rate"} & {k for k, v in params.items() if v is None}
    if not wanted or not measured.any():
        return model
    attach, miss = track_statistics(rows, attach_level(rows["value"].to_numpy(float)[measured]))
    values = {"attach_dbm": attach, "miss_rate": miss}
    return model.set_params(**{k: values[k] for k in wanted})


def predict_operators(evidence: pd.DataFrame, cells_xy: np.ndarray, threshold: float,
                      interpolator, sites: pd.DataFrame | None = None,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Best-operator NR RSRP, its standard deviation, P(any operator covers) and
    each operator's prediction.

    Operators are modelled separately; a place is covered when any operator
    covers it, with the operators' errors correlated through shared clutter
    (:mod:`~phusong.coverage.union`). ``sites`` (columns
    ``operator``, ``x``, ``y`` in the evidence CRS) are given to models that take them.
    """
    def predict(group: tuple) -> OperatorPrediction:
        operator, rows = group
        if rows["nr_measured"].any():
            return _fit_operator(str(operator), rows, cells_xy, threshold, interpolator, sites)
        return _no_nr_operator(str(operator), len(rows), len(cells_xy))

    groups = list(evidence.groupby(evidence["operator"].fillna("unknown")))
    # Operators are fitted apart: on two cores, two at a time (NumPy, SciPy's k-d trees and
    # LAPACK release the GIL for the heavy parts). Their BLAS and LAPACK calls are small (the
    # kriging's 12 × 12 systems): OpenBLAS's own threads would only spin beside them.
    with threadpool_limits(limits=1, user_api="blas"), \
            ThreadPoolExecutor(max_workers=min(len(groups), os.cpu_count() or 1) or 1) as pool:
        predictions = list(pool.map(predict, groups))
    best = np.full(len(cells_xy), -np.inf)
    best_std = np.zeros(len(cells_xy))
    per_operator = []
    for prediction in predictions:
        better = prediction.mean > best
        best = np.where(better, prediction.mean, best)
        best_std = np.where(better, prediction.std, best_std)
        per_operator.append(prediction)
    p_any = p_any_covers([p.threshold_mean for p in per_operator],
                         [p.std for p in per_operator], threshold)
    return best, best_std, p_any, per_operator


def _fit_operator(operator: str, rows: pd.DataFrame, cells_xy: np.ndarray, threshold: float,
                  interpolator, sites: pd.DataFrame | None) -> OperatorPrediction:
    model = operator_model(interpolator, operator, rows, sites)
    model.fit(rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(), **fit_kwargs(model, rows))
    mean, std = model.predict(cells_xy, return_std=True)
    variogram = getattr(model, "variogram_", None)
    calibration = getattr(model, "calibration_", None)
    trend_fit = getattr(model, "trend_fit_", None)
    devices = getattr(model, "device_offsets_", None)
    p_covered = covered_probability(model, mean, std, threshold)
    return OperatorPrediction(
        operator, mean, std, p_covered,
        variogram.range_m if variogram is not None else 250.0,
        int(getattr(model, "n_unlisted_", 0)), int(getattr(model, "n_off_air_", 0)),
        calibration=None if calibration is None else calibration.summary(
            threshold if getattr(model, "recalibrate_threshold", False) else None),
        miss_rate=None if trend_fit is None else trend_fit.miss_rate,
        devices=None if devices is None else devices.summary(),
        fleet_std_db=0.0 if devices is None else devices.fleet_std_db,
        sites_xy=_located_sites(model), trend=trend_fit,
        note=_uncalibrated_note(operator, model),
        normal_mean=None if calibration is None else normal_equivalent_mean(
            p_covered, mean, std, threshold))


def _uncalibrated_note(operator: str, model) -> str:
    """Why ``model``'s spread rests on a prior, when its readings could not calibrate it
    (its calibration is :data:`~phusong.coverage.calibration.UNCALIBRATED`, which only a
    model asked to calibrate gets)."""
    from .calibration import PRIOR_FLOOR_DB, UNCALIBRATED

    if getattr(model, "calibration_", None) is not UNCALIBRATED:
        return ""
    return (f"operator {operator}: its readings are too few or too close together to learn "
            "how far the estimate may be off; P(covered) takes a spread of at least "
            f"{PRIOR_FLOOR_DB:g} dB (the shadow fading of 3GPP TR 38.901)")


def _located_sites(model) -> np.ndarray | None:
    """The site positions ``model`` located from the readings; ``None`` when it was given
    a site list (its sites are known, none is unseen) or has no sites."""
    listed = model.get_params().get("sites")
    if getattr(model, "sites_", None) is None or (listed is not None and len(listed)):
        return None
    return model.sites_.xy


def _no_nr_operator(operator: str, n_readings: int, n_cells: int) -> OperatorPrediction:
    """An operator none of whose readings saw NR: 0 % 5G, with the reason."""
    return OperatorPrediction(
        operator, np.full(n_cells, NO_NR_DBM), np.zeros(n_cells), np.zeros(n_cells), 250.0,
        note=f"operator {operator}: none of its {n_readings} readings from active 5G-capable "
             "devices saw NR, so its 5G coverage is counted as 0 %")


def project_sites(sites: pd.DataFrame | None, crs: str) -> pd.DataFrame | None:
    """NR sites of a site list (WGS 84) with projected ``x``/``y`` in ``crs``."""
    if sites is None:
        return None
    nr = sites[sites["technology"].str.startswith(("NR", "5G"))].copy()
    nr["x"], nr["y"] = wgs84_to(crs).transform(nr["lon"].to_numpy(), nr["lat"].to_numpy())
    return nr


def sites_cover_operators(nr_sites: pd.DataFrame | None, evidence: pd.DataFrame) -> bool:
    """Whether a site list (its NR rows, :func:`project_sites`) names sites for every
    operator in the evidence.

    Then the model stands for every cell; otherwise sites no route came near are
    unknown, and the cells near the readings stand for the rest of their commune.
    """
    if nr_sites is None or nr_sites.empty:
        return False
    return set(evidence["operator"].fillna("unknown").unique()) <= set(nr_sites["operator"])


def covered_probability(model, mean: np.ndarray, std: np.ndarray,
                        threshold: float) -> np.ndarray:
    """P(value ≥ ``threshold``) from ``model``'s prediction ``mean`` and ``std``: by its
    calibration (a Student-t recalibrated at the threshold,
    :meth:`~phusong.coverage.calibration.TrendCalibration.probability_above`) when it has
    one, else with normal errors."""
    calibration = getattr(model, "calibration_", None)
    if calibration is None:
        return probability_above(mean, std, threshold)
    return calibrated_probability(calibration, getattr(model, "recalibrate_threshold", False),
                                  mean, std, threshold)


def calibrated_probability(calibration, recalibrate_threshold: bool, mean: np.ndarray,
                           std: np.ndarray, threshold: float) -> np.ndarray:
    """P(value ≥ ``threshold``) under ``calibration``'s Student-t, recalibrated at the
    threshold when ``recalibrate_threshold``."""
    if not recalibrate_threshold:
        return probability_above(mean, std, threshold, calibration.tail_dof)
    return calibration.probability_above(mean, std, threshold)


def predictive_dof(model) -> float:
    """Degrees of freedom of ``model``'s Student-t predictive distribution (its
    calibration's ``tail_dof``); infinite (normal) for models without one."""
    return float(getattr(getattr(model, "calibration_", None), "tail_dof", np.inf))


def normal_equivalent_mean(p_covered: np.ndarray, mean: np.ndarray, std: np.ndarray,
                           threshold: float) -> np.ndarray:
    """The mean under which a normal of standard deviation ``std`` reaches ``threshold``
    with probability ``p_covered`` (:func:`covered_probability`, under a Student-t
    recalibrated at the threshold; what the union and the interval draws, built on normal
    errors, take)."""
    p = np.clip(p_covered, 1e-12, 1 - 1e-12)
    return np.where(std > 0, threshold + std * ndtri(p), mean)


def site_list_warnings(nr_sites: pd.DataFrame, per_operator: list[OperatorPrediction]
                       ) -> list[str]:
    """Operators whose readings the site list does not explain: many serving cells heard
    far from every listed site and many listed sites silent where routes passed (a list
    shifted by a wrong datum, outdated, or another operator's)."""
    notes = []
    listed = nr_sites.groupby("operator").size()
    for op in per_operator:
        n = int(listed.get(op.operator, 0))
        disagreeing = op.unlisted_sites + op.off_air_sites
        if n and disagreeing > MAX_DISAGREEING_SITES_SHARE * n:
            notes.append(
                f"site list, operator {op.operator}: {op.unlisted_sites} sites heard in the "
                f"readings are missing from it and {op.off_air_sites} of its {n} NR sites were "
                "silent where routes passed: the list does not explain the readings; check its "
                "positions, CRS and date")
    return notes
