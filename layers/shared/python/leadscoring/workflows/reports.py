"""The daily audit reports workflow: list the tenants -> record each one's reports (a Map) -> summarize.

Started by a schedule with {"time": <the scheduled time>} (the same on a retried start, and the events' ids come
from it, so a rerun writes nothing twice) and optionally "client_ids" (an operator re-recording some tenants).
Each tenant is its own Map iteration: one that fails is caught and listed, the others
go on, and Summarize then fails the execution so the failure shows.
"""

from __future__ import annotations

from typing import Any

from leadscoring.workflows.asl import TRANSIENT_LAMBDA_ERRORS

MAX_CONCURRENCY = 5  # tenants recorded at once: each reads up to 5,000 leads
TIMEOUT_SECONDS = 6 * 3600


def _invoke(function_arn: str, payload: dict[str, Any], result: dict[str, str]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": payload},
        "ResultSelector": result,
        "TimeoutSeconds": 900,
        "Retry": [{"ErrorEquals": TRANSIENT_LAMBDA_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}],
    }


def reports_definition(monitor_function_arn: str) -> dict[str, Any]:
    record = _invoke(
        monitor_function_arn,
        {"step": "record", "client_id.$": "$.client_id", "time.$": "$.time"},
        {"client_id.$": "$.Payload.client_id", "written.$": "$.Payload.written"},
    )
    # A tenant's own failure is caught (its storage calls already retry): it must not stop the others.
    record["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TenantFailed"}]
    record["End"] = True
    summarize = _invoke(
        monitor_function_arn, {"step": "summarize", "time.$": "$.time", "results.$": "$.results"}, {"summary.$": "$.Payload"}
    )
    return {
        "Comment": "Every tenant's data-quality, drift and bias reports, appended to its audit trail",
        "StartAt": "ListTenants",
        "TimeoutSeconds": TIMEOUT_SECONDS,
        "States": {
            "ListTenants": {
                **_invoke(
                    monitor_function_arn,
                    {"step": "list", "input.$": "$"},
                    {"time.$": "$.Payload.time", "client_ids.$": "$.Payload.client_ids"},
                ),
                "Next": "RecordEach",
            },
            "RecordEach": {
                "Type": "Map",
                "ItemsPath": "$.client_ids",
                "ItemSelector": {"client_id.$": "$$.Map.Item.Value", "time.$": "$.time"},
                "MaxConcurrency": MAX_CONCURRENCY,
                "ItemProcessor": {
                    "StartAt": "Record",
                    "States": {
                        "Record": record,
                        "TenantFailed": {
                            "Type": "Pass",
                            "Parameters": {"client_id.$": "$.client_id", "failed.$": "$.error.Error"},
                            "End": True,
                        },
                    },
                },
                "ResultPath": "$.results",
                "Next": "Summarize",
            },
            "Summarize": {**summarize, "End": True},
        },
    }
