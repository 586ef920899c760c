"""Analytics aggregates: the leads table's stream drives the aggregator function (exactly-once counters).

Records are retried from the first failure (ReportBatchItemFailures; batches are never bisected) for at most a day; a
record that still fails is described on an encrypted dead-letter queue instead of blocking its shard.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.queues import dead_letter_queue


class LeadAggregatesConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, aggregator: lambda_.IFunction, leads: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(
            self, "AggregatorDeadLetters", of="the aggregator's stream event source", holds="descriptions of failed stream batches"
        )
        aggregator.add_event_source(
            event_sources.DynamoEventSource(
                leads,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=config.AGGREGATOR_BATCH_SIZE,
                max_batching_window=Duration.seconds(config.AGGREGATOR_BATCH_WINDOW_SECONDS),
                # Never cut a batch anywhere but at a reported failure: a redelivered group then finds its marker
                # (data/aggregates.py), one write per group instead of one per record.
                bisect_batch_on_error=False,
                report_batch_item_failures=True,
                retry_attempts=config.AGGREGATOR_RETRY_ATTEMPTS,
                max_record_age=Duration.hours(config.AGGREGATOR_MAX_RECORD_AGE_HOURS),
                parallelization_factor=1,  # one batch per shard at a time: a lead's records apply in order
                on_failure=event_sources.SqsDlq(self.dead_letters),
            )
        )
        if aggregator.role is not None:
            acknowledge(
                aggregator.role,
                "AwsSolutions-IAM5[Resource::*]",
                "The stream event source grants dynamodb:ListStreams, which supports no resource-level permissions; "
                "the function's X-Ray writes (PutTraceSegments, PutTelemetryRecords) have none either.",
            )
