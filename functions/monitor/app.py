"""Lambda entry point for the daily audit reports workflow's steps (list tenants, record one, summarize)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.data.aws import lambda_time_limit
from leadscoring.services.wiring import report_schedule

logger = Logger()


@logger.inject_lambda_context(log_event=True, clear_state=True)  # a step's input holds tenant ids and times, no lead data
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A step whose reads cannot finish in the invocation's time fails with DependencyTimeout (the run lists the
    # tenant as failed) rather than being stopped by Lambda mid-read.
    with lambda_time_limit(context):
        return report_schedule().step(event)
