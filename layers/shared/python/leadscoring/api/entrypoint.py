"""Builds a function's resolver and its Lambda handler with Powertools logging, tracing and metrics."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.api.direct import DirectRoute, DirectRoutes
from leadscoring.api.resolver import create_resolver, handle

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

# Building a Tracer imports the X-Ray SDK (0.15 s of cold start) even when tracing is off, so it is built only
# when Powertools' own rule says tracing is on (in Lambda, POWERTOOLS_TRACE_DISABLED not set).
tracer = None if Tracer._is_tracer_disabled() else Tracer()


def http_function(*routers: Router, direct: tuple[DirectRoute, ...] = ()) -> tuple[APIGatewayRestResolver, Handler]:
    """`direct`: routes a valid request reaches without the resolver (api/direct.py); each is also a router's route."""
    app = create_resolver(*routers)
    direct_routes = DirectRoutes(direct)
    # Built per function, not per module: the local gateway runs every function in one process, each imported
    # with its own POWERTOOLS_SERVICE_NAME (as CDK sets it), so each logs and publishes as its own service.
    logger = Logger()
    # The environment names the namespace in AWS; the fallback keeps a handler imported early from failing.
    metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "LeadScoring"))

    def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return handle(app, direct_routes, event, context)
        finally:
            # Only requests that record metrics (scoring) publish: Powertools' log_metrics would warn on every
            # other request that it had nothing to publish. flush_metrics is its manual flush, used as documented.
            if metrics.metric_set:
                metrics.flush_metrics()

    # Outermost first: logging context, tracing (when on), metrics. log_event stays off: bodies carry PII.
    handler: Handler = resolve
    if tracer is not None:
        handler = tracer.capture_lambda_handler(handler, capture_response=False)
    lambda_handler: Handler = logger.inject_lambda_context(
        handler, correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
    )
    # Everything built so far (modules, schemas, routes) lives as long as the container: frozen out of the
    # garbage collector's reach, warm requests stop paying to re-scan it (about 10% of a warm POST /score).
    gc.freeze()
    return app, lambda_handler
