"""cdk-nag 3 registration and acknowledgments.

cdk-nag 3 is a policy-validation plugin (not an Aspect): the packs run when the app synthesizes and any
unacknowledged finding, warning or error, fails the synth. An acknowledgment applies to the construct it is
recorded on and everything below it, and must name the exact finding (e.g. ``AwsSolutions-IAM5[Resource::*]``).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks
from constructs import IConstruct


def nag_packs(app: App) -> list[NagPack]:
    return [AwsSolutionsChecks(app), ServerlessChecks(app)]


def register_nag(app: App) -> None:
    Validations.of(app).add_plugins(*nag_packs(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one finding on scope and its children; the reason is the evidence a reviewer reads."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledgments(scope: IConstruct) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) for every acknowledgment recorded under scope."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found = []
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key and entry.data:
                for rule_id, reason in dict(entry.data).items():
                    # aws-cdk-lib records IDs without a known prefix as "Annotation::<id>"
                    found.append((construct.node.path, rule_id.removeprefix("Annotation::"), reason))
    return found
