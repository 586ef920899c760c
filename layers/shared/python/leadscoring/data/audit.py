"""AuditRepository: the append-only trail of decisions and changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from leadscoring.data import aws
from leadscoring.data.codec import from_item, to_item
from leadscoring.domain.cursor import decode_cursor, encode_cursor
from leadscoring.schemas.audit import AuditEvent, AuditType


def new_event_id(at: datetime) -> str:
    # Time first so a tenant's events sort chronologically; the uuid keeps simultaneous events apart.
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{uuid.uuid4().hex}"


def decision_item(client_id: str, event: AuditEvent) -> dict[str, Any]:
    item = to_item(event.model_dump(mode="json"))
    item.update({"client_id": client_id, "event_key": event.event_id})
    if event.lead_id:
        item["lead_key"] = f"{client_id}#{event.lead_id}"
    return {k: v for k, v in item.items() if v is not None}


class AuditRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def append(self, client_id: str, event: AuditEvent) -> None:
        aws.dynamodb().Table(self._table).put_item(
            Item=decision_item(client_id, event), ConditionExpression="attribute_not_exists(event_key)"
        )

    def record_change(
        self, client_id: str, event_type: AuditType, actor: str, change: str, model_id: str | None = None, **details: Any
    ) -> None:
        """Append a configuration or model change: what changed, who did it, now."""
        at = datetime.now(UTC)
        event = AuditEvent(
            event_id=new_event_id(at), type=event_type, at=at, actor=actor, model_id=model_id, details={"change": change, **details}
        )
        self.append(client_id, event)

    def list(
        self, client_id: str, event_type: AuditType | None, lead_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        query_shape = {"client": client_id, "type": event_type, "lead": lead_id}
        start = decode_cursor(cursor, client_id, query_shape)
        kwargs: dict[str, Any] = {"ScanIndexForward": False, "Limit": limit}
        if lead_id:
            kwargs["IndexName"] = "by_lead"
            kwargs["KeyConditionExpression"] = Key("lead_key").eq(f"{client_id}#{lead_id}")
        else:
            kwargs["KeyConditionExpression"] = Key("client_id").eq(client_id)
        if event_type:
            kwargs["FilterExpression"] = Attr("type").eq(event_type)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = aws.dynamodb().Table(self._table).query(**kwargs)
        events = [AuditEvent.model_validate(from_item(i)) for i in page.get("Items", [])]
        return events, encode_cursor(page.get("LastEvaluatedKey"), query_shape)
