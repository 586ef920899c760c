from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    """Every error the API returns: {"error": {"code", "message", "details"}}."""

    error: ErrorInfo
