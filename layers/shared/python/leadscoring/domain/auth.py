"""API keys and the access policy that follows from the route table."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from leadscoring.routes import ROUTES, Role

KEY_PREFIX = "lsk_"


@dataclass(frozen=True)
class Principal:
    client_id: str
    role: Role
    key_id: str


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys are high-entropy random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def key_id(key_hash: str) -> str:
    """A short, non-secret name for a key, safe for logs and the audit trail."""
    return "key_" + key_hash[:12]


def allowed_resources(role: Role, method_arn: str) -> list[str]:
    """Execute-api ARNs of every route the role may call, built from the caller's method ARN.

    method_arn: arn:aws:execute-api:region:account:api-id/stage/METHOD/path
    """
    parts = method_arn.split("/", 2)
    base = "/".join(parts[:2]) if len(parts) >= 2 else method_arn
    arns = []
    for route in ROUTES:
        if route.allows(role):
            arns.append(f"{base}/{route.method}{_arn_path(route.full_path)}")
    return arns


def _arn_path(path: str) -> str:
    # Path parameters become wildcards in an execute-api resource ARN.
    return re.sub(r"\{[^}]+\}", "*", path)
