"""Lambda entry point for the config function; routes come from leadscoring.routes."""

from leadscoring.api.entrypoint import http_function
from leadscoring.api.routers.configuration import router
from leadscoring.api.routers.documentation import router as documentation

app, lambda_handler = http_function(router, documentation)
