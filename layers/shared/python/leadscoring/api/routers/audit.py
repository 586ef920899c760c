from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
from leadscoring.schemas.audit import AuditPage, AuditType
from leadscoring.services.wiring import audit_repository

router = Router()


@router.get(f"{API_PREFIX}/audit/events", summary="List audit events (decisions and changes), newest first", tags=["Audit"])
def list_events(
    type: Annotated[AuditType | None, Query()] = None,
    lead_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    principal = principal_of(router.current_event.raw_event)
    items, next_cursor = audit_repository().list(principal.client_id, type, lead_id, limit, cursor)
    return AuditPage(items=items, next_cursor=next_cursor)
