"""The REST API's request authorizer: an API key in, an IAM policy and the caller's tenant and role out."""

from __future__ import annotations

from typing import Any

from leadscoring.data.api_keys import ApiKeyRepository
from leadscoring.domain.auth import allowed_resources
from leadscoring.domain.errors import Unauthorized

API_KEY_HEADER = "x-api-key"


def api_key_of(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == API_KEY_HEADER and value:
            return str(value)
    return None


def authorize_request(event: dict[str, Any], keys: ApiKeyRepository) -> dict[str, Any]:
    """Allow exactly the routes the key's role may call; API Gateway answers 403 for the rest."""
    key = api_key_of(event)
    principal = keys.resolve(key) if key else None
    if principal is None:
        raise Unauthorized("Missing or unknown API key")
    method_arn = str(event.get("methodArn", ""))
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": allowed_resources(principal.role, method_arn)}],
        },
        "context": {"client_id": principal.client_id, "role": principal.role.value, "key_id": principal.key_id},
    }
