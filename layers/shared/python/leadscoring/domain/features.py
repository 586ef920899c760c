"""Lead attributes checked against a tenant's feature definitions, and turned into model inputs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.feature_values import date_error
from leadscoring.schemas.lead import AttributeValue, FeatureFamily, LeadAttributes
from leadscoring.schemas.model import FeatureType, ScoringFeature, ValidationRule

MISSING_CATEGORY = "__missing__"


def takes_dates(feature: ScoringFeature) -> bool:
    """A numerical feature computed from a date (days since it): the lead sends the date itself."""
    return feature.type == "numerical" and (feature.transformation or "").strip().startswith("days_since")


def _type_error(feature: ScoringFeature, value: AttributeValue) -> str | None:
    if value is None:
        return None
    if takes_dates(feature):
        return date_error(value)
    if feature.type == "numerical" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "must be a number"
    if feature.type == "numerical" and isinstance(value, float) and not np.isfinite(value):
        return "must be a finite number"
    if feature.type == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if feature.type == "categorical" and not isinstance(value, str):
        return "must be a string"
    return None


def _rule_error(rule: ValidationRule, value: AttributeValue) -> str | None:
    if value is None:
        return rule.message or "is required" if rule.type == "required" else None
    bound = rule.value
    broken = False
    if rule.type == "min" and isinstance(value, (int, float)) and isinstance(bound, (int, float)):
        broken, default = value < bound, f"must be >= {bound}"
    elif rule.type == "max" and isinstance(value, (int, float)) and isinstance(bound, (int, float)):
        broken, default = value > bound, f"must be <= {bound}"
    elif rule.type == "allowed_values" and isinstance(bound, list):
        broken, default = str(value) not in bound, f"must be one of {', '.join(bound)}"
    elif rule.type == "pattern" and isinstance(bound, str):
        broken, default = re.fullmatch(bound, str(value)) is None, f"must match {bound}"
    elif rule.type == "max_length" and isinstance(bound, (int, float)):
        broken, default = len(str(value)) > bound, f"must be at most {int(bound)} characters"
    else:
        return None
    return (rule.message or default) if broken else None


def value_problems(feature: ScoringFeature, value: AttributeValue) -> list[dict[str, str]]:
    """What is wrong with one attribute value of `feature` (message and type), by the feature's type and rules."""
    problem = _type_error(feature, value)
    if problem:
        return [{"message": problem, "type": "type_error"}]
    # Bounds on a date feature apply to the days computed at scoring time, not to the date sent.
    rules = [r for r in feature.validation_rules if not (takes_dates(feature) and r.type in ("min", "max"))]
    problems = []
    for rule in rules:
        problem = _rule_error(rule, value)
        if problem:
            problems.append({"message": problem, "type": f"rule_{rule.type}"})
    return problems


class _Accepted:
    """For one list of feature definitions: which (feature, value) pairs are known to be valid. A warm function
    meets the same values again, so a valid lead is checked with dictionary lookups (the hot path)."""

    MAX_VALUES = 50_000

    def __init__(self, features: Sequence[ScoringFeature]) -> None:
        self.features = features  # held: the cache is keyed by its id()
        self.by_name = {f.name: f for f in features}
        self.required = [f for f in features if f.is_active and any(r.type == "required" for r in f.validation_rules)]
        self.valid: set[tuple[str, type, Any]] = set()

    def all_valid(self, given: dict[FeatureFamily, dict[str, AttributeValue]]) -> bool:
        valid, by_name = self.valid, self.by_name
        for family, values in given.items():
            for name, value in values.items():
                key = (name, type(value), value)
                if key in valid:
                    continue
                feature = by_name.get(name)
                if feature is None or feature.family != family or value_problems(feature, value):
                    return False
                if len(valid) >= self.MAX_VALUES:
                    valid.clear()
                valid.add(key)
        return all(given[f.family].get(f.name) is not None for f in self.required)


_accepted: dict[int, _Accepted] = {}


def _accepted_for(features: Sequence[ScoringFeature]) -> _Accepted:
    found = _accepted.get(id(features))
    if found is None or found.features is not features:
        if len(_accepted) >= 16:
            _accepted.clear()
        found = _accepted[id(features)] = _Accepted(features)
    return found


def validate_attributes(attributes: LeadAttributes, features: Sequence[ScoringFeature]) -> None:
    """Raise InvalidInput naming every attribute that does not fit the tenant's feature definitions."""
    given = attributes.by_family()
    if _accepted_for(features).all_valid(given):
        return
    by_name = {f.name: f for f in features}
    details: list[dict[str, Any]] = []
    for family, values in given.items():
        for name, value in values.items():
            where = f"attributes.{family.value}.{name}"
            feature = by_name.get(name)
            if feature is None:
                details.append({"field": where, "message": "is not a defined feature", "type": "unknown_feature"})
                continue
            if feature.family != family:
                details.append({"field": where, "message": f"belongs to the {feature.family.value} family", "type": "wrong_family"})
                continue
            details.extend({"field": where, **problem} for problem in value_problems(feature, value))
    for feature in features:
        required = feature.is_active and any(r.type == "required" for r in feature.validation_rules)
        if required and given[feature.family].get(feature.name) is None:
            details.append({"field": f"attributes.{feature.family.value}.{feature.name}", "message": "is required", "type": "missing"})
    if details:
        raise InvalidInput("The lead's attributes do not fit the feature definitions", details)


def flatten(attributes: LeadAttributes) -> dict[str, AttributeValue]:
    flat: dict[str, AttributeValue] = {}
    for values in attributes.by_family().values():
        flat.update(values)
    return flat


def completeness(flat: dict[str, AttributeValue], schema: Sequence[tuple[str, FeatureType]]) -> float:
    if not schema:
        return 1.0
    return sum(1 for name, _ in schema if flat.get(name) is not None) / len(schema)


def model_inputs(rows: Iterable[dict[str, AttributeValue]], schema: Sequence[tuple[str, FeatureType]]) -> dict[str, np.ndarray]:
    """One [n, 1] array per feature, as the exported pipeline expects: NaN or MISSING_CATEGORY for gaps."""
    rows = list(rows)
    inputs: dict[str, np.ndarray] = {}
    for name, ftype in schema:
        if ftype == "categorical":
            inputs[name] = np.array([[_category(r.get(name))] for r in rows], dtype=object)
        else:
            inputs[name] = np.array([[_number(r.get(name))] for r in rows], dtype=np.float32)
    return inputs


def _category(value: Any) -> str:
    return MISSING_CATEGORY if value is None else str(value)


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
