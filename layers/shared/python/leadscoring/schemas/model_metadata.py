"""What a trained model version records about itself: the `metadata.json` stored beside its `model.onnx`.

The trainer builds one ModelMetadata; the registry stores it and parses it back, so scoring (the feature schema,
baselines), the audit reports (references, holdout metrics) and the model routes read attributes, never keys.

Versions are immutable and stay deployable, so every version ever written must still parse:
- the first trainer wrote only the required fields below, with `feature_schema` entries of a name and a type and
  five headline metrics; the ones added since (feature importance, search, readiness, baselines, `reference`,
  `training_run` ...) have defaults;
- `extra="allow"` keeps a field this code does not know (a newer trainer's) instead of failing or dropping it;
- `to_json` leaves out what was never set, so a stored document reads back and is written again as it was.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_serializer

from leadscoring.schemas.model import FeatureType, FileSource, LeadsSource, ModelType

# A feature's baseline as the trainer wrote it: a median stays a float (3.0), unlike an attribute value sent as 3.0.
BaselineValue = StrictBool | StrictInt | StrictFloat | StrictStr | None


def _is_none(value: object) -> bool:
    return value is None


def _only_when_set() -> Any:
    """A field that is absent from the document unless it has a value (as the trainer has always written it)."""
    return Field(default=None, exclude_if=_is_none)


class MetadataModel(BaseModel):
    # Validators are built on the first parse, not on import: the score function imports this module on its cold start.
    model_config = ConfigDict(extra="allow", defer_build=True)


class FeatureSchemaEntry(MetadataModel):
    """One model input, in the ONNX model's input order."""

    name: str
    type: FeatureType
    weight: float | None = None
    transformation: str | None = None  # the preprocessing, as text ("impute(median) | standardize")
    input_conversion: str | None = _only_when_set()  # computed from the lead before inference (domain/feature_values.py)
    notes: list[str] | None = _only_when_set()


class ConfusionMatrix(MetadataModel):
    true_negative: int
    false_positive: int
    false_negative: int
    true_positive: int


class CalibrationBin(MetadataModel):
    """Holdout leads whose predicted probability fell in [lower, upper)."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None = None
    observed_rate: float | None = None


class LiftDecile(MetadataModel):
    decile: int  # 1 = the highest scores
    rows: int
    min_score: float | None
    conversion_rate: float
    lift: float | None
    cumulative_capture: float | None


class HoldoutMetrics(MetadataModel):
    """The exported ONNX model's figures on the training holdout, at the tenant's qualified threshold."""

    accuracy: float
    precision: float
    recall: float
    f1_score: float
    roc_auc: float | None = None  # None when the holdout had one class only
    brier_score: float | None = None
    log_loss: float | None = None
    threshold: float | None = None
    confusion_matrix: ConfusionMatrix | None = None
    calibration_curve: list[CalibrationBin] = Field(default_factory=list)
    lift_by_decile: list[LiftDecile] = Field(default_factory=list)
    rows: int | None = None
    positives: int | None = None
    mean_predicted: float | None = None


class FeatureImportance(MetadataModel):
    mean: float
    std: float


class StageTimings(MetadataModel):
    """Seconds each training stage took."""

    search: float
    fit: float
    export_and_parity: float
    evaluation: float


class SearchCandidate(MetadataModel):
    params: dict[str, Any]
    cv_roc_auc: float
    cv_roc_auc_std: float
    seconds: float


class SearchRecord(MetadataModel):
    """The time-boxed hyperparameter search: what was tried, what was not, and what won."""

    best_params: dict[str, Any]
    candidates: list[SearchCandidate]
    not_tried: int
    budget_seconds: float
    seconds: float
    cv_folds: int
    scoring: str
    warnings: list[str] = Field(default_factory=list)


class Calibration(MetadataModel):
    method: str
    cv_folds: int
    ensemble: bool


class ClassWeighting(MetadataModel):
    class_weight: str | None
    minority_share: float
    balance_below: float


class ReadinessFinding(MetadataModel):
    check: str
    severity: str
    message: str
    feature: str | None = _only_when_set()
    value: float | None = _only_when_set()
    needed: int | None = _only_when_set()


class FeatureStats(MetadataModel):
    missing_rate: float
    distinct_values: int
    single_feature_auc: float | None = _only_when_set()


class ReadinessRecord(MetadataModel):
    """training/readiness.py's report on the data the version was trained on."""

    ready: bool
    rows: int
    positives: int
    negatives: int
    findings: list[ReadinessFinding] = Field(default_factory=list)
    feature_stats: dict[str, FeatureStats] = Field(default_factory=dict)


class RowCounts(MetadataModel):
    total: int
    train: int
    holdout: int
    positives: int


class SplitRecord(MetadataModel):
    holdout_fraction: float
    stratified: bool
    random_state: int


class BinsReference(MetadataModel):
    """A number's training distribution: shares of the rows between its deciles (`edges`), and of rows without it."""

    kind: Literal["bins"]  # no default: a field left unset is not written (to_json), and `kind` must be
    edges: list[float]
    shares: list[float]
    missing: float
    min: float | None = None  # absent when no training row had a value
    max: float | None = None
    rows: int = 0


class CategoriesReference(MetadataModel):
    """A category's or flag's training distribution: its most common values' shares, the rest, and rows without it."""

    kind: Literal["categories"]
    shares: dict[str, float]
    other: float
    missing: float
    rows: int = 0


# A feature's distribution in the training rows, as the model took them: what drift reports compare live leads with.
FeatureReference = Annotated[BinsReference | CategoriesReference, Field(discriminator="kind")]


class TrainingRunRecord(MetadataModel):
    """The training workflow run that produced the version, and the data it read."""

    run_id: str
    source: Annotated[LeadsSource | FileSource, Field(discriminator="kind")]

    @field_serializer("source")
    def _whole(self, source: LeadsSource | FileSource) -> dict[str, Any]:
        # Every field, defaults and the discriminator included (as the run record stores it), whatever was set.
        return source.model_dump(mode="json")


class ModelMetadata(MetadataModel):
    """One model version's record, field for field as metadata.json holds it (in the order the trainer writes it)."""

    model_id: str
    version: str
    model_type: ModelType
    feature_schema: list[FeatureSchemaEntry]
    metrics: HoldoutMetrics
    feature_importance: dict[str, FeatureImportance] = Field(default_factory=dict)
    feature_importance_method: str | None = None
    training_seconds: float | None = None
    timings: StageTimings | None = None
    search: SearchRecord | None = None
    parameters: dict[str, Any]  # the classifier's hyperparameters as fitted
    calibration: Calibration | None = None
    class_weighting: ClassWeighting | None = None
    readiness: ReadinessRecord | None = None
    onnx_parity_max_abs_diff: float
    parity_tolerance: float | None = None
    training_data_sha256: str
    rows: RowCounts
    split: SplitRecord | None = None
    baselines: dict[str, BaselineValue] | None = None  # what explanations compare each feature with
    reference: dict[str, FeatureReference] | None = None
    parent_version: str | None  # "<model>:<version>" that was active when this one was trained
    created_by: str
    created_at: datetime
    libraries: dict[str, str] = Field(default_factory=dict)
    onnx_opset: dict[str, int] = Field(default_factory=dict)  # by ONNX domain ("" is the default domain)
    training_run: TrainingRunRecord | None = _only_when_set()

    @field_serializer("created_at", when_used="json")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()  # "+00:00", as the trainer has always written it (pydantic writes "Z")

    def feature_types(self) -> list[tuple[str, FeatureType]]:
        """(name, type) of each model input, in the ONNX model's input order."""
        return [(f.name, f.type) for f in self.feature_schema]

    def to_json(self) -> bytes:
        """The document to store: only the fields that were set, so one read from storage is written back unchanged."""
        return json.dumps(self.model_dump(mode="json", exclude_unset=True)).encode()

    @classmethod
    def from_json(cls, body: bytes | str) -> ModelMetadata:
        return cls.model_validate(json.loads(body))
