"""Who is calling: the principal the authorizer put in the request context, never the body."""

from __future__ import annotations

from typing import Any

from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import Forbidden, Unauthorized
from leadscoring.routes import Role, find


def principal_of(event: dict[str, Any]) -> Principal:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    client_id, role = authorizer.get("client_id"), authorizer.get("role")
    if not client_id or role not in {r.value for r in Role}:
        raise Unauthorized("No authenticated principal on the request")
    return Principal(client_id=str(client_id), role=Role(role), key_id=str(authorizer.get("key_id", "unknown")))


def authorize(event: dict[str, Any]) -> Principal:
    """The caller, checked against the route table (the authorizer's policy already did; this is defence in depth)."""
    principal = principal_of(event)
    route = find(str(event.get("httpMethod", "")), str(event.get("resource", "")))
    if route is not None and not route.allows(principal.role):
        raise Forbidden(f"Role '{principal.role.value}' may not call {route.method} {route.path}")
    return principal
