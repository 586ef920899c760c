"""BatchWriteItem for items already written as DynamoDB's JSON text (data/wire_text.py), 25 at a time.

Unprocessed items are retried with exponential backoff; if DynamoDB keeps refusing them this raises
StorageError, and the caller's retry rewrites the same items (their keys are deterministic: nothing duplicates).
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
BATCH_WRITE_ATTEMPTS = 8


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


def request_body(table: str, items: Sequence[str]) -> bytes:
    """The BatchWriteItem request putting `items` (each an item's JSON text) into `table`."""
    return ('{"RequestItems":{' + quoted(table) + ":[" + ",".join('{"PutRequest":{"Item":' + i + "}}" for i in items) + "]}}").encode()
