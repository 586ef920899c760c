"""The API's own OpenAPI document, served by the API (deployed and local alike) without a key."""

from __future__ import annotations

import functools
from typing import Any

from leadscoring import routes
from leadscoring.api.routing import TableRouter

router = TableRouter(tags=["Documentation"])


@router.serve(routes.OPENAPI_DOCUMENT)
def openapi_document() -> dict[str, Any]:
    return _document()


@functools.cache
def _document() -> dict[str, Any]:
    # Built on the first request and kept for the container: it imports every router, which the function
    # serving it has no other need for at cold start.
    from leadscoring.api.openapi import build_openapi

    return build_openapi()
