"""Domain errors; the API layer maps each to one HTTP status in one place."""

from __future__ import annotations

from typing import Any


def field_errors(errors: list[Any], prefix: str = "") -> list[dict[str, Any]]:
    """pydantic's errors as the API's details: the field as a caller names it, the message, the type."""
    details = []
    for error in errors:
        parts = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(([prefix] if prefix else []) + parts) or prefix or "body"
        details.append({"field": field, "message": error.get("msg", "is not valid"), "type": error.get("type")})
    return details


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"
    retry_after: int | None = None  # seconds, sent as the Retry-After header when set

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(DomainError):
    status = 422
    code = "VALIDATION_ERROR"


class MalformedRequest(DomainError):
    status = 400
    code = "MALFORMED_REQUEST"


class InvalidCursor(MalformedRequest):
    """A `cursor` this API did not issue for this tenant and query (altered, forged, another query's)."""

    code = "INVALID_CURSOR"


class Unauthorized(DomainError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class FeatureExists(Conflict):
    code = "FEATURE_EXISTS"


class VersionExists(Conflict):
    code = "VERSION_EXISTS"


class NoActiveModel(Conflict):
    code = "NO_ACTIVE_MODEL"


class PayloadTooLarge(DomainError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class RequestInProgress(Conflict):
    code = "REQUEST_IN_PROGRESS"


class StorageError(DomainError):
    """A write that failed after retries; the caller may retry the same request safely."""

    status = 503
    code = "STORAGE_UNAVAILABLE"


class TrainingUnavailable(DomainError):
    status = 503
    code = "TRAINING_UNAVAILABLE"


class DependencyTimeout(DomainError):
    """DynamoDB, S3 or another service did not answer in time (or the function's own time ran out waiting for it):
    nothing is wrong with the request, and the same request may be sent again after `retry_after` seconds."""

    status = 503
    code = "DEPENDENCY_TIMEOUT"
    retry_after = 5

    def __init__(self, message: str = "A service this request depends on did not answer in time; retry in a few seconds") -> None:
        super().__init__(message)
