"""A small, time-boxed hyperparameter search: a handful of candidates, stratified CV on the training split.

Candidates are tried in order (the first is a sound default, so a tight budget still yields a model) and
scored by mean ROC-AUC over stratified folds, each fold fitting the whole pipeline (preprocessing included)
on its own training part. The search stops starting new candidates once the time budget is spent or the
next candidate would overrun it. Random forests are searched with fewer trees than the final model: the
ranking of leaf sizes and feature fractions settles well before the forest's AUC does.

BLAS runs single-threaded while fitting: the matrices here are small, and BLAS threads only contend (an
MLP (64, 32) fit on 7,400 rows took 20 s with two busy BLAS threads against 4 s with one).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from leadscoring.schemas.model import ModelType, ScoringFeature
from leadscoring.schemas.model_metadata import SearchCandidate, SearchRecord
from leadscoring.training.pipeline import build_pipeline

CV_FOLDS = 3
SEARCH_TREES = 150
FINAL_TREES = 400

CANDIDATES: dict[ModelType, tuple[dict[str, Any], ...]] = {
    "logistic_regression": ({"C": 1.0}, {"C": 0.3}, {"C": 3.0}, {"C": 0.1}, {"C": 10.0}),
    "random_forest": (
        {"min_samples_leaf": 3, "max_features": 0.3},
        {"min_samples_leaf": 5, "max_features": "sqrt"},
        {"min_samples_leaf": 2, "max_features": 0.2},
        {"min_samples_leaf": 3, "max_features": "sqrt"},
        {"min_samples_leaf": 5, "max_features": 0.3},
    ),
    "neural_network": (
        {"hidden_layer_sizes": (64, 32), "alpha": 1.0},
        {"hidden_layer_sizes": (32,), "alpha": 0.3},
        {"hidden_layer_sizes": (32,), "alpha": 1.0},
        {"hidden_layer_sizes": (64, 32), "alpha": 3.0},
    ),
}


@dataclass(frozen=True)
class CandidateResult:
    params: dict[str, Any]
    cv_roc_auc: float
    cv_roc_auc_std: float
    seconds: float

    def record(self) -> SearchCandidate:
        return SearchCandidate(
            params=_jsonable(self.params),
            cv_roc_auc=round(self.cv_roc_auc, 6),
            cv_roc_auc_std=round(self.cv_roc_auc_std, 6),
            seconds=round(self.seconds, 3),
        )


@dataclass(frozen=True)
class SearchResult:
    best_params: dict[str, Any]
    candidates: list[CandidateResult]
    not_tried: int
    budget_seconds: float
    seconds: float
    folds: int
    warnings: list[str] = field(default_factory=list)

    def record(self) -> SearchRecord:
        """The search as the model version's metadata records it."""
        return SearchRecord(
            best_params=_jsonable(self.best_params),
            candidates=[c.record() for c in self.candidates],
            not_tried=self.not_tried,
            budget_seconds=self.budget_seconds,
            seconds=round(self.seconds, 3),
            cv_folds=self.folds,
            scoring="roc_auc",
            warnings=self.warnings,
        )


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def final_params(model_type: ModelType, params: Mapping[str, Any]) -> dict[str, Any]:
    """The searched parameters as the final model uses them (more trees for a forest)."""
    out = dict(params)
    if model_type == "random_forest":
        out["n_estimators"] = FINAL_TREES
    return out


def search(
    features: Sequence[ScoringFeature],
    model_type: ModelType,
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    *,
    time_budget_seconds: float,
    class_weight: str | None = None,
    random_state: int = 42,
    n_jobs: int | None = None,
    candidates: Sequence[Mapping[str, Any]] | None = None,
) -> SearchResult:
    """Try candidates in order within the budget; the best mean CV ROC-AUC wins (ties: the earlier)."""
    started = time.perf_counter()
    pool = [dict(c) for c in (candidates or CANDIDATES[model_type])]
    folds = min(CV_FOLDS, int(np.bincount(y_train).min()))
    splitter = StratifiedKFold(max(folds, 2), shuffle=True, random_state=random_state)
    split = list(splitter.split(x_train, y_train))
    results: list[CandidateResult] = []
    seen_warnings: set[str] = set()
    for params in pool:
        elapsed = time.perf_counter() - started
        last = results[-1].seconds if results else 0.0
        if results and elapsed + last > time_budget_seconds:
            break
        t0 = time.perf_counter()
        scores = []
        fit_params = {**params, "class_weight": class_weight}
        if model_type == "random_forest":
            fit_params["n_estimators"] = SEARCH_TREES
        for train_idx, test_idx in split:
            pipeline = build_pipeline(
                features, model_type, fit_params, training_rows=len(train_idx), calibrated=False, random_state=random_state, n_jobs=n_jobs
            )
            with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
                warnings.simplefilter("always", ConvergenceWarning)
                pipeline.fit(x_train.iloc[train_idx], y_train[train_idx])
            seen_warnings.update(str(w.message).split(".")[0] for w in caught if issubclass(w.category, ConvergenceWarning))
            scores.append(roc_auc_score(y_train[test_idx], pipeline.predict_proba(x_train.iloc[test_idx])[:, 1]))
        results.append(CandidateResult(params, float(np.mean(scores)), float(np.std(scores)), time.perf_counter() - t0))
    best = max(results, key=lambda r: r.cv_roc_auc)  # max keeps the first of equals
    return SearchResult(
        {**best.params, "class_weight": class_weight},
        results,
        len(pool) - len(results),
        time_budget_seconds,
        time.perf_counter() - started,
        len(split),
        sorted(seen_warnings),
    )
