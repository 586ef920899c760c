"""The state machine every workflow runs on: STANDARD, traced, logging every event to its own log group."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import config


def standard_state_machine(scope: Construct, definition: dict[str, Any], *, name: str | None = None) -> sfn.StateMachine:
    """A STANDARD state machine ("StateMachine") from an ASL definition, logging to a log group ("Logs") in scope.

    No `timeout` / `comment` here: CDK writes those into definitions it builds from states and drops them for a
    string body, so a workflow's time limit goes in its definition.
    """
    log_group = logs.LogGroup(scope, "Logs", retention=config.WORKFLOW_LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
    return sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=name,
        definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
        # STANDARD: exactly-once state transitions, up to a year of run time and 90 days of execution history.
        state_machine_type=sfn.StateMachineType.STANDARD,
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=log_group,
            level=sfn.LogLevel.ALL,
            # Never execution data: a batch chunk's input is file rows (emails, names, phone numbers), and a
            # training run record, though it must carry no PII, is already shown by the execution history to
            # whoever may read the state machine.
            include_execution_data=False,
        ),
    )
