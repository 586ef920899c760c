from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import Router

from leadscoring import API_PREFIX
from leadscoring.api.routers.not_implemented import not_implemented

router = Router()
TAGS = ["Lead scoring"]


@router.get(f"{API_PREFIX}/performance", summary="Get performance metrics", tags=TAGS)
def performance() -> dict[str, Any]:
    raise not_implemented("GET", "/performance")


@router.get(f"{API_PREFIX}/analytics", summary="Get analytics data", tags=TAGS)
def analytics() -> dict[str, Any]:
    raise not_implemented("GET", "/analytics")
