"""Analytics aggregates: the aggregates table from the resource spec, the leads stream's event source into the
aggregator (batching, partial-failure reporting, bounded retries, a dead-letter queue), and who may touch what."""

from __future__ import annotations

from typing import Any

import pytest

from infra import config
from leadscoring.resources import AGGREGATES, LEADS, REGISTRY
from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def mapping(synthesized: Synthesized) -> dict[str, Any]:
    mappings = synthesized.resources(synthesized.stateless, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 1, sorted(mappings)
    [resource] = mappings.values()
    return dict(resource["Properties"])


def test_aggregates_table_matches_the_resource_spec(synthesized: Synthesized) -> None:
    tables = [
        t["Properties"]
        for t in synthesized.resources(synthesized.stateful, "AWS::DynamoDB::Table").values()
        if {"AttributeName": AGGREGATES.partition.name, "KeyType": "HASH"} in t["Properties"]["KeySchema"]
    ]
    assert len(tables) == 1
    [table] = tables
    assert table["KeySchema"] == [
        {"AttributeName": "series", "KeyType": "HASH"},
        {"AttributeName": "bucket", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}  # applied-record markers expire
    assert "StreamSpecification" not in table  # counters are not a source of further events


def test_leads_stream_carries_both_images(synthesized: Synthesized) -> None:
    [leads] = [
        t["Properties"]
        for t in synthesized.resources(synthesized.stateful, "AWS::DynamoDB::Table").values()
        if any(i["IndexName"] == "by_score" for i in t["Properties"].get("GlobalSecondaryIndexes", []))
    ]
    assert LEADS.stream
    # delta = contribution(new image) - contribution(old image) needs both.
    assert leads["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_event_source_feeds_the_aggregator_with_partial_failures_and_a_dlq(
    synthesized: Synthesized, mapping: dict[str, Any], function_ids: dict[str, str]
) -> None:
    assert mapping["FunctionName"] == {"Ref": function_ids[config.AGGREGATOR_FUNCTION]}
    assert "StreamArn" in str(mapping["EventSourceArn"])
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == config.AGGREGATOR_BATCH_SIZE == 1000  # groups of records share their counter writes
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is False  # redelivery starts where a group started
    assert mapping["MaximumRetryAttempts"] == config.AGGREGATOR_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == config.AGGREGATOR_MAX_RECORD_AGE_HOURS * 3600
    assert mapping["ParallelizationFactor"] == 1  # a lead's records apply in stream order
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    queues = {k: v for k, v in synthesized.resources(synthesized.stateless, "AWS::SQS::Queue").items() if k.startswith("Aggregates")}
    assert destination == {"Fn::GetAtt": [next(iter(queues)), "Arn"]} and len(queues) == 1
    queue = next(iter(queues.values()))["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_only_the_aggregator_reads_the_stream_and_writes_the_aggregates(synthesized: Synthesized, function_ids: dict[str, str]) -> None:
    for logical_id, policy in synthesized.resources(synthesized.stateless, "AWS::IAM::Policy").items():
        text = str(policy["Properties"]["PolicyDocument"])
        reads_stream = "dynamodb:GetRecords" in text
        sends_dlq = "sqs:SendMessage" in text
        if reads_stream or sends_dlq:
            assert logical_id.startswith("FunctionsAggregator"), logical_id
    assert config.FUNCTIONS["aggregator"].tables == {AGGREGATES: config.Access.COUNT}
    # Reports never read leads: only the aggregates, and the registry for thresholds, costs and model filters.
    assert config.FUNCTIONS["analytics"].tables == {AGGREGATES: config.Access.READ, REGISTRY: config.Access.READ}
