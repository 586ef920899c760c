"""Fit, evaluate, export and verify a model on labelled rows; returns what the registry stores."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

from leadscoring.domain.features import MISSING_CATEGORY
from leadscoring.schemas.lead import AttributeValue
from leadscoring.schemas.model import ModelType, ScoringFeature, ScoringModel, Thresholds
from leadscoring.training.export import to_onnx, verify_parity
from leadscoring.training.pipeline import build_pipeline


@dataclass(frozen=True)
class TrainedModel:
    model: ScoringModel
    onnx_bytes: bytes
    metadata: dict[str, Any]


def frame_of(rows: Sequence[dict[str, AttributeValue]], schema: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Rows as the pipeline expects them: floats with NaN gaps, strings with a missing token."""
    data: dict[str, list[Any]] = {}
    for name, ftype in schema:
        if ftype == "categorical":
            data[name] = [MISSING_CATEGORY if r.get(name) is None else str(r.get(name)) for r in rows]
        else:
            data[name] = [np.nan if r.get(name) is None else float(r[name]) for r in rows]  # type: ignore[arg-type]
    return pd.DataFrame(data)


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
) -> TrainedModel:
    active = [f for f in features if f.is_active]
    schema = [(f.name, f.type) for f in active]
    frame = frame_of(rows, schema)
    y = np.asarray(labels, dtype=int)
    x_train, x_test, y_train, y_test = train_test_split(frame, y, test_size=0.2, stratify=y, random_state=42)
    pipeline = build_pipeline(schema, model_type)
    pipeline.fit(x_train, y_train)
    onnx_bytes = to_onnx(pipeline, schema)
    parity = verify_parity(pipeline, onnx_bytes, x_test, schema)
    proba = pipeline.predict_proba(x_test)[:, 1]
    predicted = (proba >= 0.5).astype(int)
    metrics = {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "precision": float(precision_score(y_test, predicted, zero_division=0)),
        "recall": float(recall_score(y_test, predicted, zero_division=0)),
        "f1_score": float(f1_score(y_test, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(y_test, proba)),
    }
    now = datetime.now(UTC)
    model = ScoringModel(
        id=model_id,
        name=name,
        version=version,
        model_type=model_type,
        features=active,
        weights={f.name: f.weight for f in active},
        thresholds=thresholds or Thresholds(),
        is_active=False,
        created_at=now,
        updated_at=now,
        training_rows=len(rows),
        **metrics,
    )
    data_hash = hashlib.sha256(json.dumps([list(map(str, r.values())) for r in rows] + [list(map(int, labels))]).encode()).hexdigest()
    metadata = {
        "model_id": model_id,
        "version": version,
        "model_type": model_type,
        "feature_schema": [{"name": n, "type": t} for n, t in schema],
        "metrics": metrics,
        "onnx_parity_max_abs_diff": parity,
        "training_data_sha256": data_hash,
        "rows": {"total": len(rows), "train": len(x_train), "holdout": len(x_test), "positives": int(y.sum())},
        "parameters": pipeline.steps[-1][1].get_params(),
        "parent_version": parent_version,
        "created_by": created_by,
        "created_at": now.isoformat(),
    }
    return TrainedModel(model, onnx_bytes, metadata)
