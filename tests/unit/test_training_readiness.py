"""Data readiness: refusals that say what is missing, and findings a caller can act on."""

import random

import numpy as np
import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.errors import DomainError
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.schemas.lead import AttributeValue, FeatureFamily, LeadInput
from leadscoring.schemas.model import FeatureType, ScoringFeature
from leadscoring.training.readiness import DataNotReady, check_readiness, require_ready, roc_auc
from leadscoring.training.trainer import train_model


def feature(name: str, ftype: FeatureType = "numerical") -> ScoringFeature:
    return ScoringFeature(name=name, type=ftype, family=FeatureFamily.BEHAVIORAL)


def dataset(positives: int, negatives: int, seed: int = 1) -> tuple[list[dict[str, AttributeValue]], list[bool], list[ScoringFeature]]:
    rng = random.Random(seed)
    labels = [True] * positives + [False] * negatives
    rows: list[dict[str, AttributeValue]] = [
        {"visits": rng.gauss(3 + y, 2), "source": rng.choice(["ads", "web", "partner"])} for y in labels
    ]
    return rows, labels, [feature("visits"), feature("source", "categorical")]


def test_ready_data_has_no_errors() -> None:
    rows, labels, features = dataset(60, 140)
    report = require_ready(rows, labels, features)
    assert report.ready and report.positives == 60 and report.negatives == 140 and report.rows == 200
    assert report.feature_stats["visits"]["missing_rate"] == 0 and 0.5 < report.feature_stats["visits"]["single_feature_auc"] < 0.9


def test_too_few_converted_leads_says_how_many_more() -> None:
    rows, labels, features = dataset(17, 200)
    with pytest.raises(DataNotReady) as err:
        require_ready(rows, labels, features)
    assert "needs 23 more converted leads (has 17, needs at least 40)" in str(err.value)
    refusal = err.value
    assert isinstance(refusal, DomainError) and refusal.status == 422 and refusal.code == "DATA_NOT_READY"
    assert [f.check for f in refusal.findings] == ["positives"]
    assert refusal.findings[0].needed == 23 and refusal.details[0]["needed"] == 23


def test_too_few_of_both_classes_and_rows() -> None:
    rows, labels, features = dataset(39, 10)
    report = check_readiness(rows, labels, features)
    messages = [f.message for f in report.errors]
    assert "needs 31 more leads with a known outcome (has 49)" in messages[0]
    assert any("needs 1 more converted lead (has 39" in m for m in messages)
    assert any("needs 30 more leads that did not convert (has 10" in m for m in messages)


def test_a_column_recorded_after_the_outcome_is_refused_as_leakage() -> None:
    rows, labels, features = dataset(80, 120)
    rng = random.Random(3)
    for row, y in zip(rows, labels, strict=True):
        row["stage"] = "Closed - Won" if y else rng.choice(["Closed - Lost", "Unqualified"])
    with pytest.raises(DataNotReady) as err:
        require_ready(rows, labels, [*features, feature("stage", "categorical")])
    finding = err.value.findings[0]
    assert finding.check == "leakage" and finding.feature == "stage" and (finding.value or 0) > 0.99
    assert "feature 'stage' alone predicts the outcome (ROC-AUC 1.000)" in str(err.value)


def test_a_copy_of_the_outcome_is_named_as_such() -> None:
    rows, labels, features = dataset(80, 120)
    for row, y in zip(rows, labels, strict=True):
        row["is_customer"] = y
    report = check_readiness(rows, labels, [*features, feature("is_customer", "boolean")])
    assert [f.message for f in report.errors] == [
        "feature 'is_customer' is a copy of the outcome: it is probably recorded after the outcome is known; deactivate it"
    ]


def test_a_near_perfect_number_is_leakage_but_a_unique_id_is_not() -> None:
    rows, labels, features = dataset(80, 120)
    for i, (row, y) in enumerate(zip(rows, labels, strict=True)):
        row["days_to_close"] = (5.0 if y else 50.0) + i * 0.001
        row["crm_id"] = f"lead-{i:05d}"  # unique per row: memorising it predicts nothing out of fold
    report = check_readiness(rows, labels, [*features, feature("days_to_close"), feature("crm_id", "categorical")])
    assert [f.feature for f in report.errors] == ["days_to_close"]
    assert report.feature_stats["crm_id"]["single_feature_auc"] < 0.6


def test_missing_and_constant_features() -> None:
    rows, labels, features = dataset(50, 50)
    for i, row in enumerate(rows):
        row["budget"] = None
        row["region"] = "emea"
        row["rarely_known"] = float(i) if i % 3 == 0 else None
    report = check_readiness(rows, labels, [*features, feature("budget"), feature("region", "categorical"), feature("rarely_known")])
    errors = {f.feature: f.message for f in report.errors}
    warnings = {(f.check, f.feature) for f in report.warnings}
    assert errors == {"budget": "feature 'budget' has no value in any of the 100 rows"}
    assert ("constant", "region") in warnings and ("missing", "rarely_known") in warnings
    # As the model's metadata records them: each finding as the API details it, without the figures it has not got.
    recorded = report.record()
    assert [f.model_dump(mode="json", exclude_unset=True) for f in recorded.findings] == [f.as_dict() for f in report.findings]


def test_training_refuses_before_fitting() -> None:
    demo = generate(120, seed=2)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in demo]
    labels = [d.converted for d in demo]
    with pytest.raises(DataNotReady, match=r"needs \d+ more converted leads"):
        train_model(rows, [False] * 100 + labels[100:], default_features(), "m", "1", "n", created_by="t")


def test_rank_auc() -> None:
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) == 0.5
