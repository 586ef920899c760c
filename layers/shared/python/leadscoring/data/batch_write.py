"""Writes of items already written as DynamoDB's JSON text (data/wire_text.py).

put_items: BatchWriteItem, 25 at a time. Unprocessed items are retried with exponential backoff; if DynamoDB
keeps refusing them this raises StorageError, and the caller's retry rewrites the same items (their keys are
deterministic: nothing duplicates).

put_items_if_unchanged: for lead items that carry over a stored lead's state, each written only if the lead is
still as it was read, up to 100 in one TransactWriteItems (BatchWriteItem takes no conditions).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.wire_text import quoted
from leadscoring.domain.errors import StorageError

ITEMS_PER_BATCH_WRITE = 25  # DynamoDB's limit per BatchWriteItem
ITEMS_PER_TRANSACTION = 100  # DynamoDB's limit per TransactWriteItems
BATCH_WRITE_ATTEMPTS = 8
# A transaction refused for these reasons wrote nothing and is worth reading again and retrying.
_LOST_RACE = {"ConditionalCheckFailed", "TransactionConflict"}


def put_items(table: str, items: Sequence[str]) -> None:
    """Put every item (each the JSON text of an item in wire format) into `table`."""
    client = aws.dynamodb_bulk_client()
    for start in range(0, len(items), ITEMS_PER_BATCH_WRITE):
        pending = list(items[start : start + ITEMS_PER_BATCH_WRITE])
        for attempt in range(BATCH_WRITE_ATTEMPTS):
            try:
                with aws.written_body(request_body(table, pending)):
                    # The parameters only name the table: the written body replaces what botocore makes of them.
                    response = client.batch_write_item(RequestItems={table: []})
            except ClientError as exc:  # botocore has already retried throttling of the whole call
                raise StorageError(f"Could not store a batch of {len(pending)} items: {exc.response['Error']['Code']}") from exc
            pending = [json.dumps(r["PutRequest"]["Item"]) for r in (response.get("UnprocessedItems") or {}).get(table, [])]
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise StorageError(f"DynamoDB left {len(pending)} items unprocessed after {BATCH_WRITE_ATTEMPTS} attempts")


def put_items_if_unchanged(table: str, items: Sequence[tuple[str, str | None]]) -> list[int]:
    """Put each (item text, the conversion status its lead was read with, None for absent) only if the lead is
    still so; returns the positions of the items not written: every item of a transaction in which one lead
    had changed (a refused transaction writes nothing), for the caller to read again and retry."""
    client = aws.dynamodb_bulk_client()
    not_written: list[int] = []
    for start in range(0, len(items), ITEMS_PER_TRANSACTION):
        group = items[start : start + ITEMS_PER_TRANSACTION]
        try:
            with aws.written_body(transaction_body(table, group)):
                client.transact_write_items(TransactItems=[])
        except ClientError as exc:  # botocore has already retried throttling of the whole call
            reasons = {r.get("Code") for r in exc.response.get("CancellationReasons", [])}
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and reasons & _LOST_RACE:
                not_written.extend(range(start, start + len(group)))
                continue
            raise StorageError(f"Could not store a batch of {len(group)} leads: {exc.response['Error']['Code']}") from exc
    return not_written


def transaction_body(table: str, items: Sequence[tuple[str, str | None]]) -> bytes:
    """The TransactWriteItems request putting each item text on the condition that its lead is as read."""
    name = quoted(table)
    puts = []
    for item, seen in items:
        if seen is None:
            condition = '"ConditionExpression":"attribute_not_exists(id)"'
        else:
            condition = '"ConditionExpression":"conversion_status = :seen","ExpressionAttributeValues":{":seen":{"S":' + quoted(seen) + "}}"
        puts.append('{"Put":{"TableName":' + name + ',"Item":' + item + "," + condition + "}}")
    return ('{"TransactItems":[' + ",".join(puts) + "]}").encode()


def request_body(table: str, items: Sequence[str]) -> bytes:
    """The BatchWriteItem request putting `items` (each an item's JSON text) into `table`."""
    return ('{"RequestItems":{' + quoted(table) + ":[" + ",".join('{"PutRequest":{"Item":' + i + "}}" for i in items) + "]}}").encode()
