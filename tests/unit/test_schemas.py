from typing import Any, get_args

import pytest
from pydantic import ValidationError

from leadscoring.schemas.lead import Lead, LeadInput
from leadscoring.schemas.model import ScoringFeature, ScoringModel, Thresholds, ValidationRule

SPEC_LEAD_FIELDS = {
    "id",
    "client_id",
    "email",
    "name",
    "phone",
    "company",
    "source",
    "score",
    "score_confidence",
    "qualified",
    "conversion_status",
    "conversion_date",
    "revenue",
    "created_at",
    "updated_at",
    "scored_at",
}
SPEC_MODEL_FIELDS = {
    "id",
    "name",
    "version",
    "model_type",
    "features",
    "weights",
    "thresholds",
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "is_active",
    "created_at",
    "updated_at",
}
SPEC_FEATURE_FIELDS = {"name", "type", "weight", "transformation", "validation_rules", "is_active"}


def minimal_lead(**extra: Any) -> dict[str, Any]:
    return {"email": "ada@example.com", "name": "Ada", "source": "web", **extra}


def test_stored_models_carry_every_spec_field() -> None:
    assert set(Lead.model_fields) >= SPEC_LEAD_FIELDS
    assert set(ScoringModel.model_fields) >= SPEC_MODEL_FIELDS
    assert set(ScoringFeature.model_fields) >= SPEC_FEATURE_FIELDS
    assert set(Thresholds.model_fields) == {"qualified", "high_priority", "low_priority"}


def test_spec_enums() -> None:
    status = Lead.model_fields["conversion_status"].annotation
    assert set(get_args(status)) == {"new", "contacted", "qualified", "converted", "lost"}
    model_type = ScoringModel.model_fields["model_type"].annotation
    assert set(get_args(model_type)) == {"logistic_regression", "random_forest", "neural_network"}
    feature_type = ScoringFeature.model_fields["type"].annotation
    assert set(get_args(feature_type)) == {"numerical", "categorical", "boolean"}


@pytest.mark.parametrize("owned", ["id", "client_id", "score", "score_confidence", "qualified", "scored_at", "created_at", "updated_at"])
def test_server_owned_fields_cannot_be_sent(owned: str) -> None:
    with pytest.raises(ValidationError) as err:
        LeadInput.model_validate(minimal_lead(**{owned: "x"}))
    assert err.value.errors()[0]["loc"] == (owned,)


def test_unknown_fields_and_bad_email_rejected() -> None:
    with pytest.raises(ValidationError):
        LeadInput.model_validate(minimal_lead(favourite_colour="blue"))
    with pytest.raises(ValidationError):
        LeadInput.model_validate(minimal_lead(email="not-an-email"))
    with pytest.raises(ValidationError):
        LeadInput.model_validate({**minimal_lead(), "attributes": {"psychographic": {"x": 1}}})


def test_attribute_values_keep_their_types() -> None:
    lead = LeadInput.model_validate(
        minimal_lead(attributes={"behavioral": {"page_views": 3, "bounce_rate": 0.5}, "firmographic": {"uses_marketing_automation": True}})
    )
    assert lead.attributes.behavioral["page_views"] == 3
    assert lead.attributes.firmographic["uses_marketing_automation"] is True
    with pytest.raises(ValidationError):
        LeadInput.model_validate(minimal_lead(attributes={"behavioral": {"Page Views": 3}}))


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (10**400, "attribute_range"),  # past float range: was an OverflowError, a 500
        (float("inf"), "attribute_range"),
        (2e15, "attribute_range"),
        (1e-31, "attribute_range"),
        ("x" * 501, "attribute_type"),
        ([1], "attribute_type"),
        ({"a": 1}, "attribute_type"),
    ],
)
def test_an_attribute_value_out_of_type_or_range_is_one_clear_error(value: object, kind: str) -> None:
    with pytest.raises(ValidationError) as raised:
        LeadInput.model_validate(minimal_lead(attributes={"behavioral": {"page_views": value}}))
    [error] = raised.value.errors()
    assert (error["type"], error["loc"]) == (kind, ("attributes", "behavioral", "page_views"))


def test_attribute_text_is_stripped_and_numbers_keep_their_exact_value() -> None:
    values = {"a": "  tech ", "b": " " + "x" * 500 + " ", "c": 10**15, "d": -1e-30, "e": 0, "f": None, "g": False}
    lead = LeadInput.model_validate(minimal_lead(attributes={"demographic": values}))
    kept = {k: v for k, v in values.items() if v is not None}  # an attribute sent as null is missing: not kept
    assert lead.attributes.demographic == {**kept, "a": "tech", "b": "x" * 500}
    assert type(lead.attributes.demographic["c"]) is int and lead.attributes.demographic["g"] is False


def test_thresholds_must_be_ordered_and_in_range() -> None:
    Thresholds(qualified=60, high_priority=80, low_priority=20)
    with pytest.raises(ValidationError):
        Thresholds(qualified=90, high_priority=80, low_priority=20)
    with pytest.raises(ValidationError):
        Thresholds(qualified=150, high_priority=160, low_priority=20)


def test_validation_rule_value_must_fit_its_type() -> None:
    ValidationRule(type="min", value=0)
    ValidationRule(type="allowed_values", value=["a", "b"])
    with pytest.raises(ValidationError):
        ValidationRule(type="min", value="zero")
    with pytest.raises(ValidationError):
        ValidationRule(type="required", value=1)
