"""ApiKeyRepository: API keys, stored only as hashes."""

from __future__ import annotations

from datetime import UTC, datetime

from leadscoring.data import aws
from leadscoring.domain.auth import Principal, hash_api_key, key_id, new_api_key
from leadscoring.routes import Role


class ApiKeyRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def create(self, client_id: str, role: Role, label: str = "", key: str | None = None) -> str:
        """Store a new key (or the given one) and return it; only its hash is kept."""
        key = key or new_api_key()
        key_hash = hash_api_key(key)
        aws.dynamodb().Table(self._table).put_item(
            Item={
                "key_hash": key_hash,
                "client_id": client_id,
                "role": role.value,
                "label": label,
                "created_at": datetime.now(UTC).isoformat(),
                "revoked": False,
            }
        )
        return key

    def resolve(self, key: str) -> Principal | None:
        key_hash = hash_api_key(key)
        item = aws.dynamodb().Table(self._table).get_item(Key={"key_hash": key_hash}).get("Item")
        if not item or item.get("revoked"):
            return None
        return Principal(client_id=str(item["client_id"]), role=Role(item["role"]), key_id=key_id(key_hash))
