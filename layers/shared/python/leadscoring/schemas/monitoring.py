"""The audit reports: data quality, model drift and bias, over the leads created in a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from leadscoring.schemas.base import StoredModel

DriftLevel = Literal["stable", "moderate", "significant"]


class Sample(StoredModel):
    """Which leads a report read: those created in the period (UTC days), newest first, up to `max_leads`."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    leads: int = Field(description="Leads the report read")
    max_leads: int
    truncated: bool = Field(description="More leads were created in the period; the report covers the newest `max_leads`")

    model_config = ConfigDict(extra="ignore", populate_by_name=True, serialize_by_alias=True)


class Finding(StoredModel):
    severity: Literal["info", "warning", "critical"]
    subject: str = Field(description="The feature, group or figure it is about")
    message: str


# -- data quality ------------------------------------------------------------------------------------


class FeatureQuality(StoredModel):
    feature: str
    type: str
    required: bool
    present: int = Field(description="Leads that carry a value")
    completeness: float | None = Field(description="Share of the leads read that carry a value")
    training_completeness: float | None = Field(description="The same share in the active model's training rows, if it uses the feature")
    distinct_values: int
    out_of_training_range: float | None = Field(description="Numbers: share of values outside the training rows' min..max")
    unseen_categories: float | None = Field(description="Categories: share of values among neither the training rows' 20 most common")


class DataQualityReport(StoredModel):
    sample: Sample
    status: Literal["ok", "review", "insufficient_data"] = Field(
        description="review: a warning among the findings; insufficient_data: no lead in the period"
    )
    model_id: str | None = Field(description="The active model, whose training rows are the reference")
    model_version: str | None
    mean_completeness: float | None = Field(description="Mean of the active features' completeness")
    all_required_present: float | None = Field(description="Share of leads carrying every required feature")
    newest_lead_at: datetime | None
    hours_since_newest_lead: float | None
    leads_per_day: dict[str, int]
    features: list[FeatureQuality]
    findings: list[Finding]


# -- drift ---------------------------------------------------------------------------------------------


class BinShare(StoredModel):
    bin: str
    reference: float
    live: float


class Distribution(StoredModel):
    psi: float | None = Field(description="Population stability index of the live shares against the reference")
    chance_psi: float | None = Field(description="The PSI samples of these sizes show on average with no drift: (bins - 1)(1/n + 1/m)")
    level: DriftLevel | None = Field(description="Of psi - chance_psi: below 0.1 stable, 0.1 to 0.25 moderate, above significant")
    bins: list[BinShare]


class FeatureDrift(Distribution):
    feature: str
    type: str


class PerformanceDrift(StoredModel):
    """Live figures over the leads whose outcome is known (converted or lost), beside the training holdout's."""

    with_outcome: int
    converted: int
    roc_auc: float | None
    training_roc_auc: float | None
    precision: float | None
    training_precision: float | None
    recall: float | None
    training_recall: float | None
    mean_score: float | None = Field(description="Mean score of the leads with an outcome, 0-100")
    conversion_rate: float | None = Field(description="Observed: converted over converted + lost; beside mean_score it shows calibration")
    status: Literal["ok", "degraded", "insufficient_data"]


class DriftReport(StoredModel):
    sample: Sample
    model_id: str
    model_version: str
    scored_leads: int = Field(description="Leads read that this version scored")
    status: Literal["stable", "moderate", "significant", "degraded", "insufficient_data"]
    score: Distribution
    features: list[FeatureDrift] = Field(description="Strongest drift first; empty when the version recorded no reference")
    performance: PerformanceDrift
    findings: list[Finding]


# -- bias ----------------------------------------------------------------------------------------------


class GroupFigures(StoredModel):
    group: str
    leads: int
    mean_score: float | None
    qualified_rate: float | None
    disparate_impact: float | None = Field(description="qualified_rate over the highest qualified_rate of the compared groups")
    with_outcome: int
    conversion_rate: float | None
    true_positive_rate: float | None = Field(description="Of the group's converted leads, the share that were qualified")
    false_positive_rate: float | None = Field(description="Of the group's lost leads, the share that were qualified")
    compared: bool = Field(description="Large enough to compare (at least min_group_leads leads)")


class BiasReport(StoredModel):
    sample: Sample
    attribute: str = Field(description="What the leads are grouped by: `source` or a feature (a number by its quartile bands)")
    min_group_leads: int
    groups: list[GroupFigures]
    lowest_disparate_impact: float | None
    equal_opportunity_gap: float | None = Field(
        description="Highest minus lowest true_positive_rate among compared groups with enough converted leads"
    )
    status: Literal["ok", "review", "insufficient_data"]
    findings: list[Finding]
