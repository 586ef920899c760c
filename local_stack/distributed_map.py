"""A local stand-in for Step Functions' Distributed Map, for the states moto cannot run.

moto's ASL parser rejects `ItemBatcher` (and the Distributed Map's `ProcessorConfig`), so a definition with a
batched Distributed Map cannot even be created on moto. Locally, `local_definition` swaps each such Map state
for a `lambda:invoke` Task that calls `DistributedMapEmulator`, keeping the state's name, ResultPath, Next and
Catch, so everything around it (Choice, Finalize, Catch -> RecordFailure -> Fail) still runs on moto's executor.

The emulator runs the Map exactly as its definition says, reading the settings from the very state CDK deploys:
- ItemReader (s3:getObject; CSV with a first-row header -> one dict of strings per row, JSONL -> one object per
  line, JSON -> the array's items), with the same Parameters paths;
- ItemSelector per item, with $$.Map.Item.Index and $$.Map.Item.Value;
- ItemBatcher: MaxItemsPerBatch and MaxInputBytesPerBatch, BatchInput resolved against the state input; each
  child gets {"Items": [...], "BatchInput": {...}};
- ItemProcessor: its one lambda:invoke Task, called with the resolved Payload, with the Task's Retry policy
  (error names are the exception class names, as Lambda reports them);
- ToleratedFailurePercentage: exceeded -> the state fails with States.ExceedToleratedFailureThreshold.
Differences: batches run one after another, in file order (AWS runs up to MaxConcurrency at once, in no order);
a CSV row with fewer fields than the header gets "" for the missing ones.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from typing import Any

import boto3

from local_stack.lambda_context import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
EMULATED_TASK_TIMEOUT_SECONDS = 24 * 3600  # the stand-in task runs the whole Map


class ExceedToleratedFailureThreshold(Exception):  # named as Step Functions names this error
    """Raised as the Map state's error; the state's Catch sees it as Step Functions would report it."""


def local_definition(definition: dict[str, Any], emulator_arn: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The definition with each batched Distributed Map replaced by a Task calling the emulator; and those Maps."""
    states: dict[str, Any] = {}
    maps: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        if state.get("Type") == "Map" and "ItemBatcher" in state:
            maps[name] = state
            states[name] = {
                "Type": "Task",
                "Comment": "Local stand-in for the Distributed Map (moto has no ItemBatcher); see local_stack.distributed_map",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": emulator_arn, "Payload": {"map_state": name, "input.$": "$"}},
                "ResultPath": state.get("ResultPath", "$"),
                "TimeoutSeconds": EMULATED_TASK_TIMEOUT_SECONDS,
                **{key: state[key] for key in ("Next", "End", "Catch") if key in state},
            }
        else:
            states[name] = state
    return {**definition, "States": states}, maps


class DistributedMapEmulator:
    def __init__(self, maps: dict[str, dict[str, Any]], handlers: dict[str, Handler]) -> None:
        self._maps = maps
        self._handlers = handlers

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        state = self._maps[str(event["map_state"])]
        state_input = event["input"]
        values = read_items(state["ItemReader"], state_input)
        selector = state.get("ItemSelector")
        items = [
            resolve(selector, state_input, {"Map": {"Item": {"Index": index, "Value": value}}}) if selector else value
            for index, value in enumerate(values)
        ]
        batches = make_batches(items, state.get("ItemBatcher") or {}, state_input)
        task = _single_task(state["ItemProcessor"])
        tolerated = float(state.get("ToleratedFailurePercentage", 0))
        failed = 0
        for batch in batches:
            try:
                self._run(task, batch)
            except Exception as exc:
                failed += 1
                if failed * 100 > tolerated * len(batches):
                    raise ExceedToleratedFailureThreshold(
                        f"{failed} of {len(batches)} batches failed (tolerated {tolerated:g}%); last: {type(exc).__name__}: {exc}"
                    ) from exc
        return {"items": len(items), "batches": len(batches), "failed": failed}

    def _run(self, task: dict[str, Any], batch: dict[str, Any]) -> Any:
        parameters = resolve(task["Parameters"], batch, {})
        name = str(parameters["FunctionName"]).split(":")[-1]
        handler = self._handlers[name]
        payload = json.loads(json.dumps(parameters["Payload"]))  # what Lambda would receive: JSON, nothing more
        attempts: dict[int, int] = {}
        while True:
            try:
                return handler(payload, LocalLambdaContext(name))
            except Exception as exc:
                found = _retrier(task.get("Retry", []), type(exc).__name__)
                if found is None:
                    raise
                index, retrier = found
                done = attempts.get(index, 0)
                if done >= int(retrier.get("MaxAttempts", 3)):
                    raise
                time.sleep(float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** done)
                attempts[index] = done + 1


def read_items(reader: dict[str, Any], state_input: Any) -> list[Any]:
    if reader.get("Resource") != "arn:aws:states:::s3:getObject":
        raise NotImplementedError(f"ItemReader resource {reader.get('Resource')} is not emulated")
    parameters = resolve(reader.get("Parameters") or {}, state_input, {})
    body: bytes = boto3.client("s3").get_object(Bucket=parameters["Bucket"], Key=parameters["Key"])["Body"].read()
    config = reader.get("ReaderConfig") or {}
    kind = config.get("InputType", "JSON")
    text = body.decode("utf-8-sig")
    items: list[Any]
    if kind == "CSV":
        if config.get("CSVHeaderLocation", "FIRST_ROW") != "FIRST_ROW":
            raise NotImplementedError("only CSVHeaderLocation FIRST_ROW is emulated")
        rows = csv.reader(io.StringIO(text))
        header = next(rows, [])
        items = [{column: (row[n] if n < len(row) else "") for n, column in enumerate(header)} for row in rows if row]
    elif kind == "JSONL":
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    elif kind == "JSON":
        items = list(json.loads(text))
    else:
        raise NotImplementedError(f"ItemReader InputType {kind} is not emulated")
    limit = config.get("MaxItems")
    return items[: int(limit)] if limit is not None else items


def make_batches(items: list[Any], batcher: dict[str, Any], state_input: Any) -> list[dict[str, Any]]:
    most = int(batcher.get("MaxItemsPerBatch", len(items) or 1))
    max_bytes = int(batcher.get("MaxInputBytesPerBatch", 256 * 1024))
    batch_input = resolve(batcher.get("BatchInput") or {}, state_input, {})
    overhead = len(json.dumps({"Items": [], "BatchInput": batch_input}))
    batches: list[dict[str, Any]] = []
    current: list[Any] = []
    size = overhead
    for item in items:
        item_bytes = len(json.dumps(item)) + 2  # and its ", " separator
        if current and (len(current) >= most or size + item_bytes > max_bytes):
            batches.append({"Items": current, "BatchInput": batch_input})
            current, size = [], overhead
        current.append(item)
        size += item_bytes
    if current:
        batches.append({"Items": current, "BatchInput": batch_input})
    return batches


def resolve(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """ASL payload templates: keys ending in .$ take a path ($..., or $$... into the context object)."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _path(str(value), data, context)
            else:
                out[key] = resolve(value, data, context)
        return out
    if isinstance(template, list):
        return [resolve(value, data, context) for value in template]
    return template


def _path(expression: str, data: Any, context: dict[str, Any]) -> Any:
    if expression.startswith("$$"):
        root, rest = context, expression[2:]
    elif expression.startswith("$"):
        root, rest = data, expression[1:]
    else:
        raise NotImplementedError(f"path {expression}")
    value = root
    for part in [p for p in rest.split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"The path {expression} matches nothing")
        value = value[part]
    return value


def _single_task(processor: dict[str, Any]) -> dict[str, Any]:
    states = processor["States"]
    task = states[processor["StartAt"]]
    if len(states) != 1 or task.get("Type") != "Task" or task.get("Resource") != "arn:aws:states:::lambda:invoke":
        raise NotImplementedError("only an ItemProcessor of one lambda:invoke Task is emulated")
    return dict(task)


def _retrier(retriers: list[dict[str, Any]], error: str) -> tuple[int, dict[str, Any]] | None:
    for index, retrier in enumerate(retriers):
        names = retrier.get("ErrorEquals", [])
        if error in names or "States.ALL" in names or "States.TaskFailed" in names:
            return index, retrier
    return None
