"""Writes of items already written as DynamoDB's JSON text (data/wire_text.py), for every scored lead.

put_items: BatchWriteItem, 25 at a time. Unprocessed items are retried with exponential backoff; if DynamoDB
keeps refusing them this raises StorageError, and the caller's retry rewrites the same items (their keys are
those of the caller's attempt: nothing duplicates).

put_items_if_unchanged: each item with its own condition (PutItem; BatchWriteItem takes none), several at once.
A conditional PutItem costs one write unit per KB where a TransactWriteItems of the same puts costs two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.wire_text import quoted
from leadscoring.domain.errors import StorageError

ITEMS_PER_BATCH_WRITE = 25  # DynamoDB's limit per BatchWriteItem
BATCH_WRITE_ATTEMPTS = 8
# Conditional puts in flight at once: a chunk's round trips overlap instead of adding up.
PARALLEL_PUTS = 16


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
    still so; returns the positions of the items not written (the lead had changed), for the caller to read again."""
    aws.dynamodb_bulk_client()  # built here, once: creating clients from several threads at once is not safe
    if len(items) == 1:
        return [] if _put_if_unchanged(table, *items[0]) else [0]
    written = list(_pool().map(lambda item: _put_if_unchanged(table, *item), items))
    return [n for n, ok in enumerate(written) if not ok]


def _put_if_unchanged(table: str, item: str, seen: str | None) -> bool:
    try:
        with aws.written_body(conditional_put_body(table, item, seen)):
            aws.dynamodb_bulk_client().put_item(TableName=table, Item={})
    except ClientError as exc:  # botocore has already retried throttling
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise StorageError(f"Could not store a scored lead: {exc.response['Error']['Code']}") from exc
    return True


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=PARALLEL_PUTS, thread_name_prefix="lead-put")


def conditional_put_body(table: str, item: str, seen: str | None) -> bytes:
    """The PutItem request putting an item text on the condition that its lead is as read: absent (`seen` None), or
    with the same conversion status (every conversion changes it; a score carries over what it decides)."""
    if seen is None:
        condition = '"ConditionExpression":"attribute_not_exists(id)"'
    else:
        condition = '"ConditionExpression":"conversion_status = :seen","ExpressionAttributeValues":{":seen":{"S":' + quoted(seen) + "}}"
    return ('{"TableName":' + quoted(table) + ',"Item":' + item + "," + condition + "}").encode()


def request_body(table: str, items: Sequence[str]) -> bytes:
    """The BatchWriteItem request putting `items` (each an item's JSON text) into `table`."""
    return ('{"RequestItems":{' + quoted(table) + ":[" + ",".join('{"PutRequest":{"Item":' + i + "}}" for i in items) + "]}}").encode()
