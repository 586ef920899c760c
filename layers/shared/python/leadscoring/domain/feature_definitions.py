"""Whether a feature definition can be used: its rules fit its type and can run on every lead.

A definition that passes here never fails later: a pattern that does not compile, or a bound that is not a
number, would otherwise surface as an error on every lead that carries the feature. The transformation is
checked by training.transformations.parse_transformation (the trainer's own parser).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from leadscoring.schemas.base import MAX_MAGNITUDE, MIN_MAGNITUDE, in_attribute_range
from leadscoring.schemas.model import ScoringFeature

MAX_FEATURES = 200  # per tenant: every lead is checked against all of them, and a model takes each as an input
MAX_TEXT = 500  # transformation, description, pattern and a rule's message
MAX_ALLOWED_VALUES = 500
MAX_ALLOWED_VALUE_LENGTH = 200

# Which rules mean something for which type (value_problems ignores the others, which would mislead a reader).
_RULES_FOR = {
    "numerical": {"required", "min", "max"},
    "boolean": {"required"},
    "categorical": {"required", "allowed_values", "pattern", "max_length"},
}


def definition_problems(feature: ScoringFeature) -> list[dict[str, Any]]:
    """What is wrong with a definition, as the API's error details (field, message, type); empty when usable."""
    problems: list[dict[str, Any]] = []

    def problem(field: str, message: str, kind: str = "invalid_feature") -> None:
        problems.append({"field": field, "message": message, "type": kind})

    for name in ("transformation", "description"):
        text = getattr(feature, name)
        if text is not None and len(text) > MAX_TEXT:
            problem(name, f"at most {MAX_TEXT} characters")
    rules = feature.validation_rules
    for rule_type, count in Counter(r.type for r in rules).items():
        if count > 1:
            problem("validation_rules", f"rule '{rule_type}' is given {count} times; give it once")
    for k, rule in enumerate(rules):
        field = f"validation_rules.{k}"
        if rule.type not in _RULES_FOR[feature.type]:
            allowed = ", ".join(sorted(_RULES_FOR[feature.type]))
            problem(f"{field}.type", f"rule '{rule.type}' does not apply to a {feature.type} feature (it takes {allowed})")
        if rule.message is not None and len(rule.message) > MAX_TEXT:
            problem(f"{field}.message", f"at most {MAX_TEXT} characters")
        value = rule.value
        if isinstance(value, float) and not in_attribute_range(value):  # what DynamoDB holds and a comparison means
            problem(f"{field}.value", f"must be a finite number, 0 or between {MIN_MAGNITUDE:g} and {MAX_MAGNITUDE:g} in magnitude")
        if rule.type == "pattern" and isinstance(value, str):
            if len(value) > MAX_TEXT:
                problem(f"{field}.value", f"at most {MAX_TEXT} characters")
            else:
                try:
                    re.compile(value)
                except re.error as exc:
                    problem(f"{field}.value", f"not a valid regular expression: {exc}")
        if rule.type == "max_length" and isinstance(value, (int, float)) and (value < 1 or value != int(value)):
            problem(f"{field}.value", "must be a whole number of at least 1")
        if rule.type == "allowed_values" and isinstance(value, list):
            if not value:
                problem(f"{field}.value", "list at least one value")
            elif len(value) > MAX_ALLOWED_VALUES:
                problem(f"{field}.value", f"at most {MAX_ALLOWED_VALUES} values")
            elif max(map(len, value)) > MAX_ALLOWED_VALUE_LENGTH:
                problem(f"{field}.value", f"each value at most {MAX_ALLOWED_VALUE_LENGTH} characters")
    bounds = {r.type: float(r.value) for r in rules if r.type in ("min", "max") and isinstance(r.value, (int, float))}
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problem("validation_rules", f"min ({bounds['min']}) is above max ({bounds['max']}): no value could pass")
    return problems
