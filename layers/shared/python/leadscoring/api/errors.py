"""Every error leaves the API as {"error": {"code", "message", "details"}}; mapped here and only here."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from leadscoring.domain.errors import DomainError, field_errors

logger = Logger(child=True)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(error_body(code, message, details)))


def proxy_json(status: int, body: str) -> dict[str, Any]:
    """A raw API Gateway proxy result, for answers given without the resolver."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}


def proxy_error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The same error as a raw API Gateway proxy result, for checks made before the resolver runs."""
    return proxy_json(status, json.dumps(error_body(code, message, details)))


def internal_error() -> dict[str, Any]:
    """The resolver's answer to an unhandled exception, as a proxy result; call it in the `except` block."""
    return proxy_error(*_logged_bug())


def _logged_bug() -> tuple[int, str, str]:
    # A 5xx is always a bug: log it with the correlation id, tell the caller nothing internal.
    logger.exception("Unhandled error")
    return 500, "INTERNAL_ERROR", "An internal error occurred; it has been logged"


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(
                400,
                "MALFORMED_REQUEST",
                "The request body is not valid JSON",
                [{"field": "body", "message": "not valid JSON", "type": "json_invalid"}],
            )
        return error_response(422, "VALIDATION_ERROR", "The request is not valid", field_errors(errors))

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response:
        return error_response(404, "NOT_FOUND", "No such endpoint")

    @app.exception_handler(Exception)
    def _bug(exc: Exception) -> Response:
        return error_response(*_logged_bug())
