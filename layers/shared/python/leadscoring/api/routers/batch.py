from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.routers.not_implemented import not_implemented

router = Router()


@router.post(f"{API_PREFIX}/batch-score", summary="Score multiple leads", tags=["Lead scoring"])
def batch_score(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise not_implemented("POST", "/batch-score")
