from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routing import TableRouter
from leadscoring.schemas.model import (
    DeployRequest,
    ModelCreate,
    ModelDefinition,
    ModelDetail,
    ModelList,
    ModelPerformance,
    ModelUpdate,
    ScoringConfig,
    TrainingRun,
    TrainRequest,
)
from leadscoring.services.wiring import config_repository, model_management, model_registry

router = TableRouter(tags=["Model management"])
ModelIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


@router.serve(routes.LIST_MODELS)
def list_models() -> ModelList:
    principal = principal_of(router.current_event.raw_event)
    active = config_repository().get_config(principal.client_id).active_model
    versions = model_registry().list_versions(principal.client_id)
    items = [
        v.model_copy(update={"is_active": active is not None and (v.id, v.version) == (active.id, active.version)})
        for v in sorted(versions, key=lambda v: (v.id, v.created_at))
    ]
    return ModelList(items=items)


@router.serve(routes.CREATE_MODEL)
def create_model(body: Annotated[ModelCreate, Body()]) -> tuple[ModelDefinition, int]:
    return model_management().create(principal_of(router.current_event.raw_event), body), 201


@router.serve(routes.GET_MODEL)
def get_model(id: ModelIdPath) -> ModelDetail:
    return model_management().detail(principal_of(router.current_event.raw_event).client_id, id)


@router.serve(routes.UPDATE_MODEL)
def update_model(id: ModelIdPath, body: Annotated[ModelUpdate, Body()]) -> ModelDefinition:
    return model_management().update(principal_of(router.current_event.raw_event), id, body)


@router.serve(routes.TRAIN_MODEL)
def train_model(id: ModelIdPath, body: Annotated[TrainRequest, Body()]) -> tuple[TrainingRun, int]:
    return model_management().start_training(principal_of(router.current_event.raw_event), id, body), 202


@router.serve(routes.DEPLOY_MODEL)
def deploy_model(id: ModelIdPath, body: Annotated[DeployRequest, Body()]) -> ScoringConfig:
    return model_management().deploy(principal_of(router.current_event.raw_event), id, body.version)


@router.serve(routes.MODEL_PERFORMANCE)
def model_performance(id: ModelIdPath) -> ModelPerformance:
    return model_management().performance(principal_of(router.current_event.raw_event).client_id, id)
