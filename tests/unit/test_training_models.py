"""Each model type: trained, calibrated, exported with proof of parity, and its metrics stored."""

from datetime import UTC, datetime, timedelta

import numpy as np
import onnxruntime as ort
import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.feature_values import conversions, prepare_rows
from leadscoring.domain.features import flatten
from leadscoring.inference.onnx_model import load_model
from leadscoring.schemas.lead import AttributeValue, FeatureFamily, LeadInput
from leadscoring.schemas.model import ModelType, ScoringFeature
from leadscoring.schemas.model_metadata import ModelMetadata
from leadscoring.training.export import PARITY_TOLERANCE, ExportMismatch, verify_parity
from leadscoring.training.search import CANDIDATES
from leadscoring.training.trainer import TrainedModel, frame_of, train_model

MODEL_TYPES: list[ModelType] = ["logistic_regression", "random_forest", "neural_network"]
Demo = tuple[list[dict[str, AttributeValue]], list[bool]]


@pytest.fixture(scope="module")
def demo() -> Demo:
    leads = generate(500, seed=21)
    return [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads], [d.converted for d in leads]


@pytest.fixture(scope="module", params=MODEL_TYPES)
def trained(request: pytest.FixtureRequest, demo: Demo) -> TrainedModel:
    rows, labels = demo
    return train_model(
        rows, labels, default_features(), "m", "1", "Test", created_by="test", model_type=request.param, time_budget_seconds=1
    )


def test_onnx_parity_within_tolerance(trained: TrainedModel) -> None:
    assert trained.metadata.onnx_parity_max_abs_diff <= PARITY_TOLERANCE
    session = ort.InferenceSession(trained.onnx_bytes, providers=["CPUExecutionProvider"])
    output = next(o for o in session.get_outputs() if o.name == "probabilities")
    assert output.shape[1] == 2 and output.type == "tensor(float)"  # zipmap off: a plain [n, 2] tensor


def test_the_scoring_path_serves_what_was_trained(demo: Demo, trained: TrainedModel) -> None:
    rows, _ = demo
    loaded = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    schema = trained.metadata.feature_types()
    assert trained.pipeline is not None
    expected = trained.pipeline.predict_proba(frame_of(rows, schema))[:, 1]
    assert np.max(np.abs(loaded.predict_proba(rows) - expected)) <= PARITY_TOLERANCE
    assert 0 <= loaded.predict_proba([{}])[0] <= 1  # every gap imputed


def test_metrics_are_present_and_sane(trained: TrainedModel) -> None:
    model, metadata = trained.model, trained.metadata
    metrics = metadata.metrics
    holdout = metadata.rows.holdout
    assert holdout == 100 and metadata.rows.train == 400 and model.training_rows == 500
    assert model.roc_auc is not None and model.roc_auc == metrics.roc_auc and model.roc_auc > 0.65
    for name in ("accuracy", "precision", "recall", "f1_score"):
        assert 0 <= getattr(model, name) == getattr(metrics, name) <= 1
    assert metrics.brier_score is not None and 0 < metrics.brier_score < 0.25
    confusion = metrics.confusion_matrix
    assert confusion is not None and sum(confusion.model_dump().values()) == holdout
    assert confusion.true_positive + confusion.false_negative == metrics.positives
    curve = metrics.calibration_curve
    assert len(curve) == 10 and sum(b.count for b in curve) == holdout
    assert all(b.lower <= (b.mean_predicted or -1) <= b.upper for b in curve if b.count)
    lift = metrics.lift_by_decile
    assert [d.decile for d in lift] == list(range(1, 11)) and sum(d.rows for d in lift) == holdout
    assert (lift[0].lift or 0) > 1.2 and lift[-1].cumulative_capture == 1.0
    names = [f.name for f in metadata.feature_schema]
    assert set(metadata.feature_importance) == set(names)
    assert max(v.mean for v in metadata.feature_importance.values()) > 0
    assert metadata.training_seconds is not None and metadata.training_seconds > 0 and metadata.timings is not None
    assert metadata.calibration is not None and metadata.calibration.method == "sigmoid"
    assert set(metadata.baselines or {}) == set(names)
    assert ModelMetadata.from_json(metadata.to_json()) == metadata  # the registry stores it as JSON


def test_search_is_time_boxed_and_recorded(trained: TrainedModel) -> None:
    search = trained.metadata.search
    assert search is not None
    model_type = trained.model.model_type
    tried = len(search.candidates)
    assert tried >= 1 and tried + search.not_tried == len(CANDIDATES[model_type])
    best = max(search.candidates, key=lambda c: c.cv_roc_auc)
    assert all(trained.metadata.parameters[k] == v for k, v in best.params.items())
    assert search.cv_folds == 3


def test_a_zero_budget_tries_only_the_default(demo: Demo) -> None:
    rows, labels = demo
    trained = train_model(rows, labels, default_features()[:6], "m", "1", "n", created_by="t", time_budget_seconds=0)
    search = trained.metadata.search
    assert search is not None and len(search.candidates) == 1
    assert search.not_tried == len(CANDIDATES["logistic_regression"]) - 1


def test_parity_gate_refuses_a_model_that_scores_differently(demo: Demo, trained: TrainedModel) -> None:
    rows, _ = demo
    schema = trained.metadata.feature_types()
    frame = frame_of(rows[:100], schema)
    assert trained.pipeline is not None
    calibrator = trained.pipeline[-1].calibrated_classifiers_[0].calibrators[0]
    original = calibrator.a_
    try:
        calibrator.a_ = original * 1.01  # the scikit-learn side drifts after export
        with pytest.raises(ExportMismatch, match="not registrable") as err:
            verify_parity(trained.pipeline, trained.onnx_bytes, frame, schema)
        assert err.value.max_abs_diff > PARITY_TOLERANCE
    finally:
        calibrator.a_ = original


def test_imbalanced_classes_are_weighted_and_calibrated_back() -> None:
    leads = generate(1500, seed=5)
    picked = [d for i, d in enumerate(leads) if not d.converted or i % 5 == 0]
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in picked]
    labels = [d.converted for d in picked]
    trained = train_model(rows, labels, default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0)
    weighting = trained.metadata.class_weighting
    assert weighting is not None and weighting.class_weight == "balanced" and weighting.minority_share < 0.2
    metrics = trained.metadata.metrics
    assert metrics.mean_predicted is not None and metrics.positives is not None and metrics.rows
    # Balanced weights alone would centre scores near 0.5; the calibration brings them back to the base rate.
    assert abs(metrics.mean_predicted - metrics.positives / metrics.rows) < 0.05


def test_days_since_features_train_and_score_through_the_conversion(demo: Demo) -> None:
    rows, labels = demo
    reference = datetime(2026, 5, 1, tzinfo=UTC)
    dated: list[dict[str, AttributeValue]] = [
        {**r, "last_contact": (reference - timedelta(days=(5 if y else 25) + i % 37)).date().isoformat()}
        for i, (r, y) in enumerate(zip(rows, labels, strict=True))
    ]
    features = [
        *default_features()[:4],
        ScoringFeature(name="last_contact", type="numerical", transformation="days_since | clip(0, 90)", family=FeatureFamily.ENGAGEMENT),
    ]
    trained = train_model(dated, labels, features, "m", "1", "n", created_by="t", reference_time=reference, time_budget_seconds=0)
    entry = next(f for f in trained.metadata.feature_schema if f.name == "last_contact")
    assert entry.input_conversion == "days_since" and entry.type == "numerical"
    loaded = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    recent = prepare_rows([{"last_contact": "2026-04-24"}], conversions(trained.metadata.feature_schema), reference)
    stale = prepare_rows([{"last_contact": "2026-03-01"}], conversions(trained.metadata.feature_schema), reference)
    assert loaded.predict_proba(recent)[0] > loaded.predict_proba(stale)[0]
    assert trained.model.roc_auc is not None and trained.model.roc_auc > 0.8  # recency carries much of the outcome here
