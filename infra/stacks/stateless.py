"""Compute and API: layers, functions, the REST API, the training and batch workflows; safe to destroy and redeploy."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import config
from infra.constructs.analytics import LeadAggregatesConstruct
from infra.constructs.api import LeadScoringApiConstruct
from infra.constructs.batch_workflow import BatchWorkflowConstruct
from infra.constructs.cursor_key import CursorKeyConstruct
from infra.constructs.functions import LeadScoringFunctionsConstruct
from infra.constructs.layers import FunctionLayersConstruct
from infra.constructs.reports import AuditReportScheduleConstruct
from infra.constructs.training_workflow import TrainingWorkflowConstruct
from infra.stacks.stateful import StatefulStack
from leadscoring.resources import LEADS


class StatelessStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, data: StatefulStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Buckets are addressed by their fixed names, so say the order out loud rather than rely on exports.
        self.add_stack_dependency(data)
        self.layers = FunctionLayersConstruct(self, "Layers")
        # Here, not with the data: a new key on a new stack only ends the cursors in flight.
        self.cursor_key = CursorKeyConstruct(self, "CursorKey")
        self.functions = LeadScoringFunctionsConstruct(
            self, "Functions", key=data.data_key.key, tables=data.tables, layers=self.layers, cursor_key=self.cursor_key.secret
        )
        self.api = LeadScoringApiConstruct(self, "Api", functions=self.functions.routed, authorizer_function=self.functions.authorizer)
        # The state machine refers to the train function; the starter refers to the state machine: no cycle, as
        # long as the starter is not the train function.
        self.training = TrainingWorkflowConstruct(
            self,
            "TrainingWorkflow",
            train_function=self.functions.functions[config.TRAIN_FUNCTION],
            starters=[self.functions.functions[config.TRAINING_STARTER]],
        )
        # Same shape: the state machine refers to the worker, the batch_score function to the state machine.
        self.batch = BatchWorkflowConstruct(
            self,
            "BatchWorkflow",
            worker=self.functions.functions[config.BATCH_WORKER_FUNCTION],
            starters=[self.functions.functions[config.BATCH_STARTER]],
            key=data.data_key.key,
        )
        self.aggregates = LeadAggregatesConstruct(
            self,
            "Aggregates",
            aggregator=self.functions.functions[config.AGGREGATOR_FUNCTION],
            leads=data.tables.tables[LEADS],
        )
        self.reports = AuditReportScheduleConstruct(self, "AuditReports", monitor=self.functions.functions[config.MONITOR_FUNCTION])
        CfnOutput(self, "ApiEndpoint", value=self.api.endpoint, description="Base URL of the lead scoring API")
        CfnOutput(
            self,
            "TrainingStateMachineArn",
            value=self.training.state_machine.state_machine_arn,
            description="The model training workflow (Step Functions)",
        )
        CfnOutput(
            self,
            "ReportsStateMachineArn",
            value=self.reports.state_machine.state_machine_arn,
            description="The daily audit reports (Step Functions): start it to re-record, e.g. with client_ids",
        )
        CfnOutput(
            self,
            "BatchStateMachineArn",
            value=self.batch.state_machine.state_machine_arn,
            description="Batch file jobs (Step Functions, Distributed Map)",
        )
