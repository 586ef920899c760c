from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
from leadscoring.schemas.model import FeatureList, FeatureUpdate, ScoringConfig, ScoringConfigUpdate, ScoringFeature
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


@router.post(
    f"{API_PREFIX}/features", summary="Create feature (201); leads may carry it at once, models use it from their next training", tags=TAGS
)
def create_feature(body: Annotated[ScoringFeature, Body()]) -> tuple[ScoringFeature, int]:
    return configuration_service().create_feature(principal_of(router.current_event.raw_event), body), 201


@router.put(f"{API_PREFIX}/features/<id>", summary="Update feature (the id is its name; recorded in the audit trail)", tags=TAGS)
def update_feature(id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")], body: Annotated[FeatureUpdate, Body()]) -> ScoringFeature:
    return configuration_service().update_feature(principal_of(router.current_event.raw_event), id, body)
