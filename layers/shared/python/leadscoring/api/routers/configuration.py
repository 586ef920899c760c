from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
from leadscoring.api.routers.not_implemented import not_implemented
from leadscoring.schemas.model import FeatureList, ScoringConfig, ScoringConfigUpdate
from leadscoring.services.wiring import configuration_service

router = Router()
TAGS = ["Configuration"]


@router.get(f"{API_PREFIX}/config", summary="Get scoring configuration", tags=TAGS)
def get_config() -> ScoringConfig:
    return configuration_service().get(principal_of(router.current_event.raw_event).client_id)


@router.put(
    f"{API_PREFIX}/config", summary="Update configuration (thresholds, currency, cost per lead); recorded in the audit trail", tags=TAGS
)
def put_config(update: Annotated[ScoringConfigUpdate, Body()]) -> ScoringConfig:
    return configuration_service().update(principal_of(router.current_event.raw_event), update)


@router.get(f"{API_PREFIX}/features", summary="List scoring features", tags=TAGS)
def list_features() -> FeatureList:
    return FeatureList(items=configuration_service().features(principal_of(router.current_event.raw_event).client_id))


@router.post(f"{API_PREFIX}/features", summary="Create feature", tags=TAGS)
def create_feature(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise not_implemented("POST", "/features")


@router.put(f"{API_PREFIX}/features/<id>", summary="Update feature", tags=TAGS)
def update_feature(id: Annotated[str, Path()], body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise not_implemented("PUT", "/features/{id}")
