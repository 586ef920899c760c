from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.metrics import MetricUnit

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
from leadscoring.api.routers.not_implemented import not_implemented
from leadscoring.domain.errors import InvalidInput
from leadscoring.schemas.batch import BatchScoreRequest, BatchScoreResponse
from leadscoring.services.wiring import batch_scoring

router = Router()
metrics = Metrics()


@router.post(
    f"{API_PREFIX}/batch-score",
    summary="Score multiple leads: up to 1,000 synchronously, each with its own result or errors",
    tags=["Lead scoring"],
)
def batch_score(request: Annotated[BatchScoreRequest, Body()]) -> BatchScoreResponse:
    if request.s3_key is not None:
        raise not_implemented("POST", "/batch-score with s3_key (file jobs)")
    if request.leads is None:
        raise InvalidInput("Send `leads` (a list of 1 to 1000 leads)", [{"field": "leads", "message": "Field required", "type": "missing"}])
    response = batch_scoring().score_batch(principal_of(router.current_event.raw_event), request.leads)
    metrics.add_metric(name="LeadsScored", unit=MetricUnit.Count, value=response.summary.scored)
    metrics.add_metric(name="BatchItemsInvalid", unit=MetricUnit.Count, value=response.summary.invalid)
    return response
