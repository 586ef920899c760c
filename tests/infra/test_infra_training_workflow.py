"""The training workflow: the shared ASL on a logged, traced STANDARD state machine that may call only the
train function, started by the models function alone."""

from __future__ import annotations

from typing import Any

import pytest

from infra import config
from infra.compliance import acknowledgments
from infra.constructs.training_workflow import STATE_MACHINE_ARN_ENV, workflow_definition
from leadscoring.settings import Settings
from leadscoring.workflows.asl import TRANSIENT_LAMBDA_ERRORS
from leadscoring.workflows.training import training_definition
from tests.infra.conftest import Synthesized, as_list, resolved_definition, role_statements, state_machine_named

TRAIN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:train"  # stands in for the train function's ARN
STATES = {"ValidateData", "Train", "Evaluate", "ExportAndVerify", "Register", "RecordFailure", "TrainingFailed"}
LOG_DELIVERY_AND_XRAY = {
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
}


@pytest.fixture(scope="module")
def state_machine(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return state_machine_named(synthesized, "TrainingWorkflow")


@pytest.fixture(scope="module")
def train_arn(function_ids: dict[str, str]) -> dict[str, Any]:
    return {"Fn::GetAtt": [function_ids[config.TRAIN_FUNCTION], "Arn"]}


@pytest.fixture(scope="module")
def definition(state_machine: tuple[str, dict[str, Any]], train_arn: dict[str, Any]) -> dict[str, Any]:
    """The deployed definition, with the train function's ARN resolved to TRAIN_ARN."""
    body = state_machine[1]["DefinitionString"]
    assert set(body) == {"Fn::Join"}
    # Every token in the definition is the train function's ARN: no other resource is referenced.
    _, parsed = resolved_definition(body, train_arn, TRAIN_ARN)
    return parsed


def test_standard_state_machine_traced_and_logging_all_events(synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]]) -> None:
    props = state_machine[1]
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False  # run records only; kept out of the logs all the same
    [destination] = logging["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    log_group = synthesized.resources(synthesized.stateless, "AWS::Logs::LogGroup")[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 90


def test_definition_is_the_shared_training_workflow(definition: dict[str, Any]) -> None:
    # What the local stack runs on moto, plus the run's time limit.
    assert definition == workflow_definition(TRAIN_ARN)
    assert {k: v for k, v in definition.items() if k != "TimeoutSeconds"} == training_definition(TRAIN_ARN)
    assert definition["TimeoutSeconds"] == config.TRAINING_WORKFLOW_TIMEOUT_MINUTES * 60 == 7200


def test_workflow_states(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert set(states) == set(training_definition("x")["States"]) == STATES
    # validate -> train -> export and verify -> evaluate (the exported artifact) -> register, in that order.
    order, name = [], definition["StartAt"]
    while name:
        order.append(name)
        name = states[name].get("Next")
    assert order == ["ValidateData", "Train", "ExportAndVerify", "Evaluate", "Register"]
    assert states["Register"]["End"] is True
    for name in order:
        state = states[name]
        assert state["Type"] == "Task"
        assert state["Resource"] == "arn:aws:states:::lambda:invoke"
        assert state["Parameters"]["FunctionName"] == TRAIN_ARN
        assert [r["ErrorEquals"] for r in state["Retry"]] == [TRANSIENT_LAMBDA_ERRORS]
        assert state["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]
    record = states["RecordFailure"]
    assert record["Parameters"]["FunctionName"] == TRAIN_ARN
    assert [r["ErrorEquals"] for r in record["Retry"]] == [TRANSIENT_LAMBDA_ERRORS]
    assert record["Next"] == "TrainingFailed"
    assert states["TrainingFailed"]["Type"] == "Fail"


def test_role_may_invoke_only_the_train_function(
    synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]], train_arn: dict[str, Any]
) -> None:
    role_id = state_machine[1]["RoleArn"]["Fn::GetAtt"][0]
    role = synthesized.resources(synthesized.stateless, "AWS::IAM::Role")[role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    invoke = []
    for statement in role_statements(synthesized, role_id):
        assert statement["Effect"] == "Allow"
        actions = set(as_list(statement["Action"]))
        if statement["Resource"] == "*":
            assert actions == LOG_DELIVERY_AND_XRAY  # log delivery and X-Ray name no resource
        else:
            assert actions == {"lambda:InvokeFunction"}
            invoke.extend(as_list(statement["Resource"]))
    # The function and its qualified ARNs (versions, aliases): nothing else.
    assert invoke == [train_arn, {"Fn::Join": ["", [train_arn, ":*"]]}]


def test_models_function_starts_the_workflow(synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]]) -> None:
    machine_id = state_machine[0]
    starters = {}
    for name in config.FUNCTIONS:
        props = synthesized.function(name)["Properties"]
        env = props["Environment"]["Variables"]
        statements = role_statements(synthesized, props["Role"]["Fn::GetAtt"][0])
        grants = [
            s for s in statements if any(a.startswith("states:") for a in as_list(s["Action"])) and s["Resource"] == {"Ref": machine_id}
        ]
        if STATE_MACHINE_ARN_ENV in env or grants:
            starters[name] = (env.get(STATE_MACHINE_ARN_ENV), grants)
    ref = {"Ref": machine_id}
    assert starters == {
        config.TRAINING_STARTER: (ref, [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": ref}]),
    }
    assert config.TRAINING_STARTER == "models"


def test_environment_variable_is_the_one_settings_reads() -> None:
    assert Settings.model_fields["training_state_machine_arn"].alias == STATE_MACHINE_ARN_ENV


def test_state_machine_arn_is_an_output(synthesized: Synthesized, state_machine: tuple[str, dict[str, Any]]) -> None:
    outputs = synthesized.stateless.to_json()["Outputs"]
    assert outputs["TrainingStateMachineArn"]["Value"] == {"Ref": state_machine[0]}


def test_acknowledgments_stay_on_the_state_machine_policy(synthesized: Synthesized, function_ids: dict[str, str]) -> None:
    found = {(path, rule_id) for path, rule_id, _ in acknowledgments(synthesized.app) if "/TrainingWorkflow/" in path}
    policy = f"{config.STATELESS_STACK}/TrainingWorkflow/StateMachine/Role/DefaultPolicy"
    assert found == {
        (policy, "AwsSolutions-IAM5[Resource::*]"),
        (policy, f"AwsSolutions-IAM5[Resource::<{function_ids[config.TRAIN_FUNCTION]}.Arn>:*]"),
    }
