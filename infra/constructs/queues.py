"""Dead-letter queues: where what failed for good is kept for inspection and replay."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.compliance import acknowledge

DLQ_RETENTION = Duration.days(14)  # SQS's longest: time to look into a failure and replay it


def dead_letter_queue(scope: Construct, construct_id: str, *, of: str, holds: str) -> sqs.Queue:
    """An encrypted queue that is itself the dead-letter destination `of` something; `holds` says what lands in it."""
    queue = sqs.Queue(
        scope,
        construct_id,
        # SQS-managed keys: what lands here describes a failure (stream positions, a scheduled event), never lead data.
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
        removal_policy=RemovalPolicy.RETAIN,
    )
    for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
        acknowledge(
            queue,
            rule,
            f"This queue is itself the dead-letter destination of {of}; it holds {holds} for inspection and replay, "
            "and nothing consumes it to fail again.",
        )
    return queue
