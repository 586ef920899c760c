from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring import routes
from leadscoring.api.context import IDEMPOTENCY_PARAMETER, idempotency_key_of, principal_of
from leadscoring.api.direct import DirectRoute
from leadscoring.api.routing import TableRouter
from leadscoring.data.leads import LeadFilter
from leadscoring.domain.errors import InvalidInput, NotFound
from leadscoring.schemas.base import StorableFloat
from leadscoring.schemas.lead import ConversionStatus, Lead, LeadPage, ScoreRequest
from leadscoring.services.wiring import idempotent_scoring, lead_repository

router = TableRouter(tags=["Lead scoring"])
metrics = Metrics()


# The hot path answers with the Lead serialised once, by pydantic: with a return annotation Powertools would
# validate the Lead it was just given and encode it again. So the OpenAPI response is declared here, and the
# function has no return annotation (the only way Powertools skips that step).
_LEAD_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {"description": "Successful Response", "content": {"application/json": {"model": Lead}}},
}


@router.serve(
    routes.SCORE,
    responses=_LEAD_RESPONSE,
    openapi_extensions={"parameters": [IDEMPOTENCY_PARAMETER]},  # read by idempotency_key_of, not by Powertools
)
def score(request: Annotated[ScoreRequest, Body()]):  # type: ignore[no-untyped-def]  # no return annotation: see _LEAD_RESPONSE
    body = scored_lead(router.current_event.raw_event, request, router.lambda_context)
    return Response(status_code=200, content_type="application/json", body=body)


def scored_lead(event: dict[str, Any], request: ScoreRequest, context: LambdaContext) -> str:
    """POST /score's work, shared by the resolver's route and the direct one: the scored lead as JSON text."""
    started = time.perf_counter()
    scored = idempotent_scoring().score(principal_of(event), request.lead(), idempotency_key_of(event), request.event_id, context)
    metrics.add_metric(name="LeadsScored", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ScoringLatency", unit=MetricUnit.Milliseconds, value=(time.perf_counter() - started) * 1000)
    return scored.model_dump_json()


# A valid POST /score skips the resolver (api/direct.py); the route above still answers every invalid one.
SCORE_DIRECT = DirectRoute(routes.SCORE.method, routes.SCORE.full_path, ScoreRequest, scored_lead)


@router.serve(routes.LIST_LEADS)
def list_leads(
    min_score: Annotated[StorableFloat | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[StorableFloat | None, Query(ge=0, le=100)] = None,
    qualified: Annotated[bool | None, Query()] = None,
    conversion_status: Annotated[ConversionStatus | None, Query()] = None,
    source: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> LeadPage:
    if min_score is not None and max_score is not None and min_score > max_score:
        raise InvalidInput("min_score is above max_score", [{"field": "min_score", "message": "must be <= max_score"}])
    principal = principal_of(router.current_event.raw_event)
    filters = LeadFilter(min_score, max_score, qualified, conversion_status, source)
    items, next_cursor = lead_repository().list(principal.client_id, filters, limit, cursor)
    return LeadPage(items=items, next_cursor=next_cursor)


@router.serve(routes.GET_LEAD)
def get_lead(id: Annotated[str, Path(min_length=1, max_length=100)]) -> Lead:
    principal = principal_of(router.current_event.raw_event)
    lead = lead_repository().get(principal.client_id, id)
    if lead is None:
        # Another tenant's lead is indistinguishable from a missing one.
        raise NotFound(f"No lead {id}")
    return lead
