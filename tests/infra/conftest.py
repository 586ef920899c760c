"""Synthesize the CDK app once per session (7-10 s) and share the templates with every infra test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra import config
from infra.app import build_app
from infra.constructs.functions import AUTHORIZER


@dataclass
class Synthesized:
    app: cdk.App
    outdir: Path
    stateful: Template
    stateless: Template
    templates: dict[str, dict[str, Any]]  # every stack's template as synthesized, by stack name

    def resources(self, template: Template, type_: str) -> dict[str, dict[str, Any]]:
        return {logical_id: dict(resource) for logical_id, resource in template.find_resources(type_).items()}

    def function_ids(self) -> dict[str, str]:
        """Function name (folder under functions/) -> logical id, read from POWERTOOLS_SERVICE_NAME."""
        found = {}
        for logical_id, resource in self.resources(self.stateless, "AWS::Lambda::Function").items():
            service = resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
            found[service] = logical_id
        return found

    def function(self, name: str) -> dict[str, Any]:
        return self.resources(self.stateless, "AWS::Lambda::Function")[self.function_ids()[name]]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(str(outdir))  # cdk-nag registered: synth raises if any finding is unacknowledged
    assembly = app.synth()

    def template(stack: str) -> Template:
        return Template.from_json(json.loads(json.dumps(assembly.get_stack_by_name(stack).template)))

    templates = {stack.stack_name: json.loads(json.dumps(stack.template)) for stack in assembly.stacks}
    yield Synthesized(app, outdir, template(config.STATEFUL_STACK), template(config.STATELESS_STACK), templates)
    shutil.rmtree(outdir, ignore_errors=True)  # the staged dependency layer alone is ~180 MB


@pytest.fixture(scope="session")
def function_ids(synthesized: Synthesized) -> dict[str, str]:
    ids = synthesized.function_ids()
    assert AUTHORIZER in ids
    return ids


def state_machine_named(synthesized: Synthesized, prefix: str) -> tuple[str, dict[str, Any]]:
    """The one state machine whose logical id starts with prefix: (logical id, properties)."""
    machines = {
        k: v for k, v in synthesized.resources(synthesized.stateless, "AWS::StepFunctions::StateMachine").items() if k.startswith(prefix)
    }
    assert len(machines) == 1, sorted(machines)
    [(logical_id, resource)] = machines.items()
    return logical_id, resource["Properties"]


def resolved_definition(definition_string: dict[str, Any], token: Any, stand_in: str) -> tuple[list[Any], dict[str, Any]]:
    """A state machine's Fn::Join definition with every token checked to be `token` and replaced by `stand_in`:
    (the tokens, the parsed definition)."""
    separator, parts = definition_string["Fn::Join"]
    assert separator == ""
    tokens = [p for p in parts if not isinstance(p, str)]
    assert tokens == [token] * len(tokens)
    parsed: dict[str, Any] = json.loads("".join(p if isinstance(p, str) else stand_in for p in parts))
    return tokens, parsed


def role_statements(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    """The statements of the one IAM policy attached to the role."""
    policies = [
        p for p in synthesized.resources(synthesized.stateless, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    statements: list[dict[str, Any]] = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    """An IAM Action or Resource, which is a string or a list of them, as a list."""
    return value if isinstance(value, list) else [value]
