from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.context import principal_of
from leadscoring.api.routers.not_implemented import not_implemented
from leadscoring.schemas.model import ModelList
from leadscoring.services.wiring import config_repository, model_registry

router = Router()
TAGS = ["Model management"]


@router.get(f"{API_PREFIX}/models", summary="List scoring models", tags=TAGS)
def list_models() -> ModelList:
    principal = principal_of(router.current_event.raw_event)
    active = config_repository().get_config(principal.client_id).active_model
    versions = model_registry().list_versions(principal.client_id)
    items = [
        v.model_copy(update={"is_active": active is not None and (v.id, v.version) == (active.id, active.version)})
        for v in sorted(versions, key=lambda v: (v.id, v.created_at))
    ]
    return ModelList(items=items)


@router.post(f"{API_PREFIX}/models", summary="Create new model", tags=TAGS)
def create_model(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise not_implemented("POST", "/models")


@router.put(f"{API_PREFIX}/models/<id>", summary="Update model", tags=TAGS)
def update_model(id: Annotated[str, Path()], body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    raise not_implemented("PUT", "/models/{id}")


@router.post(f"{API_PREFIX}/models/<id>/deploy", summary="Deploy model", tags=TAGS)
def deploy_model(id: Annotated[str, Path()]) -> dict[str, Any]:
    raise not_implemented("POST", "/models/{id}/deploy")


@router.get(f"{API_PREFIX}/models/<id>/performance", summary="Get model performance", tags=TAGS)
def model_performance(id: Annotated[str, Path()]) -> dict[str, Any]:
    raise not_implemented("GET", "/models/{id}/performance")
