"""Starting Step Functions executions."""

from __future__ import annotations

import json
from typing import Any

from leadscoring.data import aws


class WorkflowStarter:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start an execution; the name makes a repeated start of the same run a no-op in Step Functions."""
        response = aws.stepfunctions().start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload, default=str))
        return str(response["executionArn"])
