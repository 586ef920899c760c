"""The batch file workflow: a Distributed Map reads the file from S3 and hands chunks of rows to the worker.

    ChooseReader -> ScoreCsvRows | ScoreJsonlRows (Distributed Map) -> Finalize
                         any failure -> RecordFailure -> BatchFailed

- ItemReader reads the CSV (first row is the header; every value a string) or JSONL file; ItemReader's
  InputType cannot be a path, hence one Map per format behind a Choice.
- ItemSelector tags every row with its position ($$.Map.Item.Index, 0-based) before ItemBatcher groups rows
  into chunks: the worker names rows by their line in the file and keys a chunk by its first row.
- ItemBatcher: at most CHUNK_ROWS rows and CHUNK_BYTES per chunk (Step Functions' 256 KiB payload limit), with
  BatchInput carrying the job (client, job id, the job's scoring time, who started it).
- A chunk that fails on a Lambda transient error or a storage error is retried; a retry rewrites the same
  items (deterministic keys) and its counts are added once. ToleratedFailurePercentage is 0: a chunk that
  still fails fails the job loudly (the failure reason is recorded); re-running the file then stores the rest.

Locally moto cannot parse ItemBatcher: local_stack.step_functions runs this definition with each Map state
emulated by a task that reads the same ItemReader / ItemSelector / ItemBatcher settings from it.
"""

from __future__ import annotations

from typing import Any

from leadscoring.workflows.asl import TRANSIENT_LAMBDA_ERRORS

CHUNK_ROWS = 500
CHUNK_BYTES = 240 * 1024
# Chunks in flight at once when the caller names none (the local executor runs them one after another); the
# deployed value is infra/config.py's BATCH_MAX_CONCURRENCY, sized to the tables' write throughput.
MAX_CONCURRENCY = 16
# Our own errors that a retry can cure (DynamoDB refusing writes after the worker's own retries).
RETRYABLE_WORKER_ERRORS = ["StorageError"]
MAP_STATES = {"csv": "ScoreCsvRows", "jsonl": "ScoreJsonlRows"}
READER_CONFIG: dict[str, dict[str, str]] = {
    "csv": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
    "jsonl": {"InputType": "JSONL"},
}
_RETRY_TRANSIENT = {"ErrorEquals": TRANSIENT_LAMBDA_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
_CATCH = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]


def batch_definition(worker_arn: str, max_concurrency: int = MAX_CONCURRENCY) -> dict[str, Any]:
    states: dict[str, Any] = {
        "ChooseReader": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.job.format", "StringEquals": "jsonl", "Next": MAP_STATES["jsonl"]}],
            "Default": MAP_STATES["csv"],
        },
        **{name: _score_rows(worker_arn, file_format, max_concurrency) for file_format, name in MAP_STATES.items()},
        "Finalize": _step(worker_arn, "finalize", {"step": "finalize", "job.$": "$.job"}) | {"End": True, "Catch": _CATCH},
        "RecordFailure": _step(worker_arn, "record_failure", {"step": "record_failure", "job.$": "$.job", "error.$": "$.error"})
        | {"Next": "BatchFailed"},
        "BatchFailed": {"Type": "Fail", "Error": "BatchJobFailed", "Cause": "See the job's failure_reason (GET /batch-score/{job_id})"},
    }
    return {
        "Comment": "Score a CSV/JSONL file of leads in chunks (Distributed Map) and record the results",
        "StartAt": "ChooseReader",
        "States": states,
    }


def _score_rows(worker_arn: str, file_format: str, max_concurrency: int) -> dict[str, Any]:
    return {
        "Type": "Map",
        "Label": f"Chunks{file_format.capitalize()}",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": READER_CONFIG[file_format],
            "Parameters": {"Bucket.$": "$.job.bucket", "Key.$": "$.job.key"},
        },
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
        "ItemBatcher": {
            "MaxItemsPerBatch": CHUNK_ROWS,
            "MaxInputBytesPerBatch": CHUNK_BYTES,
            "BatchInput": {
                "client_id.$": "$.job.client_id",
                "job_id.$": "$.job.job_id",
                "scored_at.$": "$.job.scored_at",
                "key_id.$": "$.job.key_id",
            },
        },
        "MaxConcurrency": max_concurrency,
        "ToleratedFailurePercentage": 0,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "ScoreChunk",
            "States": {
                "ScoreChunk": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": worker_arn, "Payload.$": "$"},
                    # Without a ResultWriter the Map's result is the array of every chunk's output, under the
                    # 256 KiB state limit: a chunk answers with its row count alone (a few bytes each).
                    "OutputPath": "$.Payload.chunk.rows",
                    "TimeoutSeconds": 300,
                    "Retry": [
                        _RETRY_TRANSIENT,
                        {"ErrorEquals": RETRYABLE_WORKER_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0},
                    ],
                    "End": True,
                }
            },
        },
        # Chunk outcomes are in the job's counters and S3 files; the state keeps its input (the job).
        "ResultPath": None,
        "Next": "Finalize",
        "Catch": _CATCH,
    }


def _step(worker_arn: str, step: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Comment": f"batch_worker: {step}",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": worker_arn, "Payload": payload},
        "ResultPath": None,
        "TimeoutSeconds": 900,
        "Retry": [_RETRY_TRANSIENT],
    }
