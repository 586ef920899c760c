"""ConversionStore: a lead's status change and its history event, written together or not at all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.audit import decision_item
from leadscoring.data.codec import from_item
from leadscoring.domain.errors import StorageError
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import ConversionStatus

_serializer = TypeSerializer()


class StatusChanged(Exception):
    """The lead's status was no longer the one the change was decided against (a concurrent update won)."""


class ConversionStore:
    def __init__(self, leads_table: str, audit_table: str) -> None:
        self._leads_table = leads_table
        self._audit_table = audit_table

    def record(
        self,
        client_id: str,
        lead_id: str,
        expected: ConversionStatus,
        target: ConversionStatus,
        conversion_date: str,
        revenue: float | None,
        event: AuditEvent,
    ) -> None:
        """Move the lead from `expected` to `target` and append the change event, only if it is still `expected`."""
        values: dict[str, Any] = {":from": expected, ":to": target, ":date": conversion_date, ":now": event.at.isoformat()}
        update = "SET conversion_status = :to, conversion_date = :date, updated_at = :now"
        if revenue is not None:
            update += ", revenue = :rev"
            values[":rev"] = Decimal(str(revenue))
        else:
            update += " REMOVE revenue"
        items = [
            {
                "Update": {
                    "TableName": self._leads_table,
                    "Key": _wire({"client_id": client_id, "id": lead_id}),
                    "UpdateExpression": update,
                    "ConditionExpression": "attribute_exists(id) AND conversion_status = :from",
                    "ExpressionAttributeValues": _wire(values),
                }
            },
            {
                "Put": {
                    "TableName": self._audit_table,
                    "Item": _wire(decision_item(client_id, event)),
                    "ConditionExpression": "attribute_not_exists(event_key)",
                }
            },
        ]
        try:
            aws.dynamodb_client().transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise StatusChanged(lead_id) from exc
            raise StorageError(f"Could not record the conversion: {exc.response['Error']['Code']}") from exc

    def history(self, client_id: str, lead_id: str) -> list[AuditEvent]:
        """The lead's conversion events, oldest first."""
        table = aws.dynamodb().Table(self._audit_table)
        kwargs: dict[str, Any] = {
            "IndexName": "by_lead",
            "KeyConditionExpression": Key("lead_key").eq(f"{client_id}#{lead_id}"),
            "FilterExpression": Attr("type").eq("conversion"),
        }
        events: list[AuditEvent] = []
        while True:
            page = table.query(**kwargs)
            events.extend(AuditEvent.model_validate(from_item(i)) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return events
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}
