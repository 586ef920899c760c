"""The training workflow: a Step Functions state machine whose every step runs in the training function.

The definition is leadscoring.workflows.training, the same ASL the local stack runs on moto, plus a time limit;
the train function's ARN goes in as a token, which CDK turns into Fn::Join / Fn::GetAtt in the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnElement, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.state_machine import standard_state_machine
from leadscoring.workflows.training import training_definition

# leadscoring.settings.Settings reads the state machine's ARN from this variable (a test checks they agree).
STATE_MACHINE_ARN_ENV = "TRAINING_STATE_MACHINE_ARN"

LOG_DELIVERY_AND_XRAY_REASON = (
    "Statement CDK generates for logging and tracing. Step Functions writes execution logs through CloudWatch Logs "
    "log delivery, whose actions (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, "
    "ListLogDeliveries) name no log group, and logs:PutResourcePolicy, DescribeResourcePolicies and "
    "DescribeLogGroups need a wildcard resource (CloudWatch Logs guide, 'Logs sent to CloudWatch Logs'); "
    "xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets support no resource-level "
    "permissions."
)
FUNCTION_VERSIONS_REASON = (
    "lambda:InvokeFunction on the train function's qualified ARNs (<arn>:<version or alias>) only: the same single "
    "function, so a task may target a published version or alias of it; no other function is reachable."
)


def workflow_definition(train_function_arn: str) -> dict[str, Any]:
    """The shared training definition plus the run's time limit (top-level TimeoutSeconds)."""
    return {**training_definition(train_function_arn), "TimeoutSeconds": config.TRAINING_WORKFLOW_TIMEOUT_MINUTES * 60}


def logical_id(function: lambda_.IFunction) -> str:
    """The function's logical id, as cdk-nag writes it in a finding's resource (<LogicalId.Arn>)."""
    resource = function.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{function.node.path} has no CloudFormation resource")
    return Stack.of(resource).get_logical_id(resource)


class TrainingWorkflowConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        train_function: lambda_.IFunction,
        starters: Sequence[lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        # The state machine depends on the train function; a starter depends on the state machine.
        if any(starter.node.path == train_function.node.path for starter in starters):
            raise ValueError("the train function cannot start the training workflow: it and the state machine would depend on each other")
        self.state_machine = standard_state_machine(self, workflow_definition(train_function.function_arn))
        # The definition is a string, so CDK cannot see the Lambda tasks in it: grant the one function by hand.
        train_function.grant_invoke(self.state_machine)
        for starter in starters:
            self.state_machine.grants.start_execution(starter)
            starter.add_environment(STATE_MACHINE_ARN_ENV, self.state_machine.state_machine_arn)

        # On the role's policy, the only construct holding these statements.
        policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", LOG_DELIVERY_AND_XRAY_REASON)
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::<{logical_id(train_function)}.Arn>:*]", FUNCTION_VERSIONS_REASON)
