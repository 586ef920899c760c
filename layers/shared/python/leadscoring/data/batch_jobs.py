"""Batch file jobs in the registry table: the job record, its counters and one marker per counted chunk.

Items: BATCHJOB#<job> (the job) and BATCHJOB#<job>#CHUNK#<first row> (a chunk whose rows are counted). A chunk's
marker and the job's ADD go in one transaction, so a chunk that Step Functions retries counts once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from leadscoring.data import aws
from leadscoring.data.codec import from_item, to_item

JobStatus = Literal["pending", "running", "succeeded", "failed"]
_serializer = TypeSerializer()


class JobRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job_id: str
    status: JobStatus
    format: Literal["csv", "jsonl"]
    file_key: str  # relative to the client's folder
    created_at: datetime
    created_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    rows: int = 0
    scored: int = 0
    invalid: int = 0
    failed: int = 0
    chunks: int = 0
    size_bytes: int | None = None
    estimated_rows: int | None = None
    failure_reason: str | None = None
    execution_arn: str | None = None
    results_key: str | None = None  # relative to the client's folder
    errors_key: str | None = None


class ChunkRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_row: int
    rows: int
    scored: int
    invalid: int
    results_key: str
    errors_key: str | None = None


def job_item(job_id: str) -> str:
    return f"BATCHJOB#{job_id}"


def chunk_item(job_id: str, first_row: int) -> str:
    # Zero-padded so the markers sort in file order.
    return f"BATCHJOB#{job_id}#CHUNK#{first_row:010d}"


def failed_chunk_item(job_id: str, first_row: int) -> str:
    return f"BATCHJOB#{job_id}#FAILED#{first_row:010d}"


class BatchJobRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def create(self, client_id: str, job: JobRecord) -> None:
        item = {**to_item(job.model_dump(mode="json", exclude_none=True)), "client_id": client_id, "item": job_item(job.job_id)}
        aws.dynamodb().Table(self._table).put_item(
            Item=item, ConditionExpression="attribute_not_exists(#i)", ExpressionAttributeNames={"#i": "item"}
        )

    def get(self, client_id: str, job_id: str) -> JobRecord | None:
        found = aws.dynamodb().Table(self._table).get_item(Key={"client_id": client_id, "item": job_item(job_id)}, ConsistentRead=True)
        return JobRecord.model_validate(from_item(found["Item"])) if "Item" in found else None

    def claim_start(self, client_id: str, job_id: str, started_at: datetime, size_bytes: int, estimated_rows: int) -> bool:
        """pending -> running, once: of two concurrent starts only one wins."""
        return self._update(
            client_id,
            job_id,
            "SET #s = :running, started_at = :at, size_bytes = :size, estimated_rows = :estimate",
            "#s = :pending",
            {":running": "running", ":pending": "pending", ":at": started_at.isoformat(), ":size": size_bytes, ":estimate": estimated_rows},
        )

    def release_start(self, client_id: str, job_id: str) -> None:
        """Undo a claim whose execution could not be started, so the caller can start it again."""
        self._update(
            client_id,
            job_id,
            "SET #s = :pending REMOVE started_at",
            "#s = :running AND attribute_not_exists(execution_arn)",
            {":pending": "pending", ":running": "running"},
        )

    def set_execution(self, client_id: str, job_id: str, execution_arn: str) -> None:
        self._update(client_id, job_id, "SET execution_arn = :arn", "attribute_exists(job_id)", {":arn": execution_arn})

    def count_chunk(self, client_id: str, job_id: str, chunk: ChunkRecord) -> bool:
        """Add a chunk's counts to its job exactly once; False when this chunk was already counted."""
        marker = {
            **to_item(chunk.model_dump(mode="json", exclude_none=True)),
            "client_id": client_id,
            "item": chunk_item(job_id, chunk.first_row),
        }
        serializer = _serializer
        values = {f":{name}": getattr(chunk, name) for name in ("rows", "scored", "invalid")}
        try:
            aws.dynamodb_client().transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {k: serializer.serialize(v) for k, v in marker.items()},
                            "ConditionExpression": "attribute_not_exists(#i)",
                            "ExpressionAttributeNames": {"#i": "item"},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"client_id": {"S": client_id}, "item": {"S": job_item(job_id)}},
                            "UpdateExpression": "ADD #rows :rows, scored :scored, invalid :invalid, chunks :one",
                            "ConditionExpression": "attribute_exists(job_id)",
                            "ExpressionAttributeNames": {"#rows": "rows"},
                            "ExpressionAttributeValues": {
                                **{k: serializer.serialize(Decimal(v)) for k, v in values.items()},
                                ":one": {"N": "1"},
                            },
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and self._chunk_exists(client_id, job_id, chunk.first_row):
                return False
            raise
        return True

    def chunks(self, client_id: str, job_id: str) -> list[ChunkRecord]:
        """The job's counted chunks in file order."""
        return [ChunkRecord.model_validate(from_item(i)) for i in self._items(client_id, f"{job_item(job_id)}#CHUNK#")]

    def mark_chunk_failed(self, client_id: str, job_id: str, first_row: int, rows: int, reason: str) -> None:
        """A chunk attempt that failed; if no later attempt counts it, its rows are the job's `failed`."""
        item = {
            "client_id": client_id,
            "item": failed_chunk_item(job_id, first_row),
            "first_row": first_row,
            "rows": rows,
            "reason": reason,
        }
        aws.dynamodb().Table(self._table).put_item(Item=item)

    def failed_rows(self, client_id: str, job_id: str) -> int:
        """Rows of chunks that failed and were never counted afterwards."""
        counted = {c.first_row for c in self.chunks(client_id, job_id)}
        failed = self._items(client_id, f"{job_item(job_id)}#FAILED#")
        return sum(int(i["rows"]) for i in failed if int(i["first_row"]) not in counted)

    def succeed(self, client_id: str, job_id: str, finished_at: datetime, results_key: str, errors_key: str) -> bool:
        return self._update(
            client_id,
            job_id,
            "SET #s = :succeeded, finished_at = :at, results_key = :results, errors_key = :errors",
            "#s = :running",
            {
                ":succeeded": "succeeded",
                ":running": "running",
                ":at": finished_at.isoformat(),
                ":results": results_key,
                ":errors": errors_key,
            },
        )

    def fail(self, client_id: str, job_id: str, finished_at: datetime, reason: str, failed_rows: int) -> bool:
        return self._update(
            client_id,
            job_id,
            "SET #s = :failed, finished_at = :at, failure_reason = :reason, failed = :rows",
            "#s IN (:pending, :running)",
            {
                ":failed": "failed",
                ":pending": "pending",
                ":running": "running",
                ":at": finished_at.isoformat(),
                ":reason": reason,
                ":rows": failed_rows,
            },
        )

    def _items(self, client_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        table = aws.dynamodb().Table(self._table)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("client_id").eq(client_id) & Key("item").begins_with(prefix),
            "ConsistentRead": True,
        }
        while True:
            page = table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _chunk_exists(self, client_id: str, job_id: str, first_row: int) -> bool:
        key = {"client_id": client_id, "item": chunk_item(job_id, first_row)}
        return "Item" in aws.dynamodb().Table(self._table).get_item(Key=key, ConsistentRead=True)

    def _update(self, client_id: str, job_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
        names = {"#s": "status"} if "#s" in expression or "#s" in condition else {}
        try:
            aws.dynamodb().Table(self._table).update_item(
                Key={"client_id": client_id, "item": job_item(job_id)},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
