"""Batch file jobs: a Step Functions state machine whose Distributed Map reads a client's file from the batch
bucket and hands chunks of rows to the batch_worker function.

The definition is leadscoring.workflows.batch, the same ASL the local stack runs (with its Map emulated, as moto
has no ItemBatcher), plus a time limit. The worker's ARN goes in as a token. A Distributed Map runs each chunk
as a child execution of this very state machine, so its role may start executions of itself (by name, no
cycle: the ARN is built from the fixed name, not read from the resource).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.buckets import bucket_objects_arn, bucket_objects_nag_resource
from infra.constructs.state_machine import standard_state_machine
from infra.constructs.training_workflow import LOG_DELIVERY_AND_XRAY_REASON, logical_id
from leadscoring.resources import BATCH_BUCKET
from leadscoring.workflows.batch import batch_definition

# leadscoring.settings.Settings reads the state machine's ARN from this variable (a test checks they agree).
STATE_MACHINE_ARN_ENV = "BATCH_STATE_MACHINE_ARN"
STATE_MACHINE_NAME = f"{config.RESOURCE_PREFIX}-batch"

WORKER_VERSIONS_REASON = (
    "lambda:InvokeFunction on the batch_worker function's qualified ARNs (<arn>:<version or alias>) only: the same "
    "single function, so a task may target a published version or alias of it; no other function is reachable."
)
BATCH_FILES_REASON = (
    "ItemReader reads the job's file with s3:GetObject: any object of the batch bucket, because files live under "
    "each client's prefix (<client>/...) and the key is known only when a job starts. Only GetObject is granted."
)
CHILD_EXECUTIONS_REASON = (
    "A Distributed Map runs each chunk as a child execution of this state machine and must describe and stop "
    "them; their ARNs (execution:<name>/<map run>:<id>) exist only at run time. Limited to this state machine's "
    "own executions."
)


def workflow_definition(worker_arn: str) -> dict[str, Any]:
    """The shared batch definition plus a job's time limit (top-level TimeoutSeconds)."""
    return {**batch_definition(worker_arn, config.BATCH_MAX_CONCURRENCY), "TimeoutSeconds": config.BATCH_WORKFLOW_TIMEOUT_HOURS * 3600}


class BatchWorkflowConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        worker: lambda_.Function,
        starters: Sequence[lambda_.Function],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        # The state machine depends on the worker; a starter depends on the state machine.
        if any(starter.node.path == worker.node.path for starter in starters):
            raise ValueError("the batch worker cannot start batch jobs: it and the state machine would depend on each other")
        stack = Stack.of(self)
        own_arn = stack.format_arn(
            service="states", resource="stateMachine", resource_name=STATE_MACHINE_NAME, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        executions_arn = stack.format_arn(
            service="states", resource="execution", resource_name=f"{STATE_MACHINE_NAME}/*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        # Chunks run as STANDARD child executions of this state machine, found by its fixed name.
        self.state_machine = standard_state_machine(self, workflow_definition(worker.function_arn), name=STATE_MACHINE_NAME)
        role = self.state_machine.role
        # The definition is a string, so CDK cannot see its tasks and reader: grant them by hand.
        worker.grant_invoke(role)
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket_objects_arn(BATCH_BUCKET.logical_id)]))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["kms:Decrypt", "kms:DescribeKey"], resources=[key.key_arn]))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[own_arn]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution", "states:StopExecution"], resources=[executions_arn])
        )

        for starter in starters:
            self.state_machine.grants.start_execution(starter)
            starter.add_environment(STATE_MACHINE_ARN_ENV, self.state_machine.state_machine_arn)

        policy = role.node.find_child("DefaultPolicy")
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", LOG_DELIVERY_AND_XRAY_REASON)
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::<{logical_id(worker)}.Arn>:*]", WORKER_VERSIONS_REASON)
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{bucket_objects_nag_resource(BATCH_BUCKET.logical_id)}]", BATCH_FILES_REASON)
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{STATE_MACHINE_NAME}/*]",
            CHILD_EXECUTIONS_REASON,
        )
