"""Lambda entry point for the batch_score function; routes come from leadscoring.routes."""

from leadscoring.api.entrypoint import http_function
from leadscoring.api.routers.batch import router

app, lambda_handler = http_function(router)
