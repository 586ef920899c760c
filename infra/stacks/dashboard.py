"""The admin site: CloudFront in front of the dashboard bucket and the REST API, and the site's deployment.

Its own stack, after the other two: redeploying the site touches neither the data nor the functions.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.dashboard import DashboardSiteConstruct
from infra.stacks.stateful import StatefulStack
from infra.stacks.stateless import StatelessStack

DASHBOARD_STACK = "LeadScoringDashboard"


class DashboardStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, data: StatefulStack, compute: StatelessStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The bucket is addressed by its fixed name; its policy is written by the stateful stack.
        self.add_stack_dependency(data)
        self.site = DashboardSiteConstruct(self, "Site", api=compute.api.api)
        CfnOutput(self, "DashboardUrl", value=self.site.url, description="The admin dashboard (and the API under /api/)")
