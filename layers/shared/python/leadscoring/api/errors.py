"""Every error leaves the API as {"error": {"code", "message", "details"}}; mapped here and only here."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from leadscoring.domain.errors import DependencyTimeout, DomainError, field_errors

logger = Logger(child=True)

# What botocore raises, retries spent, when DynamoDB, S3 or Step Functions did not answer: the service's trouble,
# not the request's, so a 503 DEPENDENCY_TIMEOUT (with Retry-After) rather than a 500.
DEPENDENCY_FAILURES: tuple[type[Exception], ...] = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _headers(retry_after: int | None) -> dict[str, str]:
    return {"Content-Type": "application/json", **({"Retry-After": str(retry_after)} if retry_after is not None else {})}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None, retry_after: int | None = None
) -> Response:
    return Response(status_code=status, headers=_headers(retry_after), body=json.dumps(error_body(code, message, details)))


def proxy_json(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A raw API Gateway proxy result, for answers given without the resolver."""
    return {"statusCode": status, "headers": headers or _headers(None), "body": body}


def proxy_error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None, retry_after: int | None = None
) -> dict[str, Any]:
    """The same error as a raw API Gateway proxy result, for checks made before the resolver runs."""
    return proxy_json(status, json.dumps(error_body(code, message, details)), _headers(retry_after))


def known_error(exc: Exception) -> DomainError | None:
    """What an exception means to the caller: a DomainError as raised, a dependency that did not answer as
    DependencyTimeout; None for anything else (a bug)."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DEPENDENCY_FAILURES):
        logger.warning("A dependency did not answer", extra={"error": type(exc).__name__})
        return DependencyTimeout()
    return None


def proxy_error_for(exc: Exception) -> dict[str, Any]:
    """The answer to any exception, as a proxy result (the resolver's handlers below give the same); call it in
    the `except` block, so a bug is logged with its traceback."""
    known = known_error(exc)
    if known is None:
        return proxy_error(*_logged_bug())
    return proxy_error(known.status, known.code, known.message, known.details, known.retry_after)


def _logged_bug() -> tuple[int, str, str]:
    # A 500 is always a bug: log it with the correlation id, tell the caller nothing internal.
    logger.exception("Unhandled error")
    return 500, "INTERNAL_ERROR", "An internal error occurred; it has been logged"


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler([DomainError, *DEPENDENCY_FAILURES])
    def _known(exc: Exception) -> Response:
        known = known_error(exc)
        assert known is not None
        return error_response(known.status, known.code, known.message, known.details, known.retry_after)

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
