"""The aggregator: DynamoDB Stream batches of the leads table -> analytics counters, each record exactly once.

Failures are reported per record (ReportBatchItemFailures): Lambda retries from the first record not
applied, and the markers make the records already applied before it count once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from leadscoring.data.aggregates import AggregateStore, decode_record

logger = Logger(child=True)


class Aggregator:
    def __init__(self, store: AggregateStore) -> None:
        self._store = store

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        records = event.get("Records") or []
        changes = []
        for n, record in enumerate(records):
            try:
                changes.append(decode_record(record))
            except (KeyError, ValueError, TypeError):
                # Ids and counts only: images carry PII.
                logger.exception("Undecodable stream record", extra={"event_id": record.get("eventID"), "position": n})
                return _failed_from(records, n)
        first_failed = self._store.apply(changes)
        if first_failed is None:
            return {"batchItemFailures": []}
        logger.warning("Aggregates not applied; Lambda will redeliver", extra={"first_failed": first_failed, "records": len(records)})
        return _failed_from(records, first_failed)


def _failed_from(records: list[dict[str, Any]], index: int) -> dict[str, Any]:
    # Lambda restarts from the lowest reported sequence number, so reporting the first failure is enough.
    return {"batchItemFailures": [{"itemIdentifier": records[index]["dynamodb"]["SequenceNumber"]}]}
