"""The batch workflow: the shared ASL (Distributed Map over the batch bucket, ItemBatcher, retries, Catch ->
RecordFailure) on a logged, traced STANDARD state machine whose role reaches only the worker, the batch bucket's
objects and its own child executions; started by the batch_score function alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import config
from infra.compliance import acknowledgments
from infra.constructs.batch_workflow import STATE_MACHINE_ARN_ENV, STATE_MACHINE_NAME, workflow_definition
from leadscoring.resources import AUDIT, BATCH_BUCKET
from leadscoring.settings import Settings
from leadscoring.workflows.asl import TRANSIENT_LAMBDA_ERRORS
from leadscoring.workflows.batch import CHUNK_BYTES, CHUNK_ROWS, MAP_STATES, batch_definition
from tests.infra.conftest import Synthesized, as_list, resolved_definition, role_statements, state_machine_named

WORKER_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:batch_worker"  # stands in for the worker's ARN
CATCH = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]


@pytest.fixture(scope="module")
def state_machine(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return state_machine_named(synthesized, "BatchWorkflow")


@pytest.fixture(scope="module")
def worker_arn(function_ids: dict[str, str]) -> dict[str, Any]:
    return {"Fn::GetAtt": [function_ids[config.BATCH_WORKER_FUNCTION], "Arn"]}


@pytest.fixture(scope="module")
def definition(state_machine: tuple[str, dict[str, Any]], worker_arn: dict[str, Any]) -> dict[str, Any]:
    tokens, parsed = resolved_definition(state_machine[1]["DefinitionString"], worker_arn, WORKER_ARN)
    assert tokens  # the worker is referenced, and (checked above) it is the only resource referenced
    return parsed


def _text(value: Any) -> str:
    """An IAM resource as text: Fn::Join parts concatenated, pseudo parameters as <AWS::...>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(p) for p in parts)
    return json.dumps(value, sort_keys=True)


def test_standard_state_machine_traced_and_never_logging_rows(state_machine: tuple[str, dict[str, Any]]) -> None:
    props = state_machine[1]
    assert props["StateMachineName"] == STATE_MACHINE_NAME
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False  # chunk inputs are rows with PII


def test_definition_is_the_shared_batch_workflow(definition: dict[str, Any]) -> None:
    assert definition == workflow_definition(WORKER_ARN)
    assert {k: v for k, v in definition.items() if k != "TimeoutSeconds"} == batch_definition(WORKER_ARN, config.BATCH_MAX_CONCURRENCY)
    assert definition["TimeoutSeconds"] == config.BATCH_WORKFLOW_TIMEOUT_HOURS * 3600


@pytest.mark.parametrize(
    ("file_format", "reader_config"),
    [("csv", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}), ("jsonl", {"InputType": "JSONL"})],
)
def test_a_distributed_map_per_format_reads_the_file_in_chunks(
    definition: dict[str, Any], file_format: str, reader_config: dict[str, str]
) -> None:
    states = definition["States"]
    choice = states[definition["StartAt"]]
    assert choice["Type"] == "Choice"
    assert {c["Next"] for c in choice["Choices"]} | {choice["Default"]} == set(MAP_STATES.values())
    state = states[MAP_STATES[file_format]]
    assert state["Type"] == "Map"
    assert state["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": reader_config,
        "Parameters": {"Bucket.$": "$.job.bucket", "Key.$": "$.job.key"},
    }
    assert state["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"}
    batcher = state["ItemBatcher"]
    assert batcher["MaxItemsPerBatch"] == CHUNK_ROWS == 500
    assert batcher["MaxInputBytesPerBatch"] == CHUNK_BYTES <= 256 * 1024  # Step Functions' payload limit
    assert set(batcher["BatchInput"]) == {"client_id.$", "job_id.$", "scored_at.$", "key_id.$"}
    assert state["MaxConcurrency"] == config.BATCH_MAX_CONCURRENCY and state["ToleratedFailurePercentage"] == 0
    assert state["ResultPath"] is None and state["Next"] == "Finalize" and state["Catch"] == CATCH
    processor = state["ItemProcessor"]
    assert processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    [task] = processor["States"].values()
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"] == {"FunctionName": WORKER_ARN, "Payload.$": "$"}
    assert task["OutputPath"] == "$.Payload.chunk.rows"  # keeps the Map's collected output far under 256 KiB
    retried = [r["ErrorEquals"] for r in task["Retry"]]
    assert retried == [TRANSIENT_LAMBDA_ERRORS, ["StorageError"]]
    assert all(r["BackoffRate"] > 1 and r["MaxAttempts"] >= 2 for r in task["Retry"])


def test_finalize_and_failure_run_in_the_worker(definition: dict[str, Any]) -> None:
    states = definition["States"]
    finalize, record = states["Finalize"], states["RecordFailure"]
    assert finalize["Parameters"] == {"FunctionName": WORKER_ARN, "Payload": {"step": "finalize", "job.$": "$.job"}}
    assert finalize["End"] is True and finalize["Catch"] == CATCH
    assert record["Parameters"] == {
        "FunctionName": WORKER_ARN,
        "Payload": {"step": "record_failure", "job.$": "$.job", "error.$": "$.error"},
    }
    assert record["Next"] == "BatchFailed" and "Catch" not in record
    assert [r["ErrorEquals"] for r in record["Retry"]] == [TRANSIENT_LAMBDA_ERRORS]
    assert states["BatchFailed"]["Type"] == "Fail"


def test_role_reaches_the_worker_the_batch_files_and_its_own_children_only(
    synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]], worker_arn: dict[str, Any]
) -> None:
    role_id = state_machine[1]["RoleArn"]["Fn::GetAtt"][0]
    role = synthesized.resources(synthesized.stateless, "AWS::IAM::Role")[role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    granted: dict[str, list[str]] = {}
    for statement in role_statements(synthesized, role_id):
        assert statement["Effect"] == "Allow"
        if statement["Resource"] == "*":
            assert all(a.startswith(("logs:", "xray:")) for a in as_list(statement["Action"]))
            continue
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).extend(_text(r) for r in as_list(statement["Resource"]))
    worker = _text(worker_arn)
    prefix = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>"
    assert granted.pop("lambda:InvokeFunction") == [worker, f"{worker}:*"]
    assert granted.pop("s3:GetObject") == ["arn:<AWS::Partition>:s3:::leadscoring-batch-<AWS::AccountId>-<AWS::Region>/*"]
    assert granted.pop("states:StartExecution") == [f"{prefix}:stateMachine:{STATE_MACHINE_NAME}"]
    assert granted.pop("states:DescribeExecution") == granted.pop("states:StopExecution") == [f"{prefix}:execution:{STATE_MACHINE_NAME}/*"]
    [key] = granted.pop("kms:Decrypt")
    assert granted.pop("kms:DescribeKey") == [key] and "DataKey" in key
    assert granted == {}
    assert BATCH_BUCKET.logical_id in config.BUCKET_NAMES


def test_only_batch_score_starts_jobs(synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]]) -> None:
    machine = {"Ref": state_machine[0]}
    starters = {}
    for name in config.FUNCTIONS:
        props = synthesized.function(name)["Properties"]
        statements = role_statements(synthesized, props["Role"]["Fn::GetAtt"][0])
        grants = [s for s in statements if s["Resource"] == machine]
        env = props["Environment"]["Variables"].get(STATE_MACHINE_ARN_ENV)
        if grants or env:
            starters[name] = (env, grants)
    assert starters == {config.BATCH_STARTER: (machine, [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": machine}])}
    assert Settings.model_fields["batch_state_machine_arn"].alias == STATE_MACHINE_ARN_ENV


def test_the_worker_appends_decisions_in_batches_and_has_no_route(synthesized: Synthesized) -> None:
    settings = config.FUNCTIONS[config.BATCH_WORKER_FUNCTION]
    assert settings.tables[AUDIT] == config.Access.APPEND_BATCH  # PutItem and BatchWriteItem, on the table only
    props = synthesized.function(config.BATCH_WORKER_FUNCTION)["Properties"]
    statements = role_statements(synthesized, props["Role"]["Fn::GetAtt"][0])
    batch_writes = [_text(r) for s in statements if "dynamodb:BatchWriteItem" in as_list(s["Action"]) for r in as_list(s["Resource"])]
    assert sum(AUDIT.logical_id in r for r in batch_writes) == 1 and not any("/index/" in r for r in batch_writes if AUDIT.logical_id in r)
    assert props["Timeout"] == 900 and props["MemorySize"] == 1769
    from leadscoring import routes

    assert config.BATCH_WORKER_FUNCTION not in routes.FUNCTIONS


def test_state_machine_arn_is_an_output(synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]]) -> None:
    assert synthesized.stateless.to_json()["Outputs"]["BatchStateMachineArn"]["Value"] == {"Ref": state_machine[0]}


def test_acknowledgments_stay_on_the_state_machine_policy(synthesized: Synthesized, function_ids: dict[str, str]) -> None:
    found = {(path, rule_id) for path, rule_id, _ in acknowledgments(synthesized.app) if "/BatchWorkflow/" in path}
    policy = f"{config.STATELESS_STACK}/BatchWorkflow/StateMachine/Role/DefaultPolicy"
    assert {path for path, _ in found} == {policy}
    assert {rule for _, rule in found} == {
        "AwsSolutions-IAM5[Resource::*]",
        f"AwsSolutions-IAM5[Resource::<{function_ids[config.BATCH_WORKER_FUNCTION]}.Arn>:*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::leadscoring-batch-<AWS::AccountId>-<AWS::Region>/*]",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{STATE_MACHINE_NAME}/*]",
    }
