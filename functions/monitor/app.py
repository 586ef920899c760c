"""Lambda entry point for the daily audit reports (an EventBridge schedule): every tenant's reports on the record."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.services.report_schedule import scheduled_time
from leadscoring.services.wiring import report_schedule

logger = Logger()


@logger.inject_lambda_context(log_event=True, clear_state=True)  # a scheduled event holds no lead data
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The scheduled time, the same on every retry of this run: it makes the events' ids.
    return report_schedule().run(scheduled_time(event))
