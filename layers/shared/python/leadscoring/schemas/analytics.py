"""Performance and analytics reports: the contract of GET /performance, GET /analytics and the dashboard.

Every figure is computed from aggregates kept as leads are scored and converted, never from a scan of leads.
Leads are counted in the period of the day they were created (a cohort view): a lead created in March and
converted in May counts as a March conversion. Rates are null when their denominator is zero.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from leadscoring.schemas.base import StoredModel
from leadscoring.schemas.lead import ConversionStatus

Granularity = Literal["day", "week", "month"]


class ReportPeriod(StoredModel):
    start: date = Field(alias="from", description="First day included (UTC)")
    end: date = Field(alias="to", description="Last day included (UTC)")
    granularity: Granularity

    model_config = ConfigDict(extra="ignore", populate_by_name=True, serialize_by_alias=True)


class ReportFilters(StoredModel):
    source: str | None = None
    model_id: str | None = None
    model_version: str | None = None


class ScoreAccuracy(StoredModel):
    """How well scores separated the outcomes observed so far (converted vs lost; open leads are left out)."""

    roc_auc: float | None = Field(default=None, description="From the score histograms of converted and lost leads")
    precision: float | None = Field(default=None, description="Of qualified leads with an outcome, the share converted")
    recall: float | None = Field(default=None, description="Of converted leads, the share that were qualified")
    based_on: int = Field(description="Leads with an outcome (converted or lost) the figures rest on")
    converted: int
    lost: int


class PerformanceMetrics(StoredModel):
    lead_volume: int
    average_score: float | None
    high_quality_leads: int = Field(description="Leads scored at or above the qualified threshold")
    high_quality_share: float | None = Field(description="high_quality_leads / lead_volume (0-1)")
    conversions: int
    conversion_rate: float | None = Field(description="conversions / lead_volume (0-1)")
    score_accuracy: ScoreAccuracy
    revenue: float = Field(description="Revenue of converted scored leads")
    revenue_per_lead: float | None
    cost: float = Field(description="Leads x the configured cost per lead of their source")
    cost_per_conversion: float | None
    roi: float | None = Field(description="(revenue - cost) / cost")


class PerformancePoint(StoredModel):
    period_start: date
    metrics: PerformanceMetrics


class PerformanceReport(StoredModel):
    period: ReportPeriod
    filters: ReportFilters
    qualified_threshold: float
    currency: str
    totals: PerformanceMetrics
    series: list[PerformancePoint] = Field(description="One point per granularity bucket, oldest first, empty buckets included")


class HistogramBin(StoredModel):
    lower: float = Field(description="Inclusive")
    upper: float = Field(description="Exclusive, except the last bin, which includes 100")
    leads: int
    conversions: int


class FunnelStage(StoredModel):
    stage: ConversionStatus
    leads: int = Field(description="Leads that reached this stage or a later one (lost: leads now lost)")
    share: float | None = Field(description="leads / leads created (0-1)")


class ScoreBand(StoredModel):
    band: Literal["A", "B", "C", "D"] = Field(description="Grades from the tenant's thresholds, as on each lead")
    lower: float
    upper: float
    leads: int
    conversions: int
    conversion_rate: float | None
    revenue: float
    cost: float
    roi: float | None


class TrendPoint(StoredModel):
    period_start: date
    lead_volume: int
    average_score: float | None
    conversions: int
    conversion_rate: float | None


class SourceStats(StoredModel):
    source: str
    leads: int
    average_score: float | None
    high_quality_share: float | None
    conversions: int
    conversion_rate: float | None
    revenue: float
    roi: float | None


class RegionStats(StoredModel):
    region: str = Field(description="The lead's country attribute (demographic.country), or 'unknown'")
    leads: int
    average_score: float | None
    high_quality_share: float | None
    conversions: int
    conversion_rate: float | None


class AnalyticsReport(StoredModel):
    period: ReportPeriod
    filters: ReportFilters
    bin_width: float
    score_distribution: list[HistogramBin]
    funnel: list[FunnelStage] = Field(description="new, contacted, qualified, converted, then lost")
    score_bands: list[ScoreBand]
    trends: list[TrendPoint]
    top_sources: list[SourceStats] = Field(description="By average score, highest first")
    geography: list[RegionStats] = Field(description="By lead volume, highest first")
