"""definition_problems: a definition it passes can run on every lead; each problem names its field."""

from __future__ import annotations

from typing import Any

import pytest

from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.feature_definitions import definition_problems
from leadscoring.domain.features import value_problems
from leadscoring.schemas.model import ScoringFeature


def _feature(ftype: str, *rules: dict[str, Any], **fields: Any) -> ScoringFeature:
    return ScoringFeature.model_validate({"name": "f", "type": ftype, "family": "engagement", "validation_rules": list(rules), **fields})


def _fields(feature: ScoringFeature) -> list[str]:
    return [p["field"] for p in definition_problems(feature)]


def test_every_catalog_feature_is_a_usable_definition() -> None:
    for feature in default_features():
        assert definition_problems(feature) == [], feature.name


@pytest.mark.parametrize(
    ("ftype", "rules"),
    [
        ("numerical", [{"type": "required"}, {"type": "min", "value": -5}, {"type": "max", "value": 5}]),
        ("numerical", [{"type": "min", "value": 3}, {"type": "max", "value": 3}]),
        ("boolean", [{"type": "required"}]),
        (
            "categorical",
            [{"type": "allowed_values", "value": ["a", "b"]}, {"type": "pattern", "value": "[a-z]+"}, {"type": "max_length", "value": 8}],
        ),
        ("categorical", []),
    ],
)
def test_rules_that_fit_the_type_pass(ftype: str, rules: list[dict[str, Any]]) -> None:
    assert definition_problems(_feature(ftype, *rules)) == []


@pytest.mark.parametrize(
    ("feature", "fields"),
    [
        (_feature("categorical", {"type": "min", "value": 1}), ["validation_rules.0.type"]),
        (_feature("boolean", {"type": "allowed_values", "value": ["true"]}), ["validation_rules.0.type"]),
        (_feature("numerical", {"type": "pattern", "value": "[0-9]+"}), ["validation_rules.0.type"]),
        (_feature("numerical", {"type": "min", "value": 2}, {"type": "max", "value": 1}), ["validation_rules"]),
        (_feature("numerical", {"type": "max", "value": 2}, {"type": "max", "value": 3}), ["validation_rules"]),
        (_feature("numerical", {"type": "max", "value": float("nan")}), ["validation_rules.0.value"]),
        (_feature("numerical", {"type": "min", "value": float("-inf")}), ["validation_rules.0.value"]),
        (_feature("numerical", {"type": "min", "value": 1e-200}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "pattern", "value": "(unclosed"}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "pattern", "value": "a" * 501}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "max_length", "value": 0}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "max_length", "value": 2.5}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "allowed_values", "value": []}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "allowed_values", "value": ["x" * 201]}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "allowed_values", "value": [str(k) for k in range(501)]}), ["validation_rules.0.value"]),
        (_feature("categorical", {"type": "required", "message": "m" * 501}), ["validation_rules.0.message"]),
        (_feature("numerical", description="d" * 501), ["description"]),
        (_feature("numerical", transformation="log1p|" * 100), ["transformation"]),
    ],
    ids=[
        "min-on-category",
        "allowed-on-boolean",
        "pattern-on-number",
        "min-above-max",
        "twice",
        "nan-bound",
        "infinite-bound",
        "bound-below-storage",
        "pattern-does-not-compile",
        "pattern-too-long",
        "max-length-zero",
        "max-length-fraction",
        "no-allowed-values",
        "allowed-value-too-long",
        "too-many-allowed-values",
        "message-too-long",
        "description-too-long",
        "transformation-too-long",
    ],
)
def test_each_problem_names_its_field(feature: ScoringFeature, fields: list[str]) -> None:
    assert _fields(feature) == fields


def test_a_passed_definition_checks_values_without_error() -> None:
    """What definition_problems guards: value_problems runs every passed rule on any value of the type."""
    feature = _feature("categorical", {"type": "pattern", "value": "[a-z]{2}"}, {"type": "max_length", "value": 2})
    assert definition_problems(feature) == []
    assert value_problems(feature, "ab") == []
    assert [p["type"] for p in value_problems(feature, "abc")] == ["rule_pattern", "rule_max_length"]
