"""Lambda entry point for the REST API's request authorizer."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.api.authorizer import authorize_request
from leadscoring.domain.errors import Unauthorized
from leadscoring.services.wiring import api_key_repository

logger = Logger()


@logger.inject_lambda_context(log_event=False, clear_state=True)  # the event carries the API key
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return authorize_request(event, api_key_repository())
    except Unauthorized as exc:
        logger.info("Request refused", extra={"reason": exc.message})
        # API Gateway turns exactly this message into a 401.
        raise Exception("Unauthorized") from exc
