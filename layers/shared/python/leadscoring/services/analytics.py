"""GET /performance and GET /analytics: validated queries answered from the aggregates, one item per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from leadscoring.data.aggregates import AggregateStore
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.domain import analytics as figures
from leadscoring.domain.aggregation import Counters, series_key
from leadscoring.domain.errors import InvalidInput
from leadscoring.schemas.analytics import (
    AnalyticsReport,
    Granularity,
    PerformancePoint,
    PerformanceReport,
    ReportFilters,
    ReportPeriod,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date
    granularity: Granularity
    source: str | None = None
    model_id: str | None = None
    model_version: str | None = None

    @property
    def period(self) -> ReportPeriod:
        return ReportPeriod.model_validate({"from": self.start, "to": self.end, "granularity": self.granularity})

    @property
    def filters(self) -> ReportFilters:
        return ReportFilters(source=self.source, model_id=self.model_id, model_version=self.model_version)


def _bad(field: str, message: str, kind: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", [{"field": field, "message": message, "type": kind}])


class AnalyticsService:
    def __init__(self, store: AggregateStore, configs: ConfigRepository, registry: ModelRegistry) -> None:
        self._store = store
        self._configs = configs
        self._registry = registry

    def query(
        self,
        client_id: str,
        start: date | None,
        end: date | None,
        granularity: Granularity,
        source: str | None,
        model_id: str | None,
        model_version: str | None,
        today: date | None = None,
    ) -> ReportQuery:
        """The period (default: the last 30 days to today, UTC) and filters, checked; a 422 names what is wrong."""
        today = today or datetime.now(UTC).date()
        end = end or (today if start is None else min(start + timedelta(days=DEFAULT_DAYS - 1), today))
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise _bad("from", "must not be after 'to'", "period_order")
        if (end - start).days + 1 > MAX_DAYS:
            raise _bad("to", f"the period may span at most {MAX_DAYS} days", "period_too_long")
        if model_version is not None and model_id is None:
            raise _bad("model_id", "is required with model_version", "missing")
        if model_id is not None:
            if self._registry.get_definition(client_id, model_id) is None and not self._registry.list_versions(client_id, model_id):
                raise _bad("model_id", f"no model '{model_id}' for this client", "unknown_model")
            if model_version is not None and self._registry.get_version(client_id, model_id, model_version) is None:
                raise _bad("model_version", f"model '{model_id}' has no version '{model_version}'", "unknown_version")
        return ReportQuery(start, end, granularity, source, model_id, model_version)

    def _days(self, client_id: str, q: ReportQuery) -> dict[date, Counters]:
        return self._store.read(series_key(client_id, q.source, q.model_id, q.model_version), q.start, q.end)

    def performance(self, client_id: str, q: ReportQuery) -> PerformanceReport:
        config = self._configs.get_config(client_id)
        days = self._days(client_id, q)
        costs = config.cost_per_lead
        return PerformanceReport(
            period=q.period,
            filters=q.filters,
            qualified_threshold=config.thresholds.qualified,
            currency=config.currency,
            totals=figures.performance(figures.total(days.values()), costs),
            series=[
                PerformancePoint(period_start=start, metrics=figures.performance(c, costs))
                for start, c in figures.by_period(days, q.start, q.end, q.granularity)
            ],
        )

    def analytics(self, client_id: str, q: ReportQuery, bin_width: float) -> AnalyticsReport:
        if bin_width not in figures.BIN_WIDTHS:
            raise _bad(
                "bin_width", f"must be one of {', '.join(map(str, figures.BIN_WIDTHS))} (whole points that divide 0-100)", "bin_width"
            )
        config = self._configs.get_config(client_id)
        days = self._days(client_id, q)
        c = figures.total(days.values())
        return AnalyticsReport(
            period=q.period,
            filters=q.filters,
            bin_width=bin_width,
            score_distribution=figures.histogram(c, int(bin_width)),
            funnel=figures.funnel(c),
            score_bands=figures.score_bands(c, config.thresholds, config.cost_per_lead),
            trends=figures.trend(figures.by_period(days, q.start, q.end, q.granularity)),
            top_sources=figures.source_stats(c, config.cost_per_lead),
            geography=figures.region_stats(c),
        )
