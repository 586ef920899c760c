"""AuditRepository: the append-only trail of decisions and changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.codec import from_item, to_item
from leadscoring.data.pages import query_page
from leadscoring.domain.cursor import decode_cursor, encode_cursor
from leadscoring.schemas.audit import AuditEvent, AuditType


def new_event_id(at: datetime) -> str:
    # Time first so a tenant's events sort chronologically; the uuid keeps simultaneous events apart.
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{uuid.uuid4().hex}"


def file_row_event_id(job_id: str, row: int, at: datetime) -> str:
    """A batch file row's decision: the same (job, row) always gets the same key, so a retried chunk rewrites it."""
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{job_id}#{row:09d}"


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

    def list(
        self, client_id: str, event_type: AuditType | None, lead_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        query_shape = {"client": client_id, "type": event_type, "lead": lead_id}
        start = decode_cursor(cursor, client_id, query_shape)
        kwargs: dict[str, Any] = {"ScanIndexForward": False}
        key_names = ("client_id", "event_key", "lead_key") if lead_id else ("client_id", "event_key")
        if lead_id:
            kwargs["IndexName"] = "by_lead"
            kwargs["KeyConditionExpression"] = Key("lead_key").eq(f"{client_id}#{lead_id}")
        else:
            kwargs["KeyConditionExpression"] = Key("client_id").eq(client_id)
        if event_type:
            kwargs["FilterExpression"] = Attr("type").eq(event_type)
        table = aws.dynamodb().Table(self._table)
        items, last_key = query_page(table, kwargs, limit, start, lambda item: {k: item[k] for k in key_names})
        events = [AuditEvent.model_validate(from_item(i)) for i in items]
        return events, encode_cursor(last_key, query_shape) if last_key else None
