"""The leads table's stream -> the real aggregator handler, on moto, as Lambda's event source mapping does it.

Why a poller and not moto's own event source mapping: moto (5.2) does call Lambda from a DynamoDB write when
a mapping exists, but through `LambdaFunction.invoke` (Docker), synchronously inside the writing request, one
record per write, and it ignores `batchItemFailures`. So here a small poller reads moto's DynamoDB Streams API
(DescribeStream, GetShardIterator, GetRecords) and hands the handler the same event Lambda would: batches of up
to `batch_size` records, each shaped as in a Lambda DynamoDB event. A reported failure makes it retry from that
record, as Lambda does with ReportBatchItemFailures; the aggregator's markers make the retried records count once.

The records are handed over as GetRecords sent them (JSON), as Lambda does, not as botocore parses them: its
parser walks the model for every attribute value of both images, which cost about as much as scoring the lead.
The poller keeps its two clients (and their connections) from one delivery to the next.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3

from local_stack.lambda_context import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
AGGREGATOR = "aggregator"
BATCH_SIZE = 1000  # as the CDK event source (infra/constructs/analytics.py)
MAX_ATTEMPTS = 5

log = logging.getLogger(__name__)


class StreamPoller:
    def __init__(self, table_name: str, handler: Handler, batch_size: int = BATCH_SIZE) -> None:
        self._table = table_name
        self._handler = handler
        self._batch_size = batch_size
        self._positions: dict[str, str] = {}  # shard id -> last sequence number handed over successfully
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: tuple[Any, Any] | None = None  # dynamodb, dynamodbstreams: made on the first delivery

    def _stream_arn(self, dynamodb: Any) -> str:
        return str(dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"])

    def _clients_made(self) -> tuple[Any, Any]:
        if self._clients is None:
            streams = boto3.client("dynamodbstreams")
            streams.meta.events.register("before-parse.dynamodb-streams.GetRecords", _records_as_sent)
            self._clients = boto3.client("dynamodb"), streams
        return self._clients

    def drain(self) -> int:
        """Deliver every record written so far; returns how many were delivered. Raises if a batch keeps failing."""
        with self._lock:
            dynamodb, streams = self._clients_made()
            arn = self._stream_arn(dynamodb)
            delivered = 0
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                delivered += self._drain_shard(streams, arn, shard["ShardId"])
            return delivered

    def _iterator(self, streams: Any, arn: str, shard: str) -> str:
        after = self._positions.get(shard)
        if after is None:
            found = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        else:
            found = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after
            )
        return str(found["ShardIterator"])

    def _drain_shard(self, streams: Any, arn: str, shard: str) -> int:
        delivered, attempts = 0, 0
        while True:
            page = streams.get_records(ShardIterator=self._iterator(streams, arn, shard), Limit=self._batch_size)
            records = page[RECORDS_AS_SENT].get("Records", [])
            if not records:
                return delivered
            event = {"Records": [_lambda_record(r, arn) for r in records]}
            result = self._handler(event, LocalLambdaContext(AGGREGATOR)) or {}
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            done = records if not failures else [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < min(map(int, failures))]
            if done:
                self._positions[shard] = done[-1]["dynamodb"]["SequenceNumber"]
                delivered += len(done)
            if failures:
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    raise RuntimeError(f"The aggregator kept failing at stream record {min(failures)}")
            else:
                attempts = 0

    def start(self, interval: float = 0.5) -> None:
        """Keep delivering in the background (make run), as Lambda polls the stream."""

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.drain()
                except Exception:  # logged and retried on the next tick, as Lambda retries
                    log.exception("Stream delivery to the aggregator failed; retrying")

        self._thread = threading.Thread(target=run, name="leads-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


RECORDS_AS_SENT = "RecordsAsSent"


def _records_as_sent(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """A GetRecords answer's JSON, as sent, under RECORDS_AS_SENT; botocore then parses an empty body, not the
    records (an error is parsed as usual)."""
    if response_dict["status_code"] == 200:
        customized_response_dict[RECORDS_AS_SENT] = json.loads(response_dict["body"])
        response_dict["body"] = b"{}"


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it: the same fields, the time as epoch seconds (as sent; botocore's
    parse makes it a datetime), the source ARN."""
    body = dict(record["dynamodb"])
    when = body.get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        body["ApproximateCreationDateTime"] = when.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }


def leads_stream_poller() -> StreamPoller:
    """The poller for the leads table, feeding the real `aggregator` function's handler."""
    from leadscoring.resources import LEADS
    from local_stack.gateway import load_function

    return StreamPoller(LEADS.local_name, load_function(AGGREGATOR).lambda_handler)
