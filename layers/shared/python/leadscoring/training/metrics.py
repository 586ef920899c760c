"""Holdout metrics stored with every model version, computed on the probabilities the ONNX model returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from leadscoring.schemas.model_metadata import CalibrationBin, ConfusionMatrix, HoldoutMetrics, LiftDecile

CALIBRATION_BINS = 10
DECILES = 10


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Equal-width probability bins: how many leads fell in each, their mean predicted and observed rates."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        out.append(
            CalibrationBin(
                lower=round(float(edges[b]), 4),
                upper=round(float(edges[b + 1]), 4),
                count=count,
                mean_predicted=round(float(p[mask].mean()), 6) if count else None,
                observed_rate=round(float(y[mask].mean()), 6) if count else None,
            )
        )
    return out


def lift_by_decile(y: np.ndarray, p: np.ndarray, deciles: int = DECILES) -> list[LiftDecile]:
    """Leads ranked by score, cut in tenths (1 = highest scores): conversion rate, lift over the base rate,
    and the share of all conversions captured down to that decile."""
    order = np.argsort(-p, kind="mergesort")
    parts = np.array_split(order, deciles)
    base = float(y.mean()) if len(y) else 0.0
    total = float(y.sum())
    captured = 0.0
    out = []
    for i, part in enumerate(parts, start=1):
        rate = float(y[part].mean()) if len(part) else 0.0
        captured += float(y[part].sum())
        out.append(
            LiftDecile(
                decile=i,
                rows=len(part),
                min_score=round(float(p[part].min()) * 100, 2) if len(part) else None,
                conversion_rate=round(rate, 6),
                lift=round(rate / base, 4) if base else None,
                cumulative_capture=round(captured / total, 6) if total else None,
            )
        )
    return out


def evaluate(y_true: Any, probability: Any, threshold: float = 0.5) -> HoldoutMetrics:
    """Classification metrics at `threshold` (the tenant's qualified cut-off) and ranking/calibration metrics."""
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    predicted = (p >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    two_classes = len(np.unique(y)) == 2
    return HoldoutMetrics(
        accuracy=float(accuracy_score(y, predicted)),
        precision=float(precision_score(y, predicted, zero_division=0)),
        recall=float(recall_score(y, predicted, zero_division=0)),
        f1_score=float(f1_score(y, predicted, zero_division=0)),
        roc_auc=float(roc_auc_score(y, p)) if two_classes else None,
        brier_score=float(brier_score_loss(y, p)),
        log_loss=float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
        threshold=threshold,
        confusion_matrix=ConfusionMatrix(true_negative=tn, false_positive=fp, false_negative=fn, true_positive=tp),
        calibration_curve=calibration_curve(y, p),
        lift_by_decile=lift_by_decile(y, p),
        rows=len(y),
        positives=int(y.sum()),
        mean_predicted=float(p.mean()) if len(p) else None,
    )


def permutation_importance(
    predict: Callable[[dict[str, np.ndarray]], np.ndarray],
    inputs: Mapping[str, np.ndarray],
    y_true: Any,
    *,
    repeats: int = 3,
    random_state: int = 42,
) -> dict[str, dict[str, float]]:
    """Mean drop in holdout ROC-AUC when one input feature's values are shuffled, per input feature.

    `predict` takes the model's inputs ({name: [n, 1] array}, as the ONNX model does) and returns P(convert),
    so importance is measured on the artifact that is served, preprocessing included.
    """
    y = np.asarray(y_true, dtype=int)
    if len(np.unique(y)) < 2:
        return {}
    baseline = float(roc_auc_score(y, predict(dict(inputs))))
    rng = np.random.default_rng(random_state)
    out: dict[str, dict[str, float]] = {}
    for name in inputs:
        drops = []
        for _ in range(repeats):
            shuffled = dict(inputs)
            shuffled[name] = inputs[name][rng.permutation(len(y))]
            drops.append(baseline - float(roc_auc_score(y, predict(shuffled))))
        out[name] = {"mean": round(float(np.mean(drops)), 6), "std": round(float(np.std(drops)), 6)}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["mean"]))
