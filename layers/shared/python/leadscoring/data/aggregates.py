"""AggregateStore: the analytics counters, applied exactly once per stream record, read one item per day.

Records go in groups, and a group's deltas are written in the same transaction as one marker for the group
(attribute_not_exists), keyed by the group's first record and holding how many records it applied. Lambda
redelivers a shard's records from the first record not applied (the one reported failed, or the batch's first
after a crash; BisectBatchOnFunctionError is off, so a batch is never cut anywhere else), in order, and groups
are formed the same way from the same first record: a redelivered group finds its marker, skips the records it
counts and applies the rest. A counter never moves without its marker, and a marker costs one write per group,
not per record. A counter item holds its counters as one JSON attribute (name ->
decimal string): it is read, summed with the deltas and put back under an optimistic version check (another
shard's batch on the same day makes the check fail, and the group is re-read and retried). One attribute
instead of hundreds keeps reads and writes cheap to serialize and free of expression-size limits. Records go in
groups that fit DynamoDB's 100-item transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.batch_get import batch_get
from leadscoring.domain.aggregation import BucketKey, Counters, add_into, lead_delta

MAX_TRANSACTION_ITEMS = 100
# Lambda retries a stream record for at most the stream's 24 h retention; markers outlive that comfortably.
MARKER_DAYS = 7
CONFLICT_RETRIES = 8
MAX_GROUP_RECORDS = 1000  # a group's records, whatever the batch size: its marker says how many it applied
VERSION = "v"  # the optimistic-lock attribute of a counter item
COUNTERS = "counters"  # the JSON attribute holding them

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
        return len(set(self.totals) | set(change.delta)) + 1 <= MAX_TRANSACTION_ITEMS and len(self.changes) < MAX_GROUP_RECORDS

    def add(self, change: StreamChange) -> None:
        self.changes.append(change)
        for key, counters in change.delta.items():
            add_into(self.totals.setdefault(key, {}), counters)


def decode_record(record: dict[str, Any]) -> StreamChange:
    """A DynamoDB stream record (as Lambda delivers it) of the leads table, as the change it makes."""
    body = record["dynamodb"]
    old = _image(body.get("OldImage"))
    new = _image(body.get("NewImage"))
    image = new or old or {}  # the key is a write shard: the tenant is an attribute of the lead
    return StreamChange(
        event_id=str(record["eventID"]),
        sequence=str(body.get("SequenceNumber", "")),
        client_id=str(image["client_id"]) if image.get("client_id") is not None else None,
        delta=lead_delta(old, new),
    )


def _image(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if not wire else {k: _deserializer.deserialize(v) for k, v in wire.items()}


def counters_of(item: dict[str, Any]) -> Counters:
    """The counters a stored counter item holds, exact (numbers travel as decimal strings)."""
    return {k: Decimal(v) for k, v in json.loads(item.get(COUNTERS) or "{}").items()}


def marker_series(client_id: str | None, event_id: str) -> str:
    return f"{client_id or '-'}|applied|{event_id}"


class AggregateStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def apply(self, changes: Sequence[StreamChange]) -> int | None:
        """Apply changes in order, each exactly once. Returns the index of the first change not applied
        (everything from there on must be redelivered), or None when all are in.

        Each group is formed from the first change not yet counted, so after a redelivered group is skipped the
        next one starts where the original next group started, and finds its own marker."""
        pending = [c for c in changes if c.delta]
        position = {id(c): i for i, c in enumerate(changes)}
        start = 0
        while start < len(pending):
            group = _Group()
            for change in pending[start:]:
                if group.changes and not group.fits(change):
                    break
                group.add(change)
            counted = self._write(group)
            if counted == 0:
                return position[id(pending[start])]
            start += counted
        return None

    def _write(self, group: _Group) -> int:
        """Write the group with its marker; how many of its changes are now counted (all of them, or the first
        ones a redelivered group's marker says were), 0 when it could not be written."""
        client = aws.dynamodb_client()
        for attempt in range(CONFLICT_RETRIES):
            current = self._current(list(group.totals))
            try:
                client.transact_write_items(TransactItems=self._items(group, current))
                return len(group.changes)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code in ("ThrottlingException", "ProvisionedThroughputExceededException"):
                    time.sleep(min(0.05 * 2**attempt, 2.0))
                    continue
                if code != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    # A redelivery: a group that began here is already counted; the next is formed after it.
                    applied = self._applied(group.changes[0])
                    if applied:  # it may be longer than this group (its records came in a longer batch): all counted
                        return applied
                    continue
                retryable = ("ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded")
                if any(c in retryable for c in reasons[1:]):  # after the marker, the counter items
                    time.sleep(min(0.02 * 2**attempt, 1.0))  # another batch moved the same day's counters: re-read
                    continue
                return 0
        return 0

    def _applied(self, first: StreamChange) -> int:
        """How many records the group that began with `first` applied (its marker's count)."""
        key = {"series": {"S": marker_series(first.client_id, first.event_id)}, "bucket": {"S": "applied"}}
        item = aws.dynamodb_client().get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item") or {}
        return int(item.get("records", {}).get("N", "0"))  # absent: nothing to skip (the write is retried)

    def _current(self, keys: list[BucketKey], consistent: bool = True) -> dict[BucketKey, dict[str, Any]]:
        """The counter items as they are now, by key; absent ones are missing."""
        wanted = [{"series": s, "bucket": d} for s, d in keys]
        return {(item["series"], item["bucket"]): item for item in batch_get(self._table, wanted, ConsistentRead=consistent)}

    def _items(self, group: _Group, current: dict[BucketKey, dict[str, Any]]) -> list[dict[str, Any]]:
        expires = int((datetime.now(UTC) + timedelta(days=MARKER_DAYS)).timestamp())
        first, last = group.changes[0], group.changes[-1]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "series": {"S": marker_series(first.client_id, first.event_id)},
                        "bucket": {"S": "applied"},
                        "records": {"N": str(len(group.changes))},
                        "sequence": {"S": f"{first.sequence}..{last.sequence}"},
                        "expires_at": {"N": str(expires)},
                    },
                    "ConditionExpression": "attribute_not_exists(series)",
                }
            }
        ]
        for (series, day), delta in group.totals.items():
            before = current.get((series, day))
            counters = counters_of(before) if before else {}
            add_into(counters, delta)
            version = int(before[VERSION]) if before and VERSION in before else 0
            kept = {k: str(v) for k, v in sorted(counters.items()) if v != 0}
            item = {"series": series, "bucket": day, VERSION: version + 1, COUNTERS: json.dumps(kept, separators=(",", ":"))}
            put: dict[str, Any] = {"TableName": self._table, "Item": {k: _serializer.serialize(v) for k, v in item.items()}}
            if before is None:
                put["ConditionExpression"] = "attribute_not_exists(series)"
            else:
                put["ConditionExpression"] = "#v = :v"
                put["ExpressionAttributeNames"] = {"#v": VERSION}
                put["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
            items.append({"Put": put})
        return items

    def read(self, series: str, start: date, end: date) -> dict[date, Counters]:
        """The counters of `series` for each day from start to end (days with nothing are absent).

        One point read per day (BatchGetItem, 100 keys a call): the cost depends on the period alone, never on
        how many leads, markers or other series the table holds."""
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        found = self._current([(series, d.isoformat()) for d in days], consistent=False)
        return {date.fromisoformat(day): counters_of(item) for (_, day), item in found.items()}
