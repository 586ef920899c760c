"""Fit, evaluate, export and verify a model on labelled rows; returns what the registry stores.

    readiness -> stratified 80/20 split -> time-boxed search (CV on the 80%) -> calibrated fit on the 80%
    -> ONNX export -> parity gate on the 20% -> metrics of the ONNX model on the 20%

Class imbalance: when the rarer outcome is under `balance_below` (35%) of the rows, the classifier weighs
classes inversely to their frequency (class_weight="balanced", per bootstrap sample for a forest, sample
weights for the network); the sigmoid calibration, fitted unweighted on out-of-fold predictions, brings the
probabilities back to the real conversion rate.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import skl2onnx
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.explanations import training_baselines
from leadscoring.domain.feature_values import DAYS_SINCE, prepare_rows
from leadscoring.domain.features import MISSING_CATEGORY, model_inputs
from leadscoring.domain.monitoring import training_reference
from leadscoring.schemas.lead import AttributeValue
from leadscoring.schemas.model import FeatureType, ModelType, ScoringFeature, ScoringModel, Thresholds
from leadscoring.schemas.model_metadata import (
    Calibration,
    ClassWeighting,
    FeatureImportance,
    FeatureSchemaEntry,
    HoldoutMetrics,
    ModelMetadata,
    RowCounts,
    SplitRecord,
    StageTimings,
    TrainingRunRecord,
)
from leadscoring.training.export import PARITY_TOLERANCE, PROBABILITIES, TARGET_OPSET, onnx_session, to_onnx, verify_parity
from leadscoring.training.metrics import evaluate, permutation_importance
from leadscoring.training.pipeline import CALIBRATION_FOLDS, build_pipeline, model_inputs_of, plans
from leadscoring.training.readiness import MIN_PER_CLASS, ReadinessReport, require_ready
from leadscoring.training.search import final_params, search
from leadscoring.training.transformations import validate_features

DEFAULT_TIME_BUDGET_SECONDS = 60.0
BALANCE_BELOW = 0.35


@dataclass(frozen=True)
class TrainedModel:
    model: ScoringModel
    onnx_bytes: bytes
    metadata: ModelMetadata
    pipeline: Pipeline | None = field(default=None, repr=False, compare=False)  # the fitted scikit-learn pipeline
    readiness: ReadinessReport | None = field(default=None, repr=False, compare=False)


def frame_of(rows: Sequence[dict[str, AttributeValue]], schema: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Rows as the pipeline expects them, and as ONNX receives them: float32 with NaN gaps, strings with a
    missing token. Training on float32 is what makes trees split exactly where onnxruntime compares."""
    data: dict[str, Any] = {}
    for name, ftype in schema:
        if ftype == "categorical":
            data[name] = [MISSING_CATEGORY if r.get(name) is None else str(r.get(name)) for r in rows]
        else:
            data[name] = np.array([np.nan if r.get(name) is None else float(r[name]) for r in rows], dtype=np.float32)  # type: ignore[arg-type]
    return pd.DataFrame(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class Prepared:
    """Validated training data, split: the output of the workflow's ValidateData step."""

    rows: list[dict[str, AttributeValue]]  # as given (hashed for lineage)
    labels: list[bool]
    prepared: list[dict[str, Any]]  # date inputs converted to days
    active: list[ScoringFeature]
    used: list[ScoringFeature]
    feature_plans: list[Any]
    schema: list[tuple[str, FeatureType]]
    y: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray
    readiness: ReadinessReport
    holdout_fraction: float
    random_state: int
    started: float = field(default_factory=time.perf_counter)

    @property
    def frame(self) -> pd.DataFrame:
        return frame_of(self.prepared, self.schema)

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
        frame = self.frame
        x_train = frame.iloc[self.train_idx].reset_index(drop=True)
        x_test = frame.iloc[self.test_idx].reset_index(drop=True)
        return x_train, x_test, self.y[self.train_idx], self.y[self.test_idx]


@dataclass
class Fitted:
    """The calibrated pipeline and how it was chosen: the output of the Train step."""

    pipeline: Pipeline
    found: Any
    chosen: dict[str, Any]
    class_weight: str | None
    minority_share: float
    balance_below: float
    fit_seconds: float


@dataclass
class Exported:
    """The ONNX model proven to score as scikit-learn does: the output of the ExportAndVerify step."""

    onnx_bytes: bytes
    parity: float
    seconds: float


@dataclass
class Evaluated:
    """Metrics of the exported ONNX model on the holdout: the output of the Evaluate step."""

    metrics: HoldoutMetrics
    importance: dict[str, dict[str, float]]  # per input: the mean and std of the drop in ROC-AUC
    importance_repeats: int
    seconds: float


def prepare(
    rows: Sequence[dict[str, AttributeValue]],
    labels: Sequence[bool],
    features: Sequence[ScoringFeature],
    model_type: ModelType,
    *,
    holdout_fraction: float = 0.2,
    random_state: int = 42,
    reference_time: datetime | Sequence[datetime] | None = None,
    min_per_class: int = MIN_PER_CLASS,
) -> Prepared:
    """Check the feature definitions and the data's readiness, then split. Raises InvalidFeatureDefinition or DataNotReady."""
    active = [f for f in features if f.is_active]
    validate_features(active)
    used = model_inputs_of(active)
    if not used:
        raise InvalidInput("No active feature with a weight above 0 to train on")
    feature_plans = plans(used, model_type)
    converted = {p.name: DAYS_SINCE for p in feature_plans if p.converted_input == DAYS_SINCE}
    prepared = prepare_rows(rows, converted, reference_time)
    readiness = require_ready(prepared, labels, used, min_per_class=min_per_class)
    schema: list[tuple[str, FeatureType]] = [(f.name, f.type) for f in used]
    y = np.asarray([bool(v) for v in labels], dtype=int)
    train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=holdout_fraction, stratify=y, random_state=random_state)
    return Prepared(
        list(rows),
        list(labels),
        prepared,
        active,
        used,
        feature_plans,
        schema,
        y,
        train_idx,
        test_idx,
        readiness,
        holdout_fraction,
        random_state,
    )


def fit(
    data: Prepared,
    model_type: ModelType,
    *,
    time_budget_seconds: float = DEFAULT_TIME_BUDGET_SECONDS,
    balance_below: float = BALANCE_BELOW,
    n_jobs: int | None = -1,
) -> Fitted:
    """Time-boxed search (CV on the training split), then a calibrated fit on the whole training split."""
    x_train, _, y_train, _ = data.split()
    minority_share = float(min(data.y.mean(), 1 - data.y.mean()))
    class_weight = "balanced" if minority_share < balance_below else None
    found = search(
        data.used,
        model_type,
        x_train,
        y_train,
        time_budget_seconds=time_budget_seconds,
        class_weight=class_weight,
        random_state=data.random_state,
        n_jobs=n_jobs,
    )
    chosen = final_params(model_type, found.best_params)
    fit_started = time.perf_counter()
    pipeline = build_pipeline(
        data.used, model_type, chosen, training_rows=len(data.train_idx), calibrated=True, random_state=data.random_state, n_jobs=n_jobs
    )
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):  # see search.py
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(x_train, y_train)
    return Fitted(pipeline, found, chosen, class_weight, minority_share, balance_below, time.perf_counter() - fit_started)


def export(data: Prepared, fitted: Fitted) -> Exported:
    """The whole pipeline to ONNX; refused (ExportMismatch) if it scores the holdout differently by over 1e-5."""
    started = time.perf_counter()
    _, x_test, _, _ = data.split()
    onnx_bytes = to_onnx(fitted.pipeline, data.schema)
    parity = verify_parity(fitted.pipeline, onnx_bytes, x_test, data.schema)
    return Exported(onnx_bytes, parity, time.perf_counter() - started)


def evaluate_export(data: Prepared, exported: Exported, thresholds: Thresholds, importance_repeats: int = 2) -> Evaluated:
    """Metrics of the very artifact that will serve, on the holdout."""
    started = time.perf_counter()
    _, x_test, _, y_test = data.split()
    session = onnx_session(exported.onnx_bytes)
    holdout_inputs = model_inputs(x_test.to_dict("records"), data.schema)

    def predict(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(session.run([PROBABILITIES], inputs)[0])[:, 1]

    metrics = evaluate(y_test, predict(holdout_inputs), thresholds.qualified / 100.0)
    importance = permutation_importance(predict, holdout_inputs, y_test, repeats=importance_repeats, random_state=data.random_state)
    return Evaluated(metrics, importance, importance_repeats, time.perf_counter() - started)


def assemble(
    data: Prepared,
    fitted: Fitted,
    exported: Exported,
    evaluated: Evaluated,
    *,
    model_id: str,
    version: str,
    name: str,
    created_by: str,
    model_type: ModelType,
    thresholds: Thresholds,
    parent_version: str | None = None,
    training_run: TrainingRunRecord | None = None,
) -> TrainedModel:
    """The registry's record of a version: the model, its ONNX bytes and everything measured on the way."""
    metrics = evaluated.metrics
    training_seconds = time.perf_counter() - data.started
    now = datetime.now(UTC)
    model = ScoringModel(
        id=model_id,
        name=name,
        version=version,
        model_type=model_type,
        features=data.active,
        weights={f.name: f.weight for f in data.active},
        thresholds=thresholds,
        is_active=False,
        created_at=now,
        updated_at=now,
        training_rows=len(data.rows),
        roc_auc=metrics.roc_auc,
        accuracy=metrics.accuracy,
        precision=metrics.precision,
        recall=metrics.recall,
        f1_score=metrics.f1_score,
    )
    data_hash = hashlib.sha256(
        json.dumps([list(map(str, r.values())) for r in data.rows] + [list(map(int, data.labels))], default=str).encode()
    ).hexdigest()
    train_rows = [data.prepared[i] for i in data.train_idx]
    metadata = ModelMetadata(
        model_id=model_id,
        version=version,
        model_type=model_type,
        feature_schema=[
            FeatureSchemaEntry(
                name=p.name,
                type=p.type,
                weight=p.weight,
                transformation=p.text(),
                input_conversion=p.converted_input,
                notes=list(p.notes) or None,
            )
            for p in data.feature_plans
        ],
        metrics=metrics,
        feature_importance={name: FeatureImportance(mean=v["mean"], std=v["std"]) for name, v in evaluated.importance.items()},
        feature_importance_method=(
            f"permutation on the holdout, drop in ROC-AUC of the ONNX model, {evaluated.importance_repeats} repeats"
        ),
        training_seconds=round(training_seconds, 3),
        timings=StageTimings(
            search=round(fitted.found.seconds, 3),
            fit=round(fitted.fit_seconds, 3),
            export_and_parity=round(exported.seconds, 3),
            evaluation=round(evaluated.seconds, 3),
        ),
        search=fitted.found.record(),
        parameters=_jsonable(fitted.chosen),
        calibration=Calibration(method="sigmoid", cv_folds=CALIBRATION_FOLDS, ensemble=False),
        class_weighting=ClassWeighting(
            class_weight=fitted.class_weight,
            minority_share=round(fitted.minority_share, 4),
            balance_below=fitted.balance_below,
        ),
        readiness=data.readiness.record(),
        onnx_parity_max_abs_diff=exported.parity,
        parity_tolerance=PARITY_TOLERANCE,
        training_data_sha256=data_hash,
        rows=RowCounts(total=len(data.rows), train=len(data.train_idx), holdout=len(data.test_idx), positives=int(data.y.sum())),
        split=SplitRecord(holdout_fraction=data.holdout_fraction, stratified=True, random_state=data.random_state),
        baselines=training_baselines(train_rows, data.schema),
        # What drift reports compare live leads with (GET /audit/drift).
        reference=training_reference(train_rows, data.schema),
        parent_version=parent_version,
        created_by=created_by,
        created_at=now,
        libraries={"scikit-learn": sklearn.__version__, "skl2onnx": skl2onnx.__version__, "onnxruntime": ort.__version__},
        onnx_opset=TARGET_OPSET,
        training_run=training_run,
    )
    return TrainedModel(model, exported.onnx_bytes, metadata, fitted.pipeline, data.readiness)


def train_model(
    rows: Sequence[dict[str, AttributeValue]],
    labels: Sequence[bool],
    features: Sequence[ScoringFeature],
    model_id: str,
    version: str,
    name: str,
    created_by: str,
    model_type: ModelType = "logistic_regression",
    thresholds: Thresholds | None = None,
    parent_version: str | None = None,
    *,
    time_budget_seconds: float = DEFAULT_TIME_BUDGET_SECONDS,
    holdout_fraction: float = 0.2,
    random_state: int = 42,
    reference_time: datetime | Sequence[datetime] | None = None,
    min_per_class: int = MIN_PER_CLASS,
    balance_below: float = BALANCE_BELOW,
    importance_repeats: int = 2,
    n_jobs: int | None = -1,
) -> TrainedModel:
    """Train one model version in one go: the workflow's steps, back to back.

    readiness -> stratified split -> time-boxed search (CV on the training split) -> calibrated fit
    -> ONNX export -> parity gate on the holdout -> metrics of the ONNX model on the holdout.
    Raises InvalidFeatureDefinition, DataNotReady (with findings) or ExportMismatch. `reference_time` is the
    moment days_since features count back from: one for all rows, one per row, or None for now.
    """
    thresholds = thresholds or Thresholds()
    data = prepare(
        rows,
        labels,
        features,
        model_type,
        holdout_fraction=holdout_fraction,
        random_state=random_state,
        reference_time=reference_time,
        min_per_class=min_per_class,
    )
    fitted = fit(data, model_type, time_budget_seconds=time_budget_seconds, balance_below=balance_below, n_jobs=n_jobs)
    exported = export(data, fitted)
    evaluated = evaluate_export(data, exported, thresholds, importance_repeats)
    return assemble(
        data,
        fitted,
        exported,
        evaluated,
        model_id=model_id,
        version=version,
        name=name,
        created_by=created_by,
        model_type=model_type,
        thresholds=thresholds,
        parent_version=parent_version,
    )
