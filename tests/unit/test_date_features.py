"""A feature computed from a date: the lead sends the date, the model sees the days since it."""

from datetime import UTC, datetime, timedelta

import pytest

from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.features import validate_attributes
from leadscoring.inference.onnx_model import LoadedModel, load_model
from leadscoring.schemas.lead import AttributeValue, FeatureFamily, LeadAttributes
from leadscoring.schemas.model import ScoringFeature, ValidationRule
from leadscoring.training.trainer import train_model

FEATURES = [
    ScoringFeature(name="page_views", type="numerical", family=FeatureFamily.BEHAVIORAL),
    ScoringFeature(
        name="last_visit",
        type="numerical",
        family=FeatureFamily.ENGAGEMENT,
        transformation="days_since",
        validation_rules=[ValidationRule(type="min", value=0)],
    ),
]


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    now = datetime.now(UTC)
    rows: list[dict[str, AttributeValue]] = []
    labels: list[bool] = []
    for i in range(400):
        days = i % 60
        rows.append({"page_views": float(i % 17), "last_visit": (now - timedelta(days=days)).date().isoformat()})
        labels.append(days < 20 if i % 7 else days >= 20)  # recent visitors mostly convert
    trained = train_model(rows, labels, FEATURES, "dates", "1", "Dates", "test", time_budget_seconds=5, importance_repeats=1, n_jobs=1)
    return load_model("dates", "1", trained.onnx_bytes, trained.metadata)


def test_dates_are_accepted_and_bad_dates_named() -> None:
    validate_attributes(LeadAttributes.model_validate({"engagement": {"last_visit": "2026-03-01"}}), FEATURES)
    with pytest.raises(InvalidInput) as err:
        validate_attributes(LeadAttributes.model_validate({"engagement": {"last_visit": "yesterday"}}), FEATURES)
    assert err.value.details[0]["field"] == "attributes.engagement.last_visit"


def test_scoring_converts_the_date_to_days_since(model: LoadedModel) -> None:
    today = datetime.now(UTC).date()
    recent = model.predict_proba([{"page_views": 5.0, "last_visit": today.isoformat()}])[0]
    stale = model.predict_proba([{"page_views": 5.0, "last_visit": (today - timedelta(days=55)).isoformat()}])[0]
    assert recent > stale
    probabilities, explanations = model.predict_explained([{"page_views": 5.0, "last_visit": today.isoformat()}])
    assert probabilities[0] == pytest.approx(recent, abs=1e-6)
    assert explanations is not None
