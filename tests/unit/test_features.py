import math

import numpy as np
import pytest
from pydantic import ValidationError

from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import MISSING_CATEGORY, completeness, flatten, model_inputs, validate_attributes
from leadscoring.schemas.lead import FeatureFamily, LeadAttributes
from leadscoring.schemas.model import FeatureType, ScoringFeature, ValidationRule


def fields_of(exc: InvalidInput) -> dict[str, str]:
    return {d["field"]: d["type"] for d in exc.details}


def test_default_catalog_covers_the_four_families_with_unique_names() -> None:
    features = default_features()
    assert {f.family for f in features} == set(FeatureFamily)
    assert len({f.name for f in features}) == len(features)
    assert {f.type for f in features} == {"numerical", "categorical", "boolean"}


def test_valid_attributes_pass() -> None:
    validate_attributes(
        LeadAttributes.model_validate(
            {"behavioral": {"page_views": 3, "email_open_rate": 0.2}, "demographic": {"country": "DE", "industry": "software"}}
        ),
        default_features(),
    )


def test_every_problem_is_named() -> None:
    attributes = LeadAttributes.model_validate(
        {
            "behavioral": {"page_views": -1, "email_open_rate": 1.5, "bounce_rate": "high", "unheard_of": 1},
            "demographic": {"country": "Germany", "industry": "mining", "company_stage": "growth"},
            "firmographic": {"uses_marketing_automation": 1},
        }
    )
    with pytest.raises(InvalidInput) as err:
        validate_attributes(attributes, default_features())
    assert fields_of(err.value) == {
        "attributes.behavioral.page_views": "rule_min",
        "attributes.behavioral.email_open_rate": "rule_max",
        "attributes.behavioral.bounce_rate": "type_error",
        "attributes.behavioral.unheard_of": "unknown_feature",
        "attributes.demographic.country": "rule_pattern",
        "attributes.demographic.industry": "rule_allowed_values",
        "attributes.demographic.company_stage": "wrong_family",
        "attributes.firmographic.uses_marketing_automation": "type_error",
    }


def test_booleans_are_not_numbers_and_infinity_is_refused() -> None:
    with pytest.raises(InvalidInput):
        validate_attributes(LeadAttributes.model_validate({"behavioral": {"page_views": True}}), default_features())
    with pytest.raises(ValidationError, match="finite number"):
        LeadAttributes.model_validate({"behavioral": {"page_views": math.inf}})


def test_required_rule_and_custom_message() -> None:
    features = [
        ScoringFeature(
            name="budget",
            type="numerical",
            family=FeatureFamily.DEMOGRAPHIC,
            validation_rules=[ValidationRule(type="required", message="budget is needed")],
        )
    ]
    with pytest.raises(InvalidInput) as err:
        validate_attributes(LeadAttributes(), features)
    assert err.value.details[0]["field"] == "attributes.demographic.budget"


def test_model_inputs_fill_gaps_and_keep_types() -> None:
    schema: list[tuple[str, FeatureType]] = [
        ("page_views", "numerical"),
        ("industry", "categorical"),
        ("uses_marketing_automation", "boolean"),
    ]
    inputs = model_inputs([{"page_views": 3, "industry": "software", "uses_marketing_automation": True}, {}], schema)
    assert inputs["page_views"].dtype == np.float32 and inputs["page_views"].shape == (2, 1)
    assert inputs["page_views"][0, 0] == 3 and np.isnan(inputs["page_views"][1, 0])
    assert inputs["industry"][1, 0] == MISSING_CATEGORY
    assert inputs["uses_marketing_automation"][0, 0] == 1.0


def test_flatten_and_completeness() -> None:
    attributes = LeadAttributes.model_validate({"behavioral": {"page_views": 3}, "engagement": {"previous_purchases": None}})
    flat = flatten(attributes)
    assert flat == {"page_views": 3}  # an attribute sent as null is missing
    assert completeness(flat, [("page_views", "numerical"), ("previous_purchases", "numerical")]) == 0.5
