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


def proxy_error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The same error as a raw API Gateway proxy result, for checks made before the resolver runs."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(error_body(code, message, details))}


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
        # A 5xx is always a bug: log it with the correlation id, tell the caller nothing internal.
        logger.exception("Unhandled error")
        return error_response(500, "INTERNAL_ERROR", "An internal error occurred; it has been logged")
