"""Domain errors; the API layer maps each to one HTTP status in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

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


class NoActiveModel(Conflict):
    code = "NO_ACTIVE_MODEL"


class PayloadTooLarge(DomainError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class NotImplementedYet(DomainError):
    status = 501
    code = "NOT_IMPLEMENTED"
