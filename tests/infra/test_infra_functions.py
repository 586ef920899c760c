"""Functions: one per folder, zip + layers for scoring, a container image for training, least privilege."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import config
from infra.constructs.functions import HANDLER, KEY_READ_ACTIONS, KEY_WRITE_ACTIONS, OBJECT_ACTIONS, TABLE_ACTIONS
from infra.constructs.layers import DependencyLayerMissing, check_dependency_layer
from leadscoring import routes
from leadscoring.resources import BUCKETS, CURSOR_KEY_ENV, CURSOR_KEY_SECRET_ENV, TABLES
from tests.infra.conftest import Synthesized

ZIP_FUNCTIONS = sorted(name for name, settings in config.FUNCTIONS.items() if not settings.container)


def test_one_function_per_deployed_folder(function_ids: dict[str, str]) -> None:
    # The routed functions, the authorizer, the workflows' steps, the stream's aggregator and the daily reports' monitor
    # (no route reaches those).
    unrouted = {"authorizer", "train", "batch_worker", "aggregator", "monitor"}
    assert set(function_ids) == {*routes.FUNCTIONS, *unrouted} == set(config.FUNCTIONS)
    assert set(routes.FUNCTIONS) >= {"score", "batch_score", "models", "config", "analytics", "audit"}
    assert "train" not in routes.FUNCTIONS
    assert config.TRAIN_FUNCTION == "train"
    assert [name for name, settings in config.FUNCTIONS.items() if settings.container] == ["train"]
    assert {folder.name for folder in config.FUNCTIONS_DIR.iterdir() if (folder / "app.py").is_file()} == set(function_ids)


@pytest.mark.parametrize("name", sorted(config.FUNCTIONS))
def test_function_settings(synthesized: Synthesized, name: str) -> None:
    props = synthesized.function(name)["Properties"]
    settings = config.FUNCTIONS[name]
    assert props["MemorySize"] == settings.memory_mb
    assert props["Timeout"] == settings.timeout_seconds
    assert props["Architectures"] == ["x86_64"]  # the dependency layer is built for x86_64
    assert props["TracingConfig"] == {"Mode": "Active"}
    env = props["Environment"]["Variables"]
    assert set(env) >= {spec.env for spec in TABLES} | {spec.env for spec in BUCKETS}
    assert env["POWERTOOLS_SERVICE_NAME"] == name  # the service in its logs and metrics, as the local gateway sets it
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "LeadScoring"
    assert env["LOG_LEVEL"] == "INFO"
    # Its own log group, with a retention period.
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synthesized.resources(synthesized.stateless, "AWS::Logs::LogGroup")[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] > 0


def test_score_function_memory(synthesized: Synthesized) -> None:
    assert synthesized.function("score")["Properties"]["MemorySize"] == 1024


def _layer_ids(synthesized: Synthesized) -> dict[str, str]:
    layers = synthesized.resources(synthesized.stateless, "AWS::Lambda::LayerVersion")
    return {("shared" if "Shared" in logical_id else "deps"): logical_id for logical_id in layers}


@pytest.mark.parametrize("name", ZIP_FUNCTIONS)
def test_zip_functions_run_on_the_shared_and_dependency_layers(synthesized: Synthesized, name: str) -> None:
    props = synthesized.function(name)["Properties"]
    layers = _layer_ids(synthesized)
    assert props["Runtime"] == f"python{config.LAMBDA_PYTHON}"
    assert props["Handler"] == HANDLER
    assert props["Layers"] == [{"Ref": layers["deps"]}, {"Ref": layers["shared"]}]


def test_layers_target_the_function_runtime(synthesized: Synthesized) -> None:
    for layer in synthesized.resources(synthesized.stateless, "AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleRuntimes"] == [f"python{config.LAMBDA_PYTHON}"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]


def test_train_is_a_container_image(synthesized: Synthesized) -> None:
    props = synthesized.function("train")["Properties"]
    assert props["PackageType"] == "Image"
    assert "ImageUri" in props["Code"]
    assert "Runtime" not in props
    assert "Layers" not in props


def test_dependency_layer_has_no_training_libraries() -> None:
    site = config.DEPS_LAYER_DIR / "python"
    assert site.is_dir(), "run `make layer`"
    assert not (site / "sklearn").exists()
    assert not (site / "scipy").exists()
    assert (site / "onnxruntime").is_dir()
    check_dependency_layer()  # built for the runtime's Python


def test_zip_function_fits_lambdas_unzipped_size_limit() -> None:
    # Function code + all layers, unzipped, must stay under 250 MB (262,144,000 bytes).
    folders = [config.DEPS_LAYER_DIR / "python", config.SHARED_LAYER_DIR, config.FUNCTIONS_DIR / "score"]
    size = sum(p.stat().st_size for folder in folders for p in folder.rglob("*") if p.is_file())
    assert size < 230_000_000, f"{size / 1e6:.0f} MB leaves no headroom under the 250 MB limit"


def test_dependency_layer_check_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(DependencyLayerMissing, match="make layer"):
        check_dependency_layer(tmp_path / "deps")
    other = tmp_path / "deps" / "python" / "pydantic_core"
    other.mkdir(parents=True)
    (other / "_pydantic_core.cpython-39-x86_64-linux-gnu.so").touch()
    with pytest.raises(DependencyLayerMissing, match="cpython-39"):
        check_dependency_layer(tmp_path / "deps")


def test_makefile_builds_the_layer_for_the_lambda_runtime() -> None:
    makefile = (config.ROOT / "Makefile").read_text()
    found = re.search(r"^LAMBDA_PYTHON := (\S+)$", makefile, re.MULTILINE)
    assert found and found.group(1) == config.LAMBDA_PYTHON


def test_training_image_dockerfile() -> None:
    dockerfile = (config.ROOT / config.TRAIN_DOCKERFILE).read_text()
    assert f"ARG PYTHON_VERSION={config.LAMBDA_PYTHON}" in dockerfile
    assert "FROM public.ecr.aws/lambda/python:${PYTHON_VERSION}" in dockerfile
    assert "COPY layers/shared/python/leadscoring ${LAMBDA_TASK_ROOT}/leadscoring" in dockerfile
    assert 'CMD ["app.lambda_handler"]' in dockerfile
    requirements = (config.ROOT / "functions" / "train" / "requirements.txt").read_text().split()
    assert {"scikit-learn==1.9.1", "skl2onnx==1.20.0", "onnx==1.23.2", "../../layers/deps/requirements.txt"} <= set(requirements)


def test_training_build_context_is_staged_small(synthesized: Synthesized) -> None:
    staged = [p.parent.parent.parent for p in synthesized.outdir.glob("asset.*/functions/train/Dockerfile")]
    assert len(staged) == 1
    context = staged[0]
    assert sorted(p.name for p in context.iterdir()) == ["functions", "layers"]
    assert sorted(p.name for p in (context / "layers").iterdir()) == ["deps", "shared"]
    assert [p.name for p in (context / "layers" / "deps").iterdir()] == ["requirements.txt"]
    assert (context / "layers" / "shared" / "python" / "leadscoring" / "routes.py").is_file()
    assert not list(context.rglob("__pycache__"))
    size = sum(p.stat().st_size for p in context.rglob("*") if p.is_file())
    assert size < 5_000_000


# Least privilege ---------------------------------------------------------------------------------------------


STREAM_READ_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
# ListStreams takes no resource; only the function with a stream event source gets it.
_STREAM_LISTING = {config.AGGREGATOR_FUNCTION: {"dynamodb:ListStreams"}}


def _statements(synthesized: Synthesized, name: str) -> list[dict[str, Any]]:
    role_id = synthesized.function(name)["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [
        p for p in synthesized.resources(synthesized.stateless, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    statements: list[dict[str, Any]] = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


@pytest.mark.parametrize("name", sorted(config.FUNCTIONS))
def test_roles_have_no_managed_policies(synthesized: Synthesized, name: str) -> None:
    role_id = synthesized.function(name)["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synthesized.resources(synthesized.stateless, "AWS::IAM::Role")[role_id]
    assert "ManagedPolicyArns" not in role["Properties"]


@pytest.mark.parametrize("name", sorted(config.FUNCTIONS))
def test_function_gets_exactly_its_configured_access(synthesized: Synthesized, name: str) -> None:
    settings = config.FUNCTIONS[name]
    tables: dict[str, set[str]] = {}
    buckets: dict[str, set[str]] = {}
    key_actions: set[str] = set()
    secret_actions: set[str] = set()
    for statement in _statements(synthesized, name):
        assert statement["Effect"] == "Allow"
        actions = _actions(statement)
        assert not any(a.endswith("*") for a in actions), actions  # no wildcard actions at all
        if statement["Resource"] == "*":
            assert actions - _STREAM_LISTING.get(name, set()) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        elif actions & STREAM_READ_ACTIONS or any(a.startswith("sqs:") for a in actions):
            # The stream event source's own grants (tests/infra/test_infra_analytics.py checks them).
            assert name == config.AGGREGATOR_FUNCTION, (name, actions)
        elif any(a.startswith("dynamodb:") for a in actions):
            # minimizePolicies merges statements with equal actions, so attribute each resource on its own
            for resource in _resources(statement):
                owners = [spec.logical_id for spec in TABLES if f"Tables{spec.logical_id}" in json.dumps(resource)]
                assert len(owners) == 1, resource
                tables.setdefault(owners[0], set()).update(actions)
        elif actions == {"s3:ListBucket"}:
            continue
        elif any(a.startswith("s3:") for a in actions):
            for resource in _resources(statement):
                owners = [spec.logical_id for spec in BUCKETS if config.BUCKET_NAMES[spec.logical_id].split("{")[0] in json.dumps(resource)]
                assert len(owners) == 1, resource
                buckets.setdefault(owners[0], set()).update(actions)
        elif any(a.startswith("kms:") for a in actions):
            key_actions |= actions
        elif any(a.startswith("secretsmanager:") for a in actions):
            assert _resources(statement) == [{"Ref": _cursor_key_id(synthesized)}], statement  # that secret only
            secret_actions |= actions
        elif any(a.startswith("states:") for a in actions):
            # Only the workflows' starters, and only StartExecution (the workflow tests check the resources).
            assert name in (config.TRAINING_STARTER, config.BATCH_STARTER)
            assert actions == {"states:StartExecution"}
        else:
            assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
            assert all("Fn::GetAtt" in r for r in _resources(statement))  # its own log group only
    assert tables == {spec.logical_id: set(TABLE_ACTIONS[access]) for spec, access in settings.tables.items()}
    assert buckets == {spec.logical_id: set(OBJECT_ACTIONS[access]) for spec, access in settings.buckets.items()}
    writes = any(a != config.Access.READ for a in [*settings.tables.values(), *settings.buckets.values()])
    assert key_actions == set(KEY_WRITE_ACTIONS if writes else KEY_READ_ACTIONS)
    assert secret_actions == ({"secretsmanager:GetSecretValue"} if name in config.CURSOR_KEY_READERS else set())


def _cursor_key_id(synthesized: Synthesized) -> str:
    [secret_id] = synthesized.resources(synthesized.stateless, "AWS::SecretsManager::Secret")
    return secret_id


def test_the_cursor_key_is_generated_and_only_the_paged_routes_functions_read_it(synthesized: Synthesized) -> None:
    """Every function is told where the key is (Settings checks it at cold start); the functions of GET /leads and
    GET /audit/events read it (the access test above checks no other function may)."""
    secret_id = _cursor_key_id(synthesized)
    secret = synthesized.resources(synthesized.stateless, "AWS::SecretsManager::Secret")[secret_id]["Properties"]
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32 and "SecretString" not in secret  # no key in the template
    assert config.CURSOR_KEY_READERS == {routes.LIST_LEADS.function, routes.LIST_AUDIT_EVENTS.function} == {"score", "audit"}
    for name in config.FUNCTIONS:
        env = synthesized.function(name)["Properties"]["Environment"]["Variables"]
        assert env[CURSOR_KEY_SECRET_ENV] == {"Ref": secret_id}, name
        assert CURSOR_KEY_ENV not in env, name


def test_access_matrix() -> None:
    """The brief's grants, spelled out once more so a change to infra/config.py is a visible decision."""
    a = config.Access
    expected = {
        "score": (
            {"LeadsTable": a.READ_WRITE, "AuditTable": a.READ_APPEND, "RegistryTable": a.READ, "IdempotencyTable": a.READ_WRITE},
            {"ModelsBucket": a.READ},
        ),
        "authorizer": ({"ApiKeysTable": a.READ}, {}),
        "models": ({"RegistryTable": a.READ_WRITE, "AuditTable": a.APPEND}, {"ModelsBucket": a.READ_WRITE, "BatchBucket": a.READ}),
        "config": ({"RegistryTable": a.READ_WRITE, "AuditTable": a.APPEND}, {"ModelsBucket": a.READ_WRITE}),
        "audit": ({"AuditTable": a.READ, "LeadsTable": a.READ, "RegistryTable": a.READ}, {"ModelsBucket": a.READ}),
        "analytics": ({"AggregatesTable": a.READ, "RegistryTable": a.READ}, {}),
        "aggregator": ({"AggregatesTable": a.COUNT}, {}),
        "monitor": ({"RegistryTable": a.READ, "LeadsTable": a.READ, "AuditTable": a.APPEND}, {"ModelsBucket": a.READ}),
        "batch_score": (
            {"LeadsTable": a.READ_WRITE, "AuditTable": a.APPEND_BATCH, "RegistryTable": a.READ_WRITE},
            {"ModelsBucket": a.READ, "BatchBucket": a.READ_WRITE},
        ),
        "batch_worker": (
            {"LeadsTable": a.READ_WRITE, "AuditTable": a.APPEND_BATCH, "RegistryTable": a.READ_WRITE},
            {"ModelsBucket": a.READ, "BatchBucket": a.READ_WRITE},
        ),
        "train": (
            {"RegistryTable": a.READ_WRITE, "LeadsTable": a.READ, "AuditTable": a.APPEND},
            {"ModelsBucket": a.READ_WRITE, "BatchBucket": a.READ_WRITE},
        ),
    }
    actual = {
        name: ({t.logical_id: x for t, x in s.tables.items()}, {b.logical_id: x for b, x in s.buckets.items()})
        for name, s in config.FUNCTIONS.items()
    }
    assert actual == expected


def test_audit_trail_is_append_only() -> None:
    assert TABLE_ACTIONS[config.Access.APPEND] == ["dynamodb:PutItem"]


def test_the_audit_reports_run_daily_on_their_workflow(synthesized: Synthesized, function_ids: dict[str, str]) -> None:
    from leadscoring.workflows.reports import reports_definition

    rules = synthesized.resources(synthesized.stateless, "AWS::Events::Rule")
    [rule] = [r["Properties"] for r in rules.values() if "ScheduleExpression" in r["Properties"]]
    assert rule["ScheduleExpression"] == f"cron(0 {config.MONITOR_SCHEDULE_HOUR_UTC} * * ? *)"
    [target] = rule["Targets"]
    machines = synthesized.resources(synthesized.stateless, "AWS::StepFunctions::StateMachine")
    [(machine_id, machine)] = [(k, v) for k, v in machines.items() if k.startswith("AuditReports")]
    assert target["Arn"] == {"Ref": machine_id}
    # The run gets the scheduled time (the event's `time`), which the events' ids are made of.
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"time": "$.time"}
    assert json.loads(transformer["InputTemplate"].replace("<time>", '"T"')) == {"time": "T"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1 and "Arn" in target["DeadLetterConfig"]
    # The deployed definition is the one the local stack runs, with the monitor function's ARN in it.
    body = machine["Properties"]["DefinitionString"]
    text = json.dumps(body)
    assert function_ids[config.MONITOR_FUNCTION] in text
    expected = json.dumps(reports_definition("MONITOR_ARN"))
    parts = body["Fn::Join"][1]
    rendered = "".join(p if isinstance(p, str) else "MONITOR_ARN" for p in parts)
    assert json.loads(rendered) == json.loads(expected)
