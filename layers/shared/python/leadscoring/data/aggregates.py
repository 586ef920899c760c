"""AggregateStore: the analytics counters, applied exactly once per stream record, read one item per day.

Each stream record's delta is written in the same transaction as a marker for that record
(attribute_not_exists), so a redelivered record is recognised and skipped instead of counted twice, and a
counter never moves without its marker. Records go in groups that fit DynamoDB's 100-item transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.domain.aggregation import BucketKey, Counters, add_into, lead_delta

MAX_TRANSACTION_ITEMS = 100
# DynamoDB caps an expression at 4 KB; "#a123 :a123, " is 13 characters, so 250 names stay well inside it.
MAX_NAMES_PER_UPDATE = 250
# Lambda retries a stream record for at most the stream's 24 h retention; markers outlive that comfortably.
MARKER_DAYS = 7
CONFLICT_RETRIES = 6

_deserializer = TypeDeserializer()
_serializer = TypeSerializer()


@dataclass(frozen=True)
class StreamChange:
    """One stream record: its id (the marker), its sequence number, the tenant, and what it changes."""

    event_id: str
    sequence: str
    client_id: str | None
    delta: dict[BucketKey, Counters]


@dataclass
class _Group:
    changes: list[StreamChange] = field(default_factory=list)
    totals: dict[BucketKey, Counters] = field(default_factory=dict)

    def fits(self, change: StreamChange) -> bool:
        keys = set(self.totals) | set(change.delta)
        if len(keys) + len(self.changes) + 1 > MAX_TRANSACTION_ITEMS:
            return False
        return all(len(set(self.totals.get(k, {})) | set(change.delta.get(k, {}))) <= MAX_NAMES_PER_UPDATE for k in keys)

    def add(self, change: StreamChange) -> None:
        self.changes.append(change)
        for key, counters in change.delta.items():
            add_into(self.totals.setdefault(key, {}), counters)


def decode_record(record: dict[str, Any]) -> StreamChange:
    """A DynamoDB stream record (as Lambda delivers it) of the leads table, as the change it makes."""
    body = record["dynamodb"]
    old = _image(body.get("OldImage"))
    new = _image(body.get("NewImage"))
    keys = _image(body.get("Keys")) or {}
    return StreamChange(
        event_id=str(record["eventID"]),
        sequence=str(body.get("SequenceNumber", "")),
        client_id=str(keys.get("client_id")) if keys.get("client_id") is not None else None,
        delta=lead_delta(old, new),
    )


def _image(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if not wire else {k: _deserializer.deserialize(v) for k, v in wire.items()}


def marker_series(client_id: str | None, event_id: str) -> str:
    return f"{client_id or '-'}|applied|{event_id}"


class AggregateStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def apply(self, changes: Sequence[StreamChange]) -> int | None:
        """Apply changes in order, each exactly once. Returns the index of the first change not applied
        (everything from there on must be redelivered), or None when all are in."""
        pending = [c for c in changes if c.delta]
        position = {id(c): i for i, c in enumerate(changes)}
        group = _Group()
        groups: list[_Group] = []
        for change in pending:
            if group.changes and not group.fits(change):
                groups.append(group)
                group = _Group()
            group.add(change)
        if group.changes:
            groups.append(group)
        for g in groups:
            if not self._write(g):
                return position[id(g.changes[0])]
        return None

    def _write(self, group: _Group) -> bool:
        client = aws.dynamodb_client()
        for attempt in range(CONFLICT_RETRIES + len(group.changes)):
            if not group.changes:
                return True
            try:
                client.transact_write_items(TransactItems=self._items(group))
                return True
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    if exc.response["Error"]["Code"] in ("ThrottlingException", "ProvisionedThroughputExceededException"):
                        time.sleep(min(0.05 * 2**attempt, 2.0))
                        continue
                    raise
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                applied = {
                    group.changes[i].event_id for i, code in enumerate(reasons[: len(group.changes)]) if code == "ConditionalCheckFailed"
                }
                if applied:
                    # A redelivery: those records are already counted; apply only the rest.
                    rest = _Group()
                    for change in group.changes:
                        if change.event_id not in applied:
                            rest.add(change)
                    group = rest
                    continue
                if any(code in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded") for code in reasons):
                    time.sleep(min(0.02 * 2**attempt, 1.0))  # another shard's batch is updating the same day
                    continue
                return False
        return False

    def _items(self, group: _Group) -> list[dict[str, Any]]:
        expires = int((datetime.now(UTC) + timedelta(days=MARKER_DAYS)).timestamp())
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "series": {"S": marker_series(c.client_id, c.event_id)},
                        "bucket": {"S": "applied"},
                        "sequence": {"S": c.sequence},
                        "expires_at": {"N": str(expires)},
                    },
                    "ConditionExpression": "attribute_not_exists(series)",
                }
            }
            for c in group.changes
        ]
        for (series, day), counters in group.totals.items():
            moved = {n: v for n, v in counters.items() if v != 0}
            if not moved:
                continue
            names = {f"#a{i}": n for i, n in enumerate(moved)}
            values = {f":a{i}": _serializer.serialize(v) for i, v in enumerate(moved.values())}
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"series": {"S": series}, "bucket": {"S": day}},
                        "UpdateExpression": "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(moved))),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        return items

    def read(self, series: str, start: date, end: date) -> dict[date, Counters]:
        """The counters of `series` for each day from start to end (days with nothing are absent)."""
        table = aws.dynamodb().Table(self._table)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("series").eq(series) & Key("bucket").between(start.isoformat(), end.isoformat())
        }
        days: dict[date, Counters] = {}
        while True:
            page = table.query(**kwargs)
            for item in page.get("Items", []):
                day = date.fromisoformat(item["bucket"])
                days[day] = {k: Decimal(v) for k, v in item.items() if k not in ("series", "bucket")}
            if "LastEvaluatedKey" not in page:
                return days
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
