from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routing import TableRouter
from leadscoring.schemas.analytics import AnalyticsReport, Granularity, PerformanceReport
from leadscoring.services.analytics import ReportQuery
from leadscoring.services.wiring import analytics_service

router = TableRouter(tags=["Lead scoring"])

From = Annotated[date | None, Query(alias="from", description="First day (UTC, YYYY-MM-DD); default 29 days before `to`")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC); default today")]
Source = Annotated[str | None, Query(min_length=1, max_length=100, description="Only leads from this source")]
ModelId = Annotated[str | None, Query(min_length=1, max_length=63, description="Only leads scored by this model")]
ModelVersion = Annotated[str | None, Query(min_length=1, max_length=20, description="With model_id: only this version")]


def _query(
    start: date | None, end: date | None, granularity: Granularity, source: str | None, model_id: str | None, model_version: str | None
) -> tuple[str, ReportQuery]:
    client_id = principal_of(router.current_event.raw_event).client_id
    return client_id, analytics_service().query(client_id, start, end, granularity, source, model_id, model_version)


@router.serve(
    routes.PERFORMANCE,
    description="Key metrics for leads created in the period (a cohort view), totals and one point per day, week or month.",
)
def performance(
    start: From = None,
    end: To = None,
    granularity: Annotated[Granularity, Query()] = "day",
    source: Source = None,
    model_id: ModelId = None,
    model_version: ModelVersion = None,
) -> PerformanceReport:
    client_id, q = _query(start, end, granularity, source, model_id, model_version)
    return analytics_service().performance(client_id, q)


@router.serve(
    routes.ANALYTICS,
    description="Score distribution, funnel, score bands, trends, top sources and geography for leads created in the period.",
)
def analytics(
    start: From = None,
    end: To = None,
    granularity: Annotated[Granularity, Query()] = "day",
    source: Source = None,
    model_id: ModelId = None,
    model_version: ModelVersion = None,
    bin_width: Annotated[
        float, Query(gt=0, le=100, description="Histogram bin width in score points: 1, 2, 4, 5, 10, 20, 25, 50 or 100")
    ] = 10,
) -> AnalyticsReport:
    client_id, q = _query(start, end, granularity, source, model_id, model_version)
    return analytics_service().analytics(client_id, q, bin_width)
