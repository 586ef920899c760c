"""Lambda entry point for the audit function; routes come from leadscoring.routes."""

from leadscoring.api.entrypoint import http_function
from leadscoring.api.routers.audit import router

app, lambda_handler = http_function(router)
