"""Compute and API: layers, functions and the REST API; safe to destroy and redeploy."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.api import LeadScoringApiConstruct
from infra.constructs.functions import AUTHORIZER, LeadScoringFunctionsConstruct
from infra.constructs.layers import FunctionLayersConstruct
from infra.stacks.stateful import StatefulStack


class StatelessStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, data: StatefulStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Buckets are addressed by their fixed names, so say the order out loud rather than rely on exports.
        self.add_stack_dependency(data)
        self.layers = FunctionLayersConstruct(self, "Layers")
        self.functions = LeadScoringFunctionsConstruct(self, "Functions", key=data.data_key.key, tables=data.tables, layers=self.layers)
        routed = {name: fn for name, fn in self.functions.functions.items() if name != AUTHORIZER}
        self.api = LeadScoringApiConstruct(self, "Api", functions=routed, authorizer_function=self.functions.authorizer)
        CfnOutput(self, "ApiEndpoint", value=self.api.endpoint, description="Base URL of the lead scoring API")
