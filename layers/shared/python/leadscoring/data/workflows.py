"""Starting Step Functions executions."""

from __future__ import annotations

import json
import time
from typing import Any

from leadscoring.data import aws


class WorkflowStarter:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start an execution; the name makes a repeated start of the same run a no-op in Step Functions."""
        response = aws.stepfunctions().start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload, default=str))
        return str(response["executionArn"])

    def run(self, name: str, payload: dict[str, Any], timeout_seconds: float = 900.0) -> tuple[str, Any]:
        """Start an execution and wait for it: its status and its output (or its error and cause when it failed)."""
        arn = self.start(name, payload)
        client = aws.stepfunctions()
        deadline = time.monotonic() + timeout_seconds
        while True:
            execution = client.describe_execution(executionArn=arn)
            status = str(execution["status"])
            if status != "RUNNING":
                if status == "SUCCEEDED":
                    return status, json.loads(execution.get("output") or "null")
                return status, {"error": execution.get("error"), "cause": execution.get("cause")}
            if time.monotonic() > deadline:
                return "TIMED_OUT_WAITING", {"execution_arn": arn}
            time.sleep(0.5)
