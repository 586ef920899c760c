from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from leadscoring.schemas.base import InputModel, StoredModel
from leadscoring.schemas.errors import ErrorInfo
from leadscoring.schemas.lead import Lead

MAX_SYNC_BATCH = 1000


class BatchScoreRequest(InputModel):
    """Up to 1,000 leads scored synchronously; each is validated on its own (see the per-item results)."""

    leads: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_SYNC_BATCH)] | None = None
    s3_key: str | None = Field(default=None, description="A CSV/JSONL file job (not implemented yet: answers 501)")


class BatchItemResult(StoredModel):
    index: int
    status: Literal["scored", "invalid", "failed"]
    lead: Lead | None = None
    error: ErrorInfo | None = None


class BatchSummary(StoredModel):
    received: int
    scored: int
    invalid: int
    failed: int


class BatchScoreResponse(StoredModel):
    results: list[BatchItemResult]
    summary: BatchSummary
