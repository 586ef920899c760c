"""The audit reports on the record: an EventBridge schedule invokes the monitor function once a day."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import config


class AuditReportScheduleConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, monitor: lambda_.IFunction, dead_letters: sqs.IQueue) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Daily",
            description="Every tenant's data-quality, drift and bias reports, appended to its audit trail",
            schedule=events.Schedule.cron(minute="0", hour=str(config.MONITOR_SCHEDULE_HOUR_UTC)),
        )
        # EventBridge retries delivery, Lambda retries a failed run; what still fails lands in the function's dead letters.
        self.rule.add_target(
            targets.LambdaFunction(monitor, retry_attempts=4, max_event_age=Duration.hours(6), dead_letter_queue=dead_letters)
        )
