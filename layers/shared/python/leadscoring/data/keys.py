"""Key formats shared by the tables: write shards and the composite keys indexes are built on."""

from __future__ import annotations

import zlib

from leadscoring.resources import WRITE_SHARDS


def shard_of(client_id: str, text: str) -> str:
    """The write shard of a tenant's item, from text that tells its items apart (a lead id, an event key)."""
    return f"{client_id}#{zlib.crc32(text.encode()) % WRITE_SHARDS}"


def shards(client_id: str) -> list[str]:
    return [f"{client_id}#{n}" for n in range(WRITE_SHARDS)]


def lead_key(client_id: str, lead_id: str) -> str:
    return f"{client_id}#{lead_id}"


def lead_item_key(client_id: str, lead_id: str) -> dict[str, str]:
    """A lead's primary key in the leads table: its write shard and its id."""
    return {"shard": shard_of(client_id, lead_id), "id": lead_id}
