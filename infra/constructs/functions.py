"""The Lambda functions: one per folder under functions/ (routed functions from leadscoring.routes, the
authorizer and the training workflow's steps), each with its own role, log group and exactly the data access
infra.config grants it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.buckets import bucket_name, bucket_objects_arn, bucket_objects_nag_resource
from infra.constructs.cursor_key import READ_ACTIONS as CURSOR_KEY_READ_ACTIONS
from infra.constructs.layers import PYTHON_JUNK, FunctionLayersConstruct, lambda_runtime
from infra.constructs.tables import DataTablesConstruct
from leadscoring import routes
from leadscoring.resources import BUCKETS, CURSOR_KEY_SECRET_ENV, TableSpec

AUTHORIZER = "authorizer"
HANDLER = "app.lambda_handler"

TABLE_ACTIONS = {
    config.Access.READ: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
    config.Access.APPEND: ["dynamodb:PutItem"],
    config.Access.APPEND_BATCH: ["dynamodb:PutItem", "dynamodb:BatchWriteItem"],
    config.Access.READ_APPEND: [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
    ],
    config.Access.COUNT: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
    config.Access.READ_WRITE: [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ],
}
OBJECT_ACTIONS = {config.Access.READ: ["s3:GetObject"], config.Access.READ_WRITE: ["s3:GetObject", "s3:PutObject"]}
KEY_READ_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
KEY_WRITE_ACTIONS = [*KEY_READ_ACTIONS, "kms:Encrypt", "kms:GenerateDataKey"]

# Context the training build needs; everything else in the repository (.venv, build, cdk.out, .git, …) stays
# out of the staged build context. IgnoreMode.DOCKER: later "!" lines re-include.
TRAIN_BUILD_CONTEXT = [
    "*",
    "!functions/train",
    "!layers/deps/requirements.txt",
    "!layers/shared/python/leadscoring",
    *PYTHON_JUNK,
]

NO_DLQ_REASON = (
    "Invoked synchronously (API Gateway proxy integration, or the training and batch workflows' lambda:invoke tasks): the caller "
    "receives the error and retries. A dead-letter queue only captures failed asynchronous invocations, which this function never gets."
)
XRAY_REASON = "Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."


def deployed_functions() -> set[str]:
    return {
        *routes.FUNCTIONS,
        AUTHORIZER,
        config.TRAIN_FUNCTION,
        config.BATCH_WORKER_FUNCTION,
        config.AGGREGATOR_FUNCTION,
        config.MONITOR_FUNCTION,
    }


def construct_name(function: str) -> str:
    return "".join(part.capitalize() for part in function.split("_"))


def shared_environment(tables: DataTablesConstruct, cursor_key: secretsmanager.ISecret) -> dict[str, str]:
    """Every TableSpec.env / BucketSpec.env the shared package's Settings reads, with the physical name, and the
    cursor key's ARN."""
    env = {spec.env: table.table_name for spec, table in tables.tables.items()}
    env.update({spec.env: bucket_name(spec.logical_id) for spec in BUCKETS})
    env[CURSOR_KEY_SECRET_ENV] = cursor_key.secret_arn
    env.update({"POWERTOOLS_METRICS_NAMESPACE": config.POWERTOOLS_METRICS_NAMESPACE, "LOG_LEVEL": config.LOG_LEVEL})
    return env


class LeadScoringFunctionsConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        tables: DataTablesConstruct,
        layers: FunctionLayersConstruct,
        cursor_key: secretsmanager.ISecret,
    ) -> None:
        super().__init__(scope, construct_id)
        deployed = deployed_functions()
        if set(config.FUNCTIONS) != deployed:
            raise ValueError(f"infra.config.FUNCTIONS must configure exactly {sorted(deployed)}, has {sorted(config.FUNCTIONS)}")
        self._key = key
        self._tables = tables
        self._layers = layers
        self._cursor_key = cursor_key
        self._environment = shared_environment(tables, cursor_key)
        self.functions: dict[str, lambda_.Function] = {name: self._function(name, settings) for name, settings in config.FUNCTIONS.items()}

    @property
    def authorizer(self) -> lambda_.Function:
        return self.functions[AUTHORIZER]

    @property
    def routed(self) -> dict[str, lambda_.Function]:
        """The functions the REST API integrates, as leadscoring.routes names them."""
        return {name: self.functions[name] for name in routes.FUNCTIONS}

    def _function(self, name: str, settings: config.FunctionSettings) -> lambda_.Function:
        scope = Construct(self, construct_name(name))
        log_group = logs.LogGroup(
            scope,
            "Logs",
            retention=config.FUNCTION_LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Own role instead of the default one: no AWSLambdaBasicExecutionRole managed policy, logs only to its group.
        role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=f"leadscoring {name} function")
        log_group.grant_write(role)
        common: dict[str, Any] = {
            "role": role,
            "log_group": log_group,
            "description": settings.description,
            "memory_size": settings.memory_mb,
            "timeout": Duration.seconds(settings.timeout_seconds),
            "ephemeral_storage_size": Size.mebibytes(settings.ephemeral_storage_mb),
            # x86_64: the dependency layer and the training image are built for it.
            "architecture": lambda_.Architecture.X86_64,
            "tracing": lambda_.Tracing.ACTIVE,
            "logging_format": lambda_.LoggingFormat.JSON,
            "application_log_level_v2": lambda_.ApplicationLogLevel.INFO,
            "system_log_level_v2": lambda_.SystemLogLevel.INFO,
            # The function's name is its service (logs' "service", metrics' service dimension), locally too.
            "environment": {**self._environment, "POWERTOOLS_SERVICE_NAME": name},
        }
        function: lambda_.Function
        if settings.container:
            function = lambda_.DockerImageFunction(
                scope,
                "Function",
                code=lambda_.DockerImageCode.from_image_asset(
                    str(config.ROOT),
                    file=config.TRAIN_DOCKERFILE,
                    exclude=TRAIN_BUILD_CONTEXT,
                    ignore_mode=IgnoreMode.DOCKER,
                    build_args={"PYTHON_VERSION": config.LAMBDA_PYTHON},
                    platform=ecr_assets.Platform.LINUX_AMD64,
                ),
                **common,
            )
        else:
            function = lambda_.Function(
                scope,
                "Function",
                runtime=lambda_runtime(),
                handler=HANDLER,
                code=lambda_.Code.from_asset(str(config.FUNCTIONS_DIR / name), exclude=PYTHON_JUNK),
                layers=self._layers.all,
                **common,
            )
        self._grant(role, scope, settings)
        if name in config.CURSOR_KEY_READERS:
            role.add_to_principal_policy(iam.PolicyStatement(actions=CURSOR_KEY_READ_ACTIONS, resources=[self._cursor_key.secret_arn]))
        acknowledge(scope, "Serverless-LambdaDLQ", NO_DLQ_REASON)
        acknowledge(scope, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        return function

    def _grant(self, role: iam.Role, scope: Construct, settings: config.FunctionSettings) -> None:
        for spec, access in settings.tables.items():
            role.add_to_principal_policy(iam.PolicyStatement(actions=TABLE_ACTIONS[access], resources=self._table_arns(spec, access)))
        for bucket, access in settings.buckets.items():
            objects = bucket_objects_arn(bucket.logical_id)
            role.add_to_principal_policy(iam.PolicyStatement(actions=OBJECT_ACTIONS[access], resources=[objects]))
            # ListBucket lets a missing key answer 404 rather than 403.
            role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[objects.removesuffix("/*")]))
            acknowledge(
                scope,
                f"AwsSolutions-IAM5[Resource::{bucket_objects_nag_resource(bucket.logical_id)}]",
                f"Object-level access to the {bucket.logical_id} only; object keys are per tenant and per model or job "
                f"({bucket.notes}), known only at run time.",
            )
        # Tables and data buckets are encrypted with the data key; the function uses it through those services.
        writes = any(access != config.Access.READ for access in [*settings.tables.values(), *settings.buckets.values()])
        key_actions = KEY_WRITE_ACTIONS if writes else KEY_READ_ACTIONS
        role.add_to_principal_policy(iam.PolicyStatement(actions=key_actions, resources=[self._key.key_arn]))

    def _table_arns(self, spec: TableSpec, access: config.Access) -> list[str]:
        arn = self._tables.tables[spec].table_arn
        if access in (config.Access.APPEND, config.Access.APPEND_BATCH):
            return [arn]
        # Indexes by name, not "<table>/index/*": the resource spec knows them all.
        return [arn, *(f"{arn}/index/{index.name}" for index in spec.indexes)]
