from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routers.analytics import From, ModelId, ModelVersion, Source, To
from leadscoring.api.routing import TableRouter
from leadscoring.schemas.audit import AuditPage, AuditType
from leadscoring.schemas.monitoring import BiasReport, DataQualityReport, DriftReport
from leadscoring.services.analytics import ReportQuery
from leadscoring.services.wiring import analytics_service, audit_repository, monitoring_service

router = TableRouter(tags=["Audit"])


@router.serve(routes.LIST_AUDIT_EVENTS)
def list_events(
    type: Annotated[AuditType | None, Query()] = None,
    lead_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> AuditPage:
    principal = principal_of(router.current_event.raw_event)
    items, next_cursor = audit_repository().list(principal.client_id, type, lead_id, limit, cursor)
    return AuditPage(items=items, next_cursor=next_cursor)


def _window(
    start: date | None, end: date | None, source: str | None, model_id: str | None, model_version: str | None
) -> tuple[str, ReportQuery]:
    """The caller's tenant and the checked period and filters (the analytics reports' rules: 30 days by default)."""
    client_id = principal_of(router.current_event.raw_event).client_id
    return client_id, analytics_service().query(client_id, start, end, "day", source, model_id, model_version)


@router.serve(
    routes.DATA_QUALITY,
    description=(
        "Over the newest leads created in the period (at most 5,000): each active feature's completeness beside the active "
        "model's training rows, values outside the training range, categories the model never saw, and how fresh the data is."
    ),
)
def data_quality(start: From = None, end: To = None, source: Source = None) -> DataQualityReport:
    client_id, q = _window(start, end, source, None, None)
    return monitoring_service().data_quality(client_id, q)


@router.serve(
    routes.DRIFT,
    description=(
        "For a model version (default: the active one), over the leads it scored among the newest created in the period: the "
        "population stability index of the score and of each feature against its training record, and ROC-AUC, precision and "
        "recall on the leads whose outcome is known beside the training holdout's."
    ),
)
def drift(
    start: From = None, end: To = None, source: Source = None, model_id: ModelId = None, model_version: ModelVersion = None
) -> DriftReport:
    client_id, q = _window(start, end, source, model_id, model_version)
    return monitoring_service().drift(client_id, q)


@router.serve(
    routes.BIAS,
    description=(
        "Leads created in the period grouped by `attribute` (their source, or a feature: its values, or a number's quartile "
        "bands): each group's "
        "qualification rate against the best-treated group's (disparate impact; the four-fifths rule flags below 0.8) and, "
        "where outcomes are known, the share of converted leads that were qualified (equal opportunity)."
    ),
)
def bias(
    attribute: Annotated[str, Query(min_length=1, max_length=100, description="`source` or a feature (numbers by quartile)")] = "source",
    start: From = None,
    end: To = None,
) -> BiasReport:
    client_id, q = _window(start, end, None, None, None)
    return monitoring_service().bias(client_id, q, attribute)
