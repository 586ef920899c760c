"""Builds a function's resolver and its Lambda handler with Powertools logging, tracing and metrics."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.api.resolver import create_resolver, handle

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

logger = Logger()
tracer = Tracer()
# The environment names the namespace in AWS; the fallback keeps a handler imported early from failing.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "LeadScoring"))


def http_function(*routers: Router) -> tuple[APIGatewayRestResolver, Handler]:
    app = create_resolver(*routers)

    # log_event stays off: request bodies carry PII (email, name, phone).
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle(app, event, context)

    return app, lambda_handler
