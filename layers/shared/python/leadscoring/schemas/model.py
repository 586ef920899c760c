from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from leadscoring.schemas.base import InputModel, PartialUpdate, Storable, StoredModel, refuse_null
from leadscoring.schemas.lead import FeatureFamily

ModelType = Literal["logistic_regression", "random_forest", "neural_network"]
FeatureType = Literal["numerical", "categorical", "boolean"]
Score = Annotated[float, Field(ge=0, le=100), Storable]


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


Money = Annotated[float, Field(ge=0, le=1e12), Storable]


class LeadCosts(InputModel):
    """What a lead costs to acquire, for ROI: a default, and amounts for particular sources."""

    default: Money = 0.0
    by_source: Annotated[dict[Annotated[str, Field(min_length=1, max_length=100)], Money], Field(max_length=200)] = Field(
        default_factory=dict
    )

    def of(self, source: str) -> float:
        return self.by_source.get(source, self.default)


class ScoringConfig(StoredModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    active_model: ActiveModel | None = None
    currency: str = "USD"
    cost_per_lead: LeadCosts = Field(default_factory=LeadCosts)
    updated_at: datetime | None = None
    updated_by: str | None = None


class ScoringConfigUpdate(InputModel):
    """Send any of the fields; the others keep their values."""

    thresholds: Thresholds | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")] | None = None
    cost_per_lead: LeadCosts | None = None

    @model_validator(mode="after")
    def _something(self) -> ScoringConfigUpdate:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("send at least one of thresholds, currency, cost_per_lead")
        return self


class FeatureList(StoredModel):
    items: list[ScoringFeature]


class FeatureUpdate(PartialUpdate):
    """The name is the feature's id and never changes."""

    type: FeatureType | None = None
    weight: Annotated[float, Field(ge=0, le=10)] | None = None
    transformation: str | None = Field(default=None, description="null removes it")
    validation_rules: list[ValidationRule] | None = None
    is_active: bool | None = None
    family: FeatureFamily | None = None
    description: str | None = Field(default=None, description="null removes it")

    _not_cleared = field_validator("type", "weight", "validation_rules", "is_active", "family", mode="before")(refuse_null)


ModelId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
FeatureName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
TimeBudget = Annotated[float, Field(ge=5, le=900, description="Seconds the hyperparameter search may take")]


class ModelCreate(InputModel):
    """A model to train: its type, and optionally which of the client's features it uses."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    model_type: ModelType
    description: Annotated[str, Field(max_length=1000)] | None = None
    features: Annotated[list[FeatureName], Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Feature names to use; all the client's active features when omitted"
    )
    thresholds: Thresholds | None = None
    time_budget_seconds: TimeBudget = 60.0


class ModelUpdate(PartialUpdate):
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    features: Annotated[list[FeatureName], Field(min_length=1, max_length=200)] | None = None
    thresholds: Thresholds | None = None
    time_budget_seconds: TimeBudget | None = None

    _not_cleared = field_validator("name", "thresholds", "time_budget_seconds", mode="before")(refuse_null)


class LeadsSource(InputModel):
    """Train on the client's stored leads whose outcome is known (converted or lost)."""

    kind: Literal["leads"] = "leads"


class FileSource(InputModel):
    """Train on a CSV or JSONL file in the batch bucket, under the client's own prefix."""

    kind: Literal["file"]
    key: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9!_.*'()/ -]+$")] = Field(
        description="Object key relative to the client's prefix, e.g. imports/leads.csv"
    )
    format: Literal["csv", "jsonl"] | None = None
    target: Annotated[str, Field(min_length=1, max_length=200)]
    positive_values: Annotated[list[str | int | bool], Field(min_length=1, max_length=20)] | None = None
    column_mapping: dict[str, FeatureName] | None = Field(default=None, description="Source column -> feature name")
    missing_values: Annotated[list[str], Field(max_length=20)] = Field(default_factory=lambda: ["", "Select", "NA", "N/A"])
    drop_columns: Annotated[list[str], Field(max_length=200)] = Field(default_factory=list)


class TrainRequest(InputModel):
    source: Annotated[LeadsSource | FileSource, Field(discriminator="kind")] = Field(default_factory=LeadsSource)


RunStatus = Literal["running", "succeeded", "failed"]


class TrainingRun(StoredModel):
    run_id: str
    model_id: str
    version: str
    status: RunStatus
    step: str | None = None
    started_at: datetime
    finished_at: datetime | None = None
    started_by: str
    source: LeadsSource | FileSource
    failure_reason: str | None = None
    execution_arn: str | None = None


class ModelDefinition(StoredModel):
    id: str
    name: str
    model_type: ModelType
    description: str | None = None
    features: list[str] | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    time_budget_seconds: float = 60.0
    created_at: datetime
    updated_at: datetime
    created_by: str


class ModelDetail(StoredModel):
    definition: ModelDefinition
    versions: list[ScoringModel]
    runs: list[TrainingRun]
    active_version: str | None = None


class DeployRequest(InputModel):
    version: Annotated[str, Field(min_length=1, max_length=20)]


class VersionPerformance(StoredModel):
    version: str
    is_active: bool
    created_at: datetime
    training_rows: int | None
    accuracy: float
    precision: float
    recall: float
    f1_score: float
    roc_auc: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict, description="Everything the training run measured on its holdout")


class ModelPerformance(StoredModel):
    model_id: str
    versions: list[VersionPerformance]
