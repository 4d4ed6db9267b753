"""Spatial-block cross-validation of interpolators on a store's readings.

Readings are grouped in square blocks (default 1 km) and whole blocks are held
out, so a method is judged on predicting away from the measured roads, as it
must in use; random K-fold flatters every method (Roberts et al. 2017, Ecography 40:913,
"Cross-validation strategies for data with ... spatial ... structure").
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import clone

from phusong.config import DEFAULT_NR_THRESHOLD_DBM
from phusong.errors import EstimationError

from .calibration import spatial_folds
from .operators import (calibrated_probability, covered_probability, fit_kwargs,
                        operator_model, predictive_dof, project_sites,
                        without_unwanted_cell_ids)
from .evidence import attribute_operators, evidence_for, load_signal_xy
from .methods import make_interpolator

DEFAULT_BLOCK_SIZE_M = 1000.0
DEFAULT_METHODS = ("pathloss", "kriging", "idw", "gp")


@dataclass
class Score:
    """Cross-validated scores of one method.

    RMSE, MAE and bias are over held-out NR values; the call accuracy is of the point
    prediction against the threshold; the share error (percentage points) and the
    Brier score are of the predicted probability of coverage over every held-out
    reading, those that saw no NR included (a censoring-aware model is not penalised
    for expecting values below the attach level, which the RMSE cannot see).
    """

    method: str
    rmse_db: float
    mae_db: float
    bias_db: float
    call_accuracy: float
    share_error_pp: float
    brier: float
    seconds: float
    n_test: int


def cross_validate(evidence: pd.DataFrame, method: str, folds: np.ndarray,
                   threshold: float = DEFAULT_NR_THRESHOLD_DBM,
                   sites: pd.DataFrame | None = None, nested: bool = False) -> Score:
    """Score ``method`` on the given folds, per operator, pooled over operators.

    ``sites`` (projected, from :func:`~phusong.coverage.operators.project_sites`) are
    given to the methods that take a site list; ``nested``: see
    :func:`cross_validated_predictions`.
    """
    held_out = cross_validated_predictions(evidence, method, folds, threshold, sites, nested)
    return _score(method, evidence, held_out)


@dataclass
class CrossValidated:
    """Each reading's prediction from the folds that held it out: value, standard
    deviation, predictive degrees of freedom
    (:func:`~phusong.coverage.operators.predictive_dof`) and probability of reaching the
    ``threshold`` (:func:`~phusong.coverage.operators.covered_probability`); and the
    seconds taken."""

    predicted: np.ndarray
    spread: np.ndarray
    dof: np.ndarray
    p_covered: np.ndarray
    seconds: float
    threshold: float


def cross_validated_predictions(evidence: pd.DataFrame, method, folds: np.ndarray,
                                threshold: float = DEFAULT_NR_THRESHOLD_DBM,
                                sites: pd.DataFrame | None = None,
                                nested: bool = False) -> CrossValidated:
    """Predict each fold's readings from the others, each operator on its own;
    ``method`` is a name (:data:`~phusong.coverage.methods.METHOD_NAMES`) or an
    unfitted estimator.

    A model that calibrates itself by an inner cross-validation
    (:class:`~phusong.coverage.interpolate.PathLossKriging`'s ``calibrate``) is cross-fitted
    unless ``nested``: each fold's calibration is learnt from the other folds' held-out
    readings as their own uncalibrated models predicted them (none of its own fold's
    outcomes among them, though those models were trained with its readings), instead of
    from three more refits inside every fold; ``nested`` runs the estimate's own procedure
    in every fold. ``benchmarks/bench_engine.py`` prints both scores and times."""
    template = make_interpolator(method) if isinstance(method, str) else method
    held_out = CrossValidated(np.full(len(evidence), np.nan), np.full(len(evidence), np.nan),
                              np.full(len(evidence), np.inf), np.full(len(evidence), np.nan),
                              0.0, threshold)
    start = time.perf_counter()
    if not nested and template.get_params().get("calibrate") and hasattr(template,
                                                                         "raw_trend"):
        _cross_fitted_predictions(held_out, evidence, template, folds, sites)
    else:
        for targets, _, rows in _training_sets(evidence, folds):
            _predict_held_out(held_out, _fitted(template, rows, sites), evidence, targets)
    held_out.seconds = time.perf_counter() - start
    return held_out


def _training_sets(evidence: pd.DataFrame, folds: np.ndarray):
    """(held-out mask, operator, the operator's training rows) per fold and operator with
    readings held out."""
    operators = evidence["operator"].fillna("unknown")
    for fold in np.unique(folds):
        test = folds == fold
        for operator, rows in evidence[~test].groupby(operators[~test]):
            targets = test & operators.eq(operator).to_numpy()
            if targets.any():
                yield targets, operator, rows


def _fitted(template, rows: pd.DataFrame, sites: pd.DataFrame | None):
    """``template`` fitted to one operator's ``rows``."""
    model = operator_model(template, str(rows["operator"].iloc[0]), rows, sites)
    return model.fit(rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(),
                     **fit_kwargs(model, rows))


class _FoldFit(NamedTuple):
    """One fold's uncalibrated model of one operator and its held-out pieces (all, and the
    sample the other folds' calibrations learn from)."""

    operator: str
    targets: np.ndarray
    model: object
    pieces: object
    sample: object


def _cross_fitted_predictions(held_out: CrossValidated, evidence: pd.DataFrame, template,
                              folds: np.ndarray, sites: pd.DataFrame | None) -> None:
    """Each fold's predictions by the uncalibrated model of the other folds, calibrated on
    those folds' held-out readings of the same operator
    (:func:`~phusong.coverage.calibration.recalibrated_prediction`)."""
    from .calibration import (MAX_TEST_PER_FOLD, UNCALIBRATED, fit_calibration,
                              held_out_pieces, recalibrated_prediction)

    rng = np.random.default_rng(0)
    xy, values = evidence[["x", "y"]].to_numpy(), evidence["value"].to_numpy()
    uncalibrated = clone(template).set_params(calibrate=False)
    fitted = []
    for targets, operator, rows in _training_sets(evidence, folds):
        chosen = np.flatnonzero(targets)
        model = _fitted(uncalibrated, rows, sites)
        pieces = held_out_pieces(model, rows[["x", "y"]].to_numpy(), xy[chosen],
                                 values[chosen], template.censor_dbm)
        sample = np.arange(len(chosen))
        if len(sample) > MAX_TEST_PER_FOLD:
            sample = rng.choice(sample, MAX_TEST_PER_FOLD, replace=False)
        fitted.append(_FoldFit(operator, chosen, model, pieces, pieces.subset(sample)))
    for fold in fitted:
        others = [f for f in fitted if f.operator == fold.operator and f is not fold]
        calibration = UNCALIBRATED if not others else fit_calibration(
            [f.sample for f in others], fold.model.censor_level_,
            fold.model.sites_ is not None,
            float(np.mean([f.model.trend_fit_.miss_rate for f in others])))
        mean = recalibrated_prediction(fold.pieces, calibration.weight, calibration.offset)
        std = calibration.std(fold.pieces.std)
        held_out.predicted[fold.targets], held_out.spread[fold.targets] = mean, std
        held_out.dof[fold.targets] = calibration.tail_dof
        held_out.p_covered[fold.targets] = calibrated_probability(
            calibration, template.recalibrate_threshold, mean, std, held_out.threshold)


def _predict_held_out(held_out: CrossValidated, model, evidence: pd.DataFrame,
                      targets: np.ndarray) -> None:
    mean, std = model.predict(evidence.loc[targets, ["x", "y"]].to_numpy(), return_std=True)
    held_out.predicted[targets], held_out.spread[targets] = mean, std
    held_out.dof[targets] = predictive_dof(model)
    held_out.p_covered[targets] = covered_probability(model, mean, std, held_out.threshold)


def _score(method: str, evidence: pd.DataFrame, held_out: CrossValidated) -> Score:
    predicted, threshold = held_out.predicted, held_out.threshold
    observed = evidence["value"].to_numpy()
    measured = evidence["nr_measured"].to_numpy(dtype=bool) & ~np.isnan(predicted)
    error = predicted[measured] - observed[measured]
    known = ~np.isnan(predicted)
    call_pred = predicted[known] >= threshold
    call_obs = observed[known] >= threshold
    p_covered = held_out.p_covered[known]
    return Score(
        method=method,
        rmse_db=float(np.sqrt(np.mean(error**2))),
        mae_db=float(np.mean(np.abs(error))),
        bias_db=float(np.mean(error)),
        call_accuracy=float(np.mean(call_pred == call_obs)),
        share_error_pp=float(100 * (p_covered.mean() - call_obs.mean())),
        brier=float(np.mean((p_covered - call_obs) ** 2)),
        seconds=held_out.seconds,
        n_test=int(measured.sum()),
    )


def evaluate_store(store_path: str | Path, crs: str | None, methods: tuple[str, ...] = DEFAULT_METHODS,
                   block_size: float = DEFAULT_BLOCK_SIZE_M, n_folds: int = 5,
                   threshold: float = DEFAULT_NR_THRESHOLD_DBM, seed: int = 0,
                   sites: pd.DataFrame | None = None, technology: str = "nr",
                   locate_sites: bool = False, nested: bool = False) -> list[Score]:
    """Spatial-block cross-validation of every method on the same folds.

    Without a site list, sites are located from the readings' cell ids only with
    ``locate_sites`` (as :func:`~phusong.coverage.estimate_coverage` does). ``nested``:
    the calibrated default calibrated inside every fold, as ``estimate`` does, rather than
    cross-fitted (:func:`cross_validated_predictions`).

    ``sites``: the operators' site list (:func:`~phusong.coverage.sites.read_sites`);
    ``technology``: ``nr`` (5G) or ``lte`` (4G); ``crs`` ``None``: the readings' UTM zone.
    """
    readings = load_signal_xy(store_path, crs)
    projected = project_sites(sites, readings.attrs["crs"])
    evidence = attribute_operators(evidence_for(readings, technology))[0].reset_index(drop=True)
    without_unwanted_cell_ids(evidence, projected, locate_sites)
    if evidence["nr_measured"].sum() < 10:
        raise EstimationError(f"too few {technology.upper()} readings to cross-validate")
    folds = spatial_folds(evidence[["x", "y"]].to_numpy(), block_size, n_folds,
                          np.random.default_rng(seed))
    return [cross_validate(evidence, m, folds, threshold, projected, nested) for m in methods]


def best_method(scores: list[Score]) -> str:
    """The method whose probability of coverage scores best: the lowest Brier score,
    ties (to 0.001) broken by the smaller share error, then the lower RMSE.

    Coverage is what the province reports, so a method is ranked on the probability
    it gives, not only on its dB error.
    """
    return min(scores, key=lambda s: (round(s.brier, 3), round(abs(s.share_error_pp), 1),
                                      s.rmse_db)).method


def scores_table(scores: list[Score]) -> pd.DataFrame:
    return pd.DataFrame([asdict(s) for s in scores])


AUTO_METHODS = ("pathloss", "kriging", "idw")


def choose_method(store_path: str | Path, crs: str, methods: tuple[str, ...] = AUTO_METHODS,
                  block_size: float = DEFAULT_BLOCK_SIZE_M,
                  threshold: float = DEFAULT_NR_THRESHOLD_DBM,
                  sites: pd.DataFrame | None = None, technology: str = "nr",
                  locate_sites: bool = False) -> tuple[str, list[Score]]:
    """The best of ``methods`` by spatial-block cross-validation on this store, and the scores.

    The GP is left out by default: it is never the best on drive tests and costs the most.
    """
    scores = evaluate_store(store_path, crs, methods, block_size, threshold=threshold,
                            sites=sites, technology=technology, locate_sites=locate_sites)
    return best_method(scores), scores
