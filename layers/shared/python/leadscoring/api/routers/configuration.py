from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routing import TableRouter
from leadscoring.schemas.model import FeatureList, FeatureUpdate, ScoringConfig, ScoringConfigUpdate, ScoringFeature
from leadscoring.services.wiring import configuration_service

router = TableRouter(tags=["Configuration"])


@router.serve(routes.GET_CONFIG)
def get_config() -> ScoringConfig:
    return configuration_service().get(principal_of(router.current_event.raw_event).client_id)


@router.serve(routes.UPDATE_CONFIG)
def put_config(update: Annotated[ScoringConfigUpdate, Body()]) -> ScoringConfig:
    return configuration_service().update(principal_of(router.current_event.raw_event), update)


@router.serve(routes.LIST_FEATURES)
def list_features() -> FeatureList:
    return FeatureList(items=configuration_service().features(principal_of(router.current_event.raw_event).client_id))


@router.serve(routes.CREATE_FEATURE)
def create_feature(body: Annotated[ScoringFeature, Body()]) -> tuple[ScoringFeature, int]:
    return configuration_service().create_feature(principal_of(router.current_event.raw_event), body), 201


@router.serve(routes.UPDATE_FEATURE)
def update_feature(id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")], body: Annotated[FeatureUpdate, Body()]) -> ScoringFeature:
    return configuration_service().update_feature(principal_of(router.current_event.raw_event), id, body)
