"""Synchronous batches: each item gets its own result or its own errors; valid items are scored regardless."""

from __future__ import annotations

from typing import Any

from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import InvalidInput, StorageError
from leadscoring.schemas.batch import BatchItemResult, BatchScoreResponse, BatchSummary
from leadscoring.schemas.errors import ErrorInfo
from leadscoring.services.scoring import ScoringService

# Scored and stored together; a storage failure affects one chunk, never the whole batch.
CHUNK = 50


class BatchScoring:
    def __init__(self, scoring: ScoringService) -> None:
        self._scoring = scoring

    def score_batch(self, principal: Principal, items: list[dict[str, Any]]) -> BatchScoreResponse:
        results: dict[int, BatchItemResult] = {}
        intake = self._scoring.intake(principal.client_id, items)
        for index, details in intake.refused.items():
            where = f"leads.{index}"
            results[index] = _invalid(index, [{**d, "field": f"{where}.{d['field']}" if d["field"] else where} for d in details])
        for index, first in intake.repeats.items():
            message = f"the same lead as item {first} (same external_id or email)"
            results[index] = _invalid(index, [{"field": f"leads.{index}", "message": message, "type": "duplicate_in_batch"}])
        valid = intake.accepted

        for start in range(0, len(valid), CHUNK):
            chunk = valid[start : start + CHUNK]
            try:
                leads = self._scoring.score_valid(principal, [lead_input for _, lead_input in chunk])
            except StorageError as exc:
                for index, _ in chunk:
                    error = ErrorInfo(code=exc.code, message=f"{exc.message}; retrying the same item is safe")
                    results[index] = BatchItemResult(index=index, status="failed", error=error)
                continue
            for (index, _), lead in zip(chunk, leads, strict=True):
                results[index] = BatchItemResult(index=index, status="scored", lead=lead)

        ordered = [results[i] for i in range(len(items))]
        summary = BatchSummary(
            received=len(items),
            scored=sum(r.status == "scored" for r in ordered),
            invalid=sum(r.status == "invalid" for r in ordered),
            failed=sum(r.status == "failed" for r in ordered),
        )
        return BatchScoreResponse(results=ordered, summary=summary)


def _invalid(index: int, details: list[dict[str, Any]]) -> BatchItemResult:
    error = ErrorInfo(code=InvalidInput.code, message="The lead is not valid", details=details)  # type: ignore[arg-type]  # dicts validate into ErrorDetail
    return BatchItemResult(index=index, status="invalid", error=error)
