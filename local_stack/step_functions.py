"""Real state machines on moto: its executor runs the ASL, and its Lambda invokes reach our handlers in-process.

Without Docker, moto's Lambda only echoes the payload; here each invoke is dispatched to the real handler of
the named function, so the very definitions CDK deploys run locally.
"""

from __future__ import annotations

import io
import json
import os
import traceback
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import requests
from moto.awslambda_simple.models import LambdaSimpleBackend

from local_stack.lambda_context import WORKFLOW_STEP_SECONDS, LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
_HANDLERS: dict[str, Handler] = {}
LOCAL_ROLE = "arn:aws:iam::123456789012:role/local-lambda"


def _invoke(self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any) -> bytes:
    name = function_name.split(":")[-1] if function_name.startswith("arn:") else function_name
    handler = _HANDLERS.get(name)
    if handler is None:
        raise KeyError(f"No local handler for Lambda function {name}")
    event = json.loads(body) if body else {}
    try:
        return json.dumps(handler(event, LocalLambdaContext(name, timeout_seconds=WORKFLOW_STEP_SECONDS)), default=str).encode()
    except Exception as exc:  # reported to the state machine as Lambda reports a function error
        response_headers["x-amz-function-error"] = "Unhandled"
        error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": traceback.format_exc().splitlines()[-5:]}
        return json.dumps(error).encode()


def enable(endpoint: str, handlers: dict[str, Handler]) -> None:
    """Turn on moto's executor and route Lambda invokes of `handlers`' names to them."""
    # moto's executor reaches Lambda at localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = endpoint.rsplit(":", 1)[-1]
    response = requests.post(
        f"{endpoint}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
        timeout=10,
    )
    response.raise_for_status()
    _HANDLERS.update(handlers)
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
    _ensure_role()
    client = boto3.client("lambda")
    existing = {f["FunctionName"] for f in client.list_functions().get("Functions", [])}
    for name in handlers:
        if name not in existing:
            client.create_function(
                FunctionName=name, Runtime="python3.12", Role=LOCAL_ROLE, Handler="app.lambda_handler", Code={"ZipFile": _empty_zip()}
            )


def _ensure_role() -> None:
    iam = boto3.client("iam")
    name = LOCAL_ROLE.rsplit("/", 1)[-1]
    if name not in {r["RoleName"] for r in iam.list_roles()["Roles"]}:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))


def function_arn(name: str) -> str:
    return str(boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def create_state_machine(name: str, definition: dict[str, Any]) -> str:
    client = boto3.client("stepfunctions")
    for machine in client.list_state_machines().get("stateMachines", []):
        if machine["name"] == name:
            client.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=json.dumps(definition))
            return str(machine["stateMachineArn"])
    return str(client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=LOCAL_ROLE)["stateMachineArn"])


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs the real handler in-process\n")
    return buffer.getvalue()


TRAIN_FUNCTION = "leadscoring-train"


def install_training_workflow(endpoint: str) -> str:
    """The training state machine, running the real `train` function's steps; returns its ARN."""
    from leadscoring.services import wiring
    from leadscoring.workflows.training import training_definition
    from local_stack.gateway import load_function

    enable(endpoint, {TRAIN_FUNCTION: load_function("train").lambda_handler})
    arn = create_state_machine("leadscoring-training", training_definition(function_arn(TRAIN_FUNCTION)))
    os.environ["TRAINING_STATE_MACHINE_ARN"] = arn
    wiring.reset()  # the models service reads the ARN when it is built
    return arn


BATCH_WORKER_FUNCTION = "leadscoring-batch-worker"
MAP_EMULATOR_FUNCTION = "leadscoring-local-distributed-map"


def install_batch_workflow(endpoint: str) -> str:
    """The batch file state machine: the deployed definition, with its Distributed Maps emulated (moto has no
    ItemBatcher; see local_stack.distributed_map) and every task running the real batch_worker handler."""
    from leadscoring.services import wiring
    from leadscoring.workflows.batch import batch_definition
    from local_stack.distributed_map import DistributedMapEmulator, local_definition
    from local_stack.gateway import load_function

    enable(endpoint, {BATCH_WORKER_FUNCTION: load_function("batch_worker").lambda_handler})
    deployed = batch_definition(function_arn(BATCH_WORKER_FUNCTION))
    enable(endpoint, {MAP_EMULATOR_FUNCTION: _placeholder})
    definition, maps = local_definition(deployed, function_arn(MAP_EMULATOR_FUNCTION))
    _HANDLERS[MAP_EMULATOR_FUNCTION] = DistributedMapEmulator(maps, _HANDLERS)
    arn = create_state_machine("leadscoring-batch", definition)
    os.environ["BATCH_STATE_MACHINE_ARN"] = arn
    wiring.reset()  # the batch_score service reads the ARN when it is built
    return arn


def _placeholder(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("the distributed map emulator is installed once its definition is known")


MONITOR_FUNCTION = "leadscoring-monitor"


def install_reports_workflow(endpoint: str) -> str:
    """The daily audit reports state machine, running the real `monitor` function's steps; returns its ARN.
    Locally nothing schedules it: `leadscoring --local record-reports` starts a run."""
    from leadscoring.workflows.reports import reports_definition
    from local_stack.gateway import load_function

    enable(endpoint, {MONITOR_FUNCTION: load_function("monitor").lambda_handler})
    arn = create_state_machine("leadscoring-reports", reports_definition(function_arn(MONITOR_FUNCTION)))
    os.environ["REPORTS_STATE_MACHINE_ARN"] = arn
    return arn
