"""A model version's metadata.json: every version ever written still parses and serves, and the trainer's document
keeps the shape it has always had."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.inference.onnx_model import load_model
from leadscoring.schemas.lead import LeadInput
from leadscoring.schemas.model import LeadsSource
from leadscoring.schemas.model_metadata import BinsReference, ModelMetadata, TrainingRunRecord
from leadscoring.training.trainer import TrainedModel, train_model

# The keys the trainer writes, in its order (training_run only from the training workflow).
TRAINER_KEYS = [
    "model_id",
    "version",
    "model_type",
    "feature_schema",
    "metrics",
    "feature_importance",
    "feature_importance_method",
    "training_seconds",
    "timings",
    "search",
    "parameters",
    "calibration",
    "class_weighting",
    "readiness",
    "onnx_parity_max_abs_diff",
    "parity_tolerance",
    "training_data_sha256",
    "rows",
    "split",
    "baselines",
    "reference",
    "parent_version",
    "created_by",
    "created_at",
    "libraries",
    "onnx_opset",
]


def first_trainer_document(trained: TrainedModel) -> dict[str, Any]:
    """metadata.json as the first trainer wrote it (commit 04758fd): no baselines, references, search or readiness,
    feature entries of a name and a type, five metrics, the classifier's get_params()."""
    return {
        "model_id": "m",
        "version": "1",
        "model_type": "logistic_regression",
        "feature_schema": [{"name": name, "type": ftype} for name, ftype in trained.metadata.feature_types()],
        "metrics": {"accuracy": 0.71, "precision": 0.66, "recall": 0.52, "f1_score": 0.58, "roc_auc": 0.77},
        "onnx_parity_max_abs_diff": 2.1e-07,
        "training_data_sha256": "0" * 64,
        "rows": {"total": 400, "train": 320, "holdout": 80, "positives": 150},
        "parameters": {"C": 1.0, "class_weight": None, "max_iter": 2000, "solver": "lbfgs"},
        "parent_version": None,
        "created_by": "t",
        "created_at": "2026-11-26T10:15:03.120000+00:00",
    }


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    leads = generate(400, seed=71)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    labels = [d.converted for d in leads]
    return train_model(
        rows, labels, default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0, importance_repeats=1, n_jobs=1
    )


def test_the_first_trainers_metadata_still_parses_and_its_model_serves(trained: TrainedModel) -> None:
    document = first_trainer_document(trained)
    metadata = ModelMetadata.from_json(json.dumps(document))
    assert metadata.metrics.roc_auc == 0.77 and metadata.metrics.calibration_curve == [] and metadata.metrics.brier_score is None
    assert metadata.baselines is None and metadata.reference is None and metadata.search is None and metadata.readiness is None
    assert [f.weight for f in metadata.feature_schema] == [None] * len(document["feature_schema"])
    assert metadata.created_at.utcoffset() is not None
    # Written back (a copy to another tenant or version) it is the document it was, nothing added (keys in today's order).
    assert json.loads(metadata.to_json()) == document
    # It still scores, without explanations (no baselines were recorded then).
    served = load_model("m", "1", trained.onnx_bytes, metadata)
    probabilities, explanations = served.predict_explained([{"page_views": 12}])
    assert 0 < float(probabilities[0]) < 1 and explanations is None


def test_a_version_from_before_feature_references_parses_and_keeps_what_it_has(trained: TrainedModel) -> None:
    # Commit f3f48e9 .. 3a6c1e9: everything but `reference` (drift reports then say to train a new version).
    document = json.loads(trained.metadata.to_json())
    del document["reference"]
    metadata = ModelMetadata.from_json(json.dumps(document))
    assert metadata.reference is None and metadata.baselines == trained.metadata.baselines
    assert json.loads(metadata.to_json()) == document


def test_a_field_this_code_does_not_know_is_kept_not_refused(trained: TrainedModel) -> None:
    document = {**json.loads(trained.metadata.to_json()), "drift_thresholds": {"psi": 0.2}}
    metadata = ModelMetadata.from_json(json.dumps(document))
    assert json.loads(metadata.to_json()) == document


def test_the_trainers_document_has_the_keys_it_always_had_and_no_nulls_for_what_it_never_wrote(trained: TrainedModel) -> None:
    document = json.loads(trained.metadata.to_json())
    assert list(document) == TRAINER_KEYS
    assert document["created_at"].endswith("+00:00")  # datetime.isoformat(), as before
    # Entries carry input_conversion and notes only when they have them.
    assert all(set(f) == {"name", "type", "weight", "transformation"} for f in document["feature_schema"])
    assert {r["kind"] for r in document["reference"].values()} == {"bins", "categories"}  # what the union is read by
    numeric = next(f.name for f in trained.metadata.feature_schema if f.type == "numerical")
    assert isinstance((trained.metadata.reference or {})[numeric], BinsReference)
    assert ModelMetadata.from_json(trained.metadata.to_json()) == trained.metadata


def test_the_training_run_is_recorded_only_when_there_is_one(trained: TrainedModel) -> None:
    run = TrainingRunRecord(run_id="r1", source=LeadsSource())
    with_run = trained.metadata.model_copy(update={"training_run": run})
    document = json.loads(with_run.to_json())
    assert list(document) == [*TRAINER_KEYS, "training_run"] and document["training_run"] == {"run_id": "r1", "source": {"kind": "leads"}}
    assert ModelMetadata.from_json(with_run.to_json()).training_run == run
