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
from leadscoring.api.errors import proxy_error, proxy_error_for, register_error_handlers
from leadscoring.api.json_limits import check_json_text
from leadscoring.data.aws import lambda_time_limit
from leadscoring.domain.errors import DomainError
from leadscoring.settings import get_settings


def create_resolver(*routers: Router) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def handle(app: APIGatewayRestResolver, direct: DirectRoutes, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check size and role before the resolver, so a 413 or 403 is never masked by body validation; then the
    body's nesting and numbers, which no parser is trusted with (api/json_limits.py); then a direct route
    (api/direct.py) answers the request if it takes it, else the resolver. Every body goes through here.

    AWS calls keep to the time the invocation has left (data/aws.py): a dependency too slow to answer in it is a
    503 DEPENDENCY_TIMEOUT, answered before Lambda would stop the function."""
    body = event.get("body") or ""
    text = _text(body, bool(event.get("isBase64Encoded")))
    if text is None:
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
        check_json_text(text)
    except DomainError as exc:
        return proxy_error(exc.status, exc.code, exc.message, exc.details)
    with lambda_time_limit(context):
        try:
            answer = direct.answer(event, context)
            return answer if answer is not None else app.resolve(_as_json(event), context)
        except Exception as exc:  # raised outside a route (the resolver's handlers answer a route's): the same answers
            return proxy_error_for(exc)


def _text(body: str | bytes, base64_encoded: bool) -> str | None:
    """The body as text, or None when it is not UTF-8."""
    try:
        if base64_encoded:
            return base64.b64decode(body, validate=True).decode("utf-8")
        return body if isinstance(body, str) else body.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


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
