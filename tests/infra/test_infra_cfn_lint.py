"""cfn-lint over every synthesized template: resource properties against CloudFormation's resource schemas and
the state machines' definitions against the Amazon States Language. Errors fail, and so do warnings but those
IGNORED below, each with its reason."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs

from infra import config
from infra.stacks.dashboard import DASHBOARD_STACK
from tests.infra.conftest import Synthesized

# The stacks are environment-agnostic; cfn-lint checks them against its primary region.
REGIONS = ["us-east-1"]
STACKS = [config.STATEFUL_STACK, config.STATELESS_STACK, DASHBOARD_STACK]
STAND_IN_ACCOUNT = "123456789012"

# (rule, the matches it is ignored for, why): nothing is ignored wholesale.
IGNORED: list[tuple[str, re.Pattern[str], str]] = [
    (
        "W3005",
        re.compile(r"dependency already enforced by a 'GetAtt' at 'Resources/\w+/Properties/(Role|RoleArn)'"),
        "CDK makes a function or state machine DependsOn its role (and the role's default policy, so the policy "
        "exists before it runs) beside the GetAtt of that role: the role's entry is redundant, harmless and generated.",
    ),
]


def _stand_in(token: dict[str, Any], template: dict[str, Any]) -> str:
    """A literal for a token in a state machine definition; a new kind of token fails here, to be given one."""
    if set(token) == {"Fn::GetAtt"} and token["Fn::GetAtt"][1] == "Arn":
        logical_id = token["Fn::GetAtt"][0]
        if template["Resources"][logical_id]["Type"] == "AWS::Lambda::Function":
            return f"arn:aws:lambda:{REGIONS[0]}:{STAND_IN_ACCOUNT}:function:{logical_id}"
    raise AssertionError(f"no stand-in for {token} in a state machine definition")


def with_literal_definitions(template: dict[str, Any]) -> dict[str, Any]:
    """The template with each state machine's Fn::Join definition made a literal string (its tokens stood in for):
    cfn-lint validates a definition only when it is literal, and CDK joins in the functions' ARNs."""
    template = copy.deepcopy(template)
    for resource in template.get("Resources", {}).values():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        definition = resource["Properties"].get("DefinitionString")
        if isinstance(definition, dict) and "Fn::Join" in definition:
            separator, parts = definition["Fn::Join"]
            resource["Properties"]["DefinitionString"] = separator.join(p if isinstance(p, str) else _stand_in(p, template) for p in parts)
    return template


def findings(template: dict[str, Any]) -> list[str]:
    """Every error and warning cfn-lint reports but the IGNORED ones."""
    found = []
    for match in lint(json.dumps(template), config=ManualArgs(regions=REGIONS)):
        if any(match.rule.id == rule and pattern.search(match.message) for rule, pattern, _ in IGNORED):
            continue
        path = "/".join(str(p) for p in getattr(match, "path", None) or [])
        found.append(f"{match.rule.id} ({match.rule.severity}) {match.message} at {path}")
    return found


def test_every_stack_is_linted(synthesized: Synthesized) -> None:
    assert sorted(synthesized.templates) == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_finds_nothing(synthesized: Synthesized, stack: str) -> None:
    assert findings(with_literal_definitions(synthesized.templates[stack])) == []


def test_every_state_machine_definition_is_linted_as_a_literal(synthesized: Synthesized) -> None:
    template = with_literal_definitions(synthesized.templates[config.STATELESS_STACK])
    machines = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) == 3 and all(isinstance(m["Properties"]["DefinitionString"], str) for m in machines)
    # The check is real: a state of an unknown type in a definition is an error (E3601).
    broken = copy.deepcopy(template)
    machine = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    definition = json.loads(machine["Properties"]["DefinitionString"])
    definition["States"][definition["StartAt"]]["Type"] = "Tusk"
    machine["Properties"]["DefinitionString"] = json.dumps(definition)
    assert any(f.startswith("E3601") for f in findings(broken))


def test_a_property_cloudformation_refuses_is_an_error() -> None:
    bad = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "soon"}}}}
    assert any(f.startswith("E") for f in findings(bad))
