"""Who is calling: the principal the authorizer put in the request context, never the body."""

from __future__ import annotations

from typing import Any

from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import Forbidden, InvalidInput, Unauthorized
from leadscoring.routes import Role, find


def principal_of(event: dict[str, Any]) -> Principal:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    client_id, role = authorizer.get("client_id"), authorizer.get("role")
    if not client_id or role not in {r.value for r in Role}:
        raise Unauthorized("No authenticated principal on the request")
    return Principal(client_id=str(client_id), role=Role(role), key_id=str(authorizer.get("key_id", "unknown")))


def authorize(event: dict[str, Any]) -> Principal | None:
    """The caller, checked against the route table (the authorizer's policy already did; this is defence in depth);
    None for a route the table makes public, which no authorizer runs for."""
    route = find(str(event.get("httpMethod", "")), str(event.get("resource", "")))
    if route is not None and route.public:
        return None
    principal = principal_of(event)
    if route is not None and not route.allows(principal.role):
        raise Forbidden(f"Role '{principal.role.value}' may not call {route.method} {route.path}")
    return principal


IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200
# The header as the OpenAPI document describes it (POST /score declares it through openapi_extensions).
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Redeliveries with the same key score once",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
}


def idempotency_key_of(event: dict[str, Any]) -> str | None:
    """The Idempotency-Key header, in any letter case. Read here rather than declared as a Powertools Header
    parameter: resolving one rebuilds the request's header dictionaries, about 35 µs of the scoring hot path."""
    wanted = IDEMPOTENCY_HEADER.lower()
    key = next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        # pydantic's words for the same check, as the API's other header and field errors use.
        message, kind = (
            (f"String should have at most {MAX_IDEMPOTENCY_KEY} characters", "string_too_long")
            if key
            else ("String should have at least 1 character", "string_too_short")
        )
        raise InvalidInput("The request is not valid", [{"field": IDEMPOTENCY_HEADER, "message": message, "type": kind}])
    return key
