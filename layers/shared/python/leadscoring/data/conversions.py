"""ConversionStore: a lead's status change and its history event, written together or not at all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.audit import AuditRepository, decision_item
from leadscoring.data.keys import lead_item_key, lead_key
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
                    "Key": _wire(lead_item_key(client_id, lead_id)),
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
        """The lead's conversion events, oldest first (the index holds keys and types; the events are read after)."""
        table = aws.dynamodb().Table(self._audit_table)
        kwargs: dict[str, Any] = {
            "IndexName": "by_lead",
            "KeyConditionExpression": Key("lead_key").eq(lead_key(client_id, lead_id)),
            "FilterExpression": Attr("type").eq("conversion"),
        }
        ids: list[str] = []
        while True:
            page = table.query(**kwargs)
            ids.extend(str(i["event_key"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        found = AuditRepository(self._audit_table).get_many(client_id, ids)
        return [found[i] for i in ids if i in found]


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}
