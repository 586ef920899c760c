from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from leadscoring.schemas.base import InputModel, StoredModel
from leadscoring.schemas.lead import FeatureFamily

ModelType = Literal["logistic_regression", "random_forest", "neural_network"]
FeatureType = Literal["numerical", "categorical", "boolean"]
Score = Annotated[float, Field(ge=0, le=100)]


class ValidationRule(InputModel):
    """One check on a feature's value. `value` is the bound, the pattern or the allowed list."""

    type: Literal["required", "min", "max", "allowed_values", "pattern", "max_length"]
    value: float | str | list[str] | None = None
    message: str | None = None

    @model_validator(mode="after")
    def _value_fits_type(self) -> ValidationRule:
        expected: dict[str, type | tuple[type, ...] | None] = {
            "required": None,
            "min": (int, float),
            "max": (int, float),
            "max_length": (int, float),
            "allowed_values": list,
            "pattern": str,
        }
        want = expected[self.type]
        if want is None:
            if self.value is not None:
                raise ValueError("rule 'required' takes no value")
        elif not isinstance(self.value, want):
            raise ValueError(f"rule '{self.type}' needs a value of type {getattr(want, '__name__', 'number')}")
        return self


class ScoringFeature(InputModel):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    type: FeatureType
    weight: Annotated[float, Field(ge=0, le=10)] = 1.0
    transformation: str | None = None
    validation_rules: list[ValidationRule] = Field(default_factory=list)
    is_active: bool = True
    family: FeatureFamily
    description: str | None = None


class Thresholds(InputModel):
    """Score cut-offs on the 0-100 scale: low_priority <= qualified <= high_priority."""

    qualified: Score = 50.0
    high_priority: Score = 75.0
    low_priority: Score = 25.0

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.low_priority <= self.qualified <= self.high_priority:
            raise ValueError("thresholds must satisfy low_priority <= qualified <= high_priority")
        return self


class ScoringModel(StoredModel):
    id: str
    name: str
    version: str
    model_type: ModelType
    features: list[ScoringFeature]
    weights: dict[str, float]
    thresholds: Thresholds
    accuracy: float
    precision: float
    recall: float
    f1_score: float
    is_active: bool
    created_at: datetime
    updated_at: datetime
    roc_auc: float | None = None
    training_rows: int | None = None


class ModelList(StoredModel):
    items: list[ScoringModel]


class ActiveModel(StoredModel):
    id: str
    version: str


class ScoringConfig(StoredModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    active_model: ActiveModel | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


class ScoringConfigUpdate(InputModel):
    thresholds: Thresholds


class FeatureList(StoredModel):
    items: list[ScoringFeature]
