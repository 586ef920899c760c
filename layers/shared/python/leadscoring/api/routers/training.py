from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.routers.not_implemented import not_implemented

router = Router()


@router.post(f"{API_PREFIX}/models/<id>/train", summary="Train model", tags=["Model management"])
def train_model(id: Annotated[str, Path()]) -> dict[str, Any]:
    raise not_implemented("POST", "/models/{id}/train")
