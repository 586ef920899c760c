from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
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

router = Router()
TAGS = ["Model management"]
ModelIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


@router.get(f"{API_PREFIX}/models", summary="List scoring models (every registered version)", tags=TAGS)
def list_models() -> ModelList:
    principal = principal_of(router.current_event.raw_event)
    active = config_repository().get_config(principal.client_id).active_model
    versions = model_registry().list_versions(principal.client_id)
    items = [
        v.model_copy(update={"is_active": active is not None and (v.id, v.version) == (active.id, active.version)})
        for v in sorted(versions, key=lambda v: (v.id, v.created_at))
    ]
    return ModelList(items=items)


@router.post(f"{API_PREFIX}/models", summary="Create new model (201): what to train (type, features, thresholds)", tags=TAGS)
def create_model(body: Annotated[ModelCreate, Body()]) -> tuple[ModelDefinition, int]:
    return model_management().create(principal_of(router.current_event.raw_event), body), 201


@router.get(f"{API_PREFIX}/models/<id>", summary="Get a model: definition, versions, training runs and their status", tags=TAGS)
def get_model(id: ModelIdPath) -> ModelDetail:
    return model_management().detail(principal_of(router.current_event.raw_event).client_id, id)


@router.put(f"{API_PREFIX}/models/<id>", summary="Update model", tags=TAGS)
def update_model(id: ModelIdPath, body: Annotated[ModelUpdate, Body()]) -> ModelDefinition:
    return model_management().update(principal_of(router.current_event.raw_event), id, body)


@router.post(f"{API_PREFIX}/models/<id>/train", summary="Train model: starts the training workflow (202)", tags=TAGS)
def train_model(id: ModelIdPath, body: Annotated[TrainRequest, Body()]) -> tuple[TrainingRun, int]:
    return model_management().start_training(principal_of(router.current_event.raw_event), id, body), 202


@router.post(f"{API_PREFIX}/models/<id>/deploy", summary="Deploy a model version (deploying an older one is the rollback)", tags=TAGS)
def deploy_model(id: ModelIdPath, body: Annotated[DeployRequest, Body()]) -> ScoringConfig:
    return model_management().deploy(principal_of(router.current_event.raw_event), id, body.version)


@router.get(f"{API_PREFIX}/models/<id>/performance", summary="Get model performance: every version's holdout metrics", tags=TAGS)
def model_performance(id: ModelIdPath) -> ModelPerformance:
    return model_management().performance(principal_of(router.current_event.raw_event).client_id, id)
