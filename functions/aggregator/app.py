"""Lambda entry point for the aggregator: the leads table's stream -> analytics aggregates."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.services.wiring import aggregator

logger = Logger()


# log_event stays off: stream images carry PII (email, name, phone).
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return aggregator().handle(event)
