"""Batch file jobs, the workflow side: score a chunk of rows, finalize the job, record why it failed.

A chunk may run more than once (Step Functions retries it after a timeout or a storage error). Every effect is
keyed so a rerun changes nothing: leads by their identity, decision records by (job, row), the chunk's result
and error files by its first row, and its counts by a marker written in the same transaction as the ADD.
Rows are scored and stored on the one scoring path (services/file_rows.py -> ScoringService.score_valid), which
keeps what a stored lead already has (creation time, conversion state), so running a file again rescores its
leads and resets nothing else.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from leadscoring.data.batch_jobs import ChunkRecord, JobRecord
from leadscoring.domain.batch_files import ERROR_COLUMNS, RESULT_COLUMNS, contiguous_runs, csv_lines, job_folder
from leadscoring.domain.conversions import ConcurrentUpdate
from leadscoring.domain.errors import NotFound, StorageError
from leadscoring.services.file_rows import FileRows, ScoredRows
from leadscoring.services.stores import ChunkFiles, ChunkJobs


class IncompleteJob(RuntimeError):
    """Finalize found rows unaccounted for: a chunk is missing. Fails the job rather than report a partial one."""


class BatchWorker:
    def __init__(self, jobs: ChunkJobs, files: ChunkFiles, rows: FileRows) -> None:
        self._jobs = jobs
        self._files = files
        self._rows = rows

    def score_chunk(self, items: Sequence[Mapping[str, Any]], batch: Mapping[str, Any]) -> dict[str, Any]:
        """One ItemBatcher batch: Items = [{"index": <0-based data row>, "row": {...}}], BatchInput = the job.

        A failing attempt is recorded (then re-raised for Step Functions to retry): if no attempt ever counts
        the chunk, the job reports its rows as `failed`."""
        client_id, job_id = str(batch["client_id"]), str(batch["job_id"])
        try:
            return self._score_chunk(client_id, job_id, items, batch)
        except Exception as exc:
            first_row = min((int(item["index"]) for item in items), default=-1) + 1
            with contextlib.suppress(Exception):  # the original error is the one to report
                self._jobs.mark_chunk_failed(client_id, job_id, first_row, len(items), f"{type(exc).__name__}: {exc}"[:500])
            raise

    def _score_chunk(self, client_id: str, job_id: str, items: Sequence[Mapping[str, Any]], batch: Mapping[str, Any]) -> dict[str, Any]:
        if self._jobs.get(client_id, job_id) is None:
            raise NotFound(f"No batch job {job_id}")
        scored_at = datetime.fromisoformat(str(batch["scored_at"]))
        ordered = sorted(((int(item["index"]), _without_bom(item["row"])) for item in items), key=lambda pair: pair[0])
        indexes = [index for index, _ in ordered]
        if len(set(indexes)) != len(indexes):
            raise ValueError("A chunk repeats a row index")
        scored = ScoredRows()
        for start, stop in contiguous_runs(indexes):
            try:
                part = self._rows.score_rows(
                    client_id,
                    [row for _, row in ordered[start:stop]],
                    first_row=indexes[start] + 1,
                    job_id=job_id,
                    scored_at=scored_at,
                    key_id=batch.get("key_id"),
                )
            except ConcurrentUpdate as exc:  # leads that kept changing: Step Functions retries the chunk
                raise StorageError(exc.message) from exc
            scored.results.extend(part.results)
            scored.errors.extend(part.errors)

        first_row = indexes[0] + 1
        invalid_rows = {error.row for error in scored.errors}
        if len(scored.results) + len(invalid_rows) != len(indexes):
            raise RuntimeError(
                f"Chunk at row {first_row}: {len(scored.results)} scored + {len(invalid_rows)} invalid != {len(indexes)} rows"
            )
        chunk = ChunkRecord(
            first_row=first_row,
            rows=len(indexes),
            scored=len(scored.results),
            invalid=len(invalid_rows),
            results_key=f"{job_folder(job_id)}/chunks/{first_row:010d}-results.csv",
            errors_key=f"{job_folder(job_id)}/chunks/{first_row:010d}-errors.csv" if scored.errors else None,
        )
        results = sorted(scored.results)  # by row; each in RESULT_COLUMNS order
        self._files.write(client_id, chunk.results_key, csv_lines(results), "text/csv")
        if chunk.errors_key:
            errors = sorted(scored.errors, key=lambda e: e.row)
            self._files.write(client_id, chunk.errors_key, csv_lines((e.row, e.field, e.message, e.type) for e in errors), "text/csv")
        counted = self._jobs.count_chunk(client_id, job_id, chunk)
        return {"chunk": {"first_row": first_row, "rows": chunk.rows, "scored": chunk.scored, "invalid": chunk.invalid, "counted": counted}}

    def finalize(self, ref: Mapping[str, Any]) -> dict[str, Any]:
        """Every row accounted for -> one results file and one error file, and the job succeeds."""
        client_id, job_id = str(ref["client_id"]), str(ref["job_id"])
        job = self._job(client_id, job_id)
        if job.status == "succeeded":
            return {"job_id": job_id, "status": job.status}
        chunks = self._jobs.chunks(client_id, job_id)
        expected = 1
        for chunk in chunks:
            if chunk.first_row != expected:
                raise IncompleteJob(f"Rows {expected} to {chunk.first_row - 1} were not processed")
            expected += chunk.rows
        if expected - 1 != job.rows:
            raise IncompleteJob(f"The job counted {job.rows} rows but its chunks hold {expected - 1}")
        folder = job_folder(job_id)
        results = [csv_lines([RESULT_COLUMNS]), *self._files.read_many(client_id, [c.results_key for c in chunks])]
        errors = [csv_lines([ERROR_COLUMNS]), *self._files.read_many(client_id, [c.errors_key for c in chunks if c.errors_key])]
        self._files.write(client_id, f"{folder}/results.csv", b"".join(results), "text/csv")
        self._files.write(client_id, f"{folder}/errors.csv", b"".join(errors), "text/csv")
        self._jobs.succeed(client_id, job_id, datetime.now(UTC), f"{folder}/results.csv", f"{folder}/errors.csv")
        return {"job_id": job_id, "status": "succeeded"}

    def record_failure(self, ref: Mapping[str, Any], error: Mapping[str, Any]) -> dict[str, Any]:
        client_id, job_id = str(ref["client_id"]), str(ref["job_id"])
        self._job(client_id, job_id)
        self._jobs.fail(client_id, job_id, datetime.now(UTC), failure_reason(error), self._jobs.failed_rows(client_id, job_id))
        return {"job_id": job_id, "status": "failed"}

    # -- helpers ---------------------------------------------------------------------------------------
    def _job(self, client_id: str, job_id: str) -> JobRecord:
        job = self._jobs.get(client_id, job_id)
        if job is None:
            raise NotFound(f"No batch job {job_id}")
        return job


def _without_bom(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """A CSV saved with a byte-order mark may give its first column's name with the mark in front; the check
    before the job read the header without it, so every row must too."""
    if "\ufeff" in "".join(row) and any(key.startswith("\ufeff") for key in row):  # one C call for the usual row
        return {key.removeprefix("\ufeff"): value for key, value in row.items()}
    return row


def failure_reason(error: Mapping[str, Any]) -> str:
    """A caught Step Functions error as a person reads it: the worker's message rather than the envelope."""
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause", "")
    message = cause
    if isinstance(cause, str) and cause.startswith("{"):
        try:
            parsed = json.loads(cause)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            message = parsed.get("errorMessage") or parsed.get("Cause") or cause
    return f"{name}: {message or 'no details'}"[:2000]
