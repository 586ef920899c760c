"""Lambda entry point for the score function; routes come from leadscoring.routes."""

from leadscoring.api.entrypoint import http_function
from leadscoring.api.routers.conversions import router as conversions
from leadscoring.api.routers.leads import SCORE_DIRECT
from leadscoring.api.routers.leads import router as leads

app, lambda_handler = http_function(leads, conversions, direct=(SCORE_DIRECT,))
