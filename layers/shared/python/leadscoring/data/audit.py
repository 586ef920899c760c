"""AuditRepository: the append-only trail of decisions and changes.

An event's item is keyed by its write shard ("<client>#<n>", from the event key) and its event key (time first),
so one tenant's burst of decisions spreads over WRITE_SHARDS partitions; the trail newest first is the shards'
pages merged. A lead's events are read through `by_lead`, whose entries hold the keys and the type only.
An explanation's factors are stored as lists ([feature, value, baseline, contribution, score_impact]), not maps
with the names spelled out in every factor: half the bytes of a decision record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.batch_get import batch_get
from leadscoring.data.codec import from_item, to_item
from leadscoring.data.keys import lead_key, shard_of, shards
from leadscoring.data.pages import merged_page, packed_positions, query_page, unpacked_positions
from leadscoring.domain.cursor import decode_cursor, encode_cursor
from leadscoring.schemas.audit import AuditEvent, AuditType

FACTOR_FIELDS = ("feature", "value", "baseline", "contribution", "score_impact")
EXPLANATION_SIDES = ("top_positive", "top_negative")


def new_event_id(at: datetime) -> str:
    # Time first so a tenant's events sort chronologically; the uuid keeps simultaneous events apart.
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{uuid.uuid4().hex}"


def file_row_event_id(job_id: str, row: int, at: datetime) -> str:
    """A batch file row's decision: the same (job, row) always gets the same key, so a retried chunk rewrites it."""
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{job_id}#{row:09d}"


def event_key(client_id: str, event_id: str) -> dict[str, str]:
    """An event's primary key in the audit table."""
    return {"shard": shard_of(client_id, event_id), "event_key": event_id}


def decision_item(client_id: str, event: AuditEvent) -> dict[str, Any]:
    """The item of any audit event (a decision's most of all): its key, the event without its id (the key is it)."""
    dumped = event.model_dump(mode="json", exclude={"event_id"})
    explanation = dumped["details"].get("explanation")
    if explanation:
        dumped["details"] = {**dumped["details"], "explanation": explanation_to_item(explanation)}
    item = to_item(dumped)
    item.update({"client_id": client_id, **event_key(client_id, event.event_id)})
    if event.lead_id:
        item["lead_key"] = lead_key(client_id, event.lead_id)
    return {k: v for k, v in item.items() if v is not None}


def item_to_event(item: dict[str, Any]) -> AuditEvent:
    plain = from_item(item)
    details = plain.get("details") or {}
    if isinstance(details.get("explanation"), dict):
        plain["details"] = {**details, "explanation": explanation_from_item(details["explanation"])}
    return AuditEvent.model_validate({**plain, "event_id": plain["event_key"]})


def explanation_to_item(explanation: dict[str, Any]) -> dict[str, Any]:
    return {side: [[factor[f] for f in FACTOR_FIELDS] for factor in explanation.get(side) or []] for side in EXPLANATION_SIDES}


def explanation_from_item(stored: dict[str, Any]) -> dict[str, Any]:
    return {side: [dict(zip(FACTOR_FIELDS, factor, strict=True)) for factor in stored.get(side) or []] for side in EXPLANATION_SIDES}


class AuditRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def append(self, client_id: str, event: AuditEvent) -> None:
        aws.dynamodb().Table(self._table).put_item(
            Item=decision_item(client_id, event), ConditionExpression="attribute_not_exists(event_key)"
        )

    def append_once(self, client_id: str, event: AuditEvent) -> bool:
        """Append an event whose id is the same on every retry of what records it; False when it is already there."""
        try:
            self.append(client_id, event)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_change(
        self, client_id: str, event_type: AuditType, actor: str, change: str, model_id: str | None = None, **details: Any
    ) -> None:
        """Append a configuration or model change: what changed, who did it, now."""
        at = datetime.now(UTC)
        event = AuditEvent(
            event_id=new_event_id(at), type=event_type, at=at, actor=actor, model_id=model_id, details={"change": change, **details}
        )
        self.append(client_id, event)

    def get_many(self, client_id: str, event_ids: Sequence[str]) -> dict[str, AuditEvent]:
        """The tenant's events among `event_ids`, by id (absent ones are missing)."""
        keys = [event_key(client_id, e) for e in dict.fromkeys(event_ids)]
        events = (item_to_event(item) for item in batch_get(self._table, keys))
        return {event.event_id: event for event in events}

    def list(
        self, client_id: str, event_type: AuditType | None, lead_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        query_shape = {"client": client_id, "type": event_type, "lead": lead_id}
        start = decode_cursor(cursor, client_id, query_shape)
        table = aws.dynamodb().Table(self._table)
        kwargs: dict[str, Any] = {"ScanIndexForward": False}
        if event_type:
            kwargs["FilterExpression"] = Attr("type").eq(event_type)
        if lead_id:
            kwargs.update(IndexName="by_lead", KeyConditionExpression=Key("lead_key").eq(lead_key(client_id, lead_id)))
            resume = (start or {}).get("key") or None
            entries, last_key = query_page(table, kwargs, limit, resume, lambda i: {k: i[k] for k in ("shard", "event_key", "lead_key")})
            position: dict[str, Any] | None = {"client_id": client_id, "key": last_key} if last_key else None
        else:
            queries = {s: {**kwargs, "KeyConditionExpression": Key("shard").eq(s)} for s in shards(client_id)}
            resume = unpacked_positions((start or {}).get("shards"), list(queries), ("event_key",))
            entries, positions = merged_page(
                table, queries, limit, resume, lambda i: {k: i[k] for k in ("shard", "event_key")}, lambda i: i["event_key"]
            )
            packed = packed_positions(positions, ("event_key",))
            position = {"client_id": client_id, "shards": packed} if positions else None
        if lead_id:  # the index holds keys and types: the events themselves, in the index's order
            found = self.get_many(client_id, [str(e["event_key"]) for e in entries])
            events = [found[str(e["event_key"])] for e in entries if str(e["event_key"]) in found]
        else:
            events = [item_to_event(i) for i in entries]
        return events, encode_cursor(position, query_shape)
