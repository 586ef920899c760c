"""The audit reports on the record: an EventBridge schedule starts the reports workflow once a day, a Step
Functions state machine whose steps run in the monitor function (leadscoring.workflows.reports: list the
tenants, a Map recording each, summarize)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.queues import dead_letter_queue
from infra.constructs.state_machine import standard_state_machine
from infra.constructs.training_workflow import LOG_DELIVERY_AND_XRAY_REASON, logical_id
from leadscoring.workflows.reports import reports_definition

MONITOR_VERSIONS_REASON = (
    "lambda:InvokeFunction on the monitor function's qualified ARNs (<arn>:<version or alias>) only: the same single "
    "function, so a task may target a published version or alias of it; no other function is reachable."
)


class AuditReportScheduleConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, monitor: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.state_machine = standard_state_machine(self, reports_definition(monitor.function_arn))
        # The definition is a string, so CDK cannot see the Lambda tasks in it: grant the one function by hand.
        monitor.grant_invoke(self.state_machine)
        policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", LOG_DELIVERY_AND_XRAY_REASON)
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::<{logical_id(monitor)}.Arn>:*]", MONITOR_VERSIONS_REASON)

        # A start EventBridge could not deliver, after its retries, is kept here.
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", of="the schedule's target", holds="the scheduled events EventBridge could not deliver"
        )
        self.rule = events.Rule(
            self,
            "Daily",
            description="Every tenant's data-quality, drift and bias reports, appended to its audit trail",
            schedule=events.Schedule.cron(minute="0", hour=str(config.MONITOR_SCHEDULE_HOUR_UTC)),
        )
        # The scheduled time names the run: the events' ids come from it, so a retried start writes nothing twice.
        self.rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                input=events.RuleTargetInput.from_object({"time": events.EventField.time}),
                retry_attempts=4,
                max_event_age=Duration.hours(6),
                dead_letter_queue=self.dead_letters,
            )
        )
