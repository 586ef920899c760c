"""Small builders for the ASL states our workflows use."""

from __future__ import annotations

from typing import Any

# Lambda's own transient failures: retried with backoff. Errors our code raises are final and go to Catch.
TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


def lambda_step(function_arn: str, step: str, next_state: str | None, on_error: str, timeout_seconds: int = 900) -> dict[str, Any]:
    """A Lambda task that passes {"step", "run"} and keeps only the run it returns."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": {"step": step, "run.$": "$.run"}},
        "ResultSelector": {"run.$": "$.Payload.run"},
        "TimeoutSeconds": timeout_seconds,
        "Retry": [{"ErrorEquals": TRANSIENT_LAMBDA_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": on_error}],
    }
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def failure_recorder(function_arn: str, then: str) -> dict[str, Any]:
    """Records why a run failed (the caught error) before the workflow ends in a Fail state."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": {"step": "record_failure", "run.$": "$.run", "error.$": "$.error"}},
        "ResultSelector": {"run.$": "$.Payload.run"},
        "Retry": [{"ErrorEquals": TRANSIENT_LAMBDA_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}],
        "Next": then,
    }
