"""cdk-nag 3: no unacknowledged finding, and every acknowledgment is targeted and explained."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks

from infra.compliance import acknowledge, acknowledgments, register_nag
from tests.infra.conftest import Synthesized


def _findings(pack: NagPack, scope: cdk.App) -> list[str]:
    report = pack.validate_scope(scope)
    return [f"{v.rule_name} at {[r.construct_path for r in v.violating_resources]}" for v in report.violations]


@pytest.mark.parametrize("pack", [AwsSolutionsChecks, ServerlessChecks], ids=lambda p: p.__name__)
def test_no_unacknowledged_findings(synthesized: Synthesized, pack: type[NagPack]) -> None:
    checks = pack(synthesized.app)
    assert checks.validate_scope(synthesized.app).success, _findings(checks, synthesized.app)


def test_every_acknowledgment_names_a_rule_and_gives_a_reason(synthesized: Synthesized) -> None:
    found = acknowledgments(synthesized.app)
    assert found
    for path, rule_id, reason in found:
        assert rule_id.startswith(("AwsSolutions-", "Serverless-")), (path, rule_id)
        assert len(reason.strip()) >= 40, (path, rule_id, reason)


def test_acknowledgments_are_never_app_or_stack_wide(synthesized: Synthesized) -> None:
    stacks = {child.node.path for child in synthesized.app.node.children if isinstance(child, cdk.Stack)}
    for path, rule_id, _ in acknowledgments(synthesized.app):
        assert path and path not in stacks, (path, rule_id)


def test_an_acknowledgment_needs_a_reason() -> None:
    app = cdk.App()
    with pytest.raises(ValueError, match="reason"):
        acknowledge(app, "AwsSolutions-S1", "  ")


def test_synth_fails_on_an_unacknowledged_finding(tmp_path: object) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Probe")
    sqs.Queue(stack, "Queue")  # AwsSolutions-SQS3/SQS4, Serverless-SQSRedrivePolicy
    register_nag(app)
    with pytest.raises(RuntimeError, match="SQS"):
        app.synth()
