"""The Powertools resolver every function uses, and the entry point that guards it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.api.context import authorize
from leadscoring.api.direct import DirectRoutes
from leadscoring.api.errors import proxy_error, register_error_handlers
from leadscoring.domain.errors import DomainError
from leadscoring.settings import get_settings


def create_resolver(*routers: Router) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def handle(app: APIGatewayRestResolver, direct: DirectRoutes, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check size and role before the resolver, so a 413 or 403 is never masked by body validation; then a
    direct route (api/direct.py) answers the request if it takes it, else the resolver."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and not _utf8(body):
        # Powertools would fail decoding it (a 500); JSON is UTF-8.
        return proxy_error(
            400,
            "MALFORMED_REQUEST",
            "The request body is not UTF-8 text",
            [{"field": "body", "message": "not UTF-8", "type": "utf8_invalid"}],
        )
    if len(body.encode() if isinstance(body, str) else body) > get_settings().max_body_bytes:
        limit = get_settings().max_body_bytes
        return proxy_error(
            413, "PAYLOAD_TOO_LARGE", f"The request body is over {limit} bytes", [{"field": "body", "message": f"at most {limit} bytes"}]
        )
    try:
        authorize(event)
    except DomainError as exc:
        return proxy_error(exc.status, exc.code, exc.message, exc.details)
    answer = direct.answer(event, context)
    return answer if answer is not None else app.resolve(_as_json(event), context)


def _utf8(encoded: str | bytes) -> bool:
    try:
        base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True


def _as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The API speaks JSON only: a body is parsed as JSON whatever type the client declared (curl -d says form)."""
    if not event.get("body"):
        return event
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "headers": {**headers, "content-type": "application/json"},
        "multiValueHeaders": {**multi, "content-type": ["application/json"]},
    }
