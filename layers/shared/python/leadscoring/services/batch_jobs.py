"""Batch file jobs, the API side: check a file cheaply, create the job, start its workflow once, report on it.

Everything a caller can get wrong (missing file, wrong format, missing column, too large, a key outside their
folder) is refused before anything is created. Starting is a conditional pending -> running update on the job
record, so two starts cannot both start an execution; the execution is named after the job as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from leadscoring import API_PREFIX
from leadscoring.data.batch_files import BatchFiles
from leadscoring.data.batch_jobs import BatchJobRepository, JobRecord
from leadscoring.data.workflows import WorkflowStarter
from leadscoring.domain.auth import Principal
from leadscoring.domain.batch_files import EXTENSIONS, MAX_FILE_BYTES, SAMPLE_BYTES, estimate_rows, file_columns, job_folder, relative_key
from leadscoring.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PayloadTooLarge
from leadscoring.schemas.batch import BatchFile, BatchJob, BatchJobCounts, BatchUpload, UploadTarget

URL_SECONDS = 3600
ColumnCheck = Callable[[str, Sequence[str]], list[dict[str, str]]]


class BatchUnavailable(DomainError):
    status = 503
    code = "BATCH_UNAVAILABLE"


class BatchJobs:
    def __init__(self, jobs: BatchJobRepository, files: BatchFiles, starter: WorkflowStarter | None, check_columns: ColumnCheck) -> None:
        self._jobs = jobs
        self._files = files
        self._starter = starter
        self._check_columns = check_columns

    def create_from_file(self, principal: Principal, request: BatchFile) -> BatchJob:
        key = relative_key(request.key)
        self._require_workflow()
        size, estimate = self._check_file(principal.client_id, key, request.format, field="file.key")
        job = self._new_job(principal, request.format, key)
        self._jobs.create(principal.client_id, job)
        return self._start(principal.client_id, job, size, estimate)

    def create_upload(self, principal: Principal, request: BatchUpload) -> BatchJob:
        self._require_workflow()
        job_id = _new_job_id()
        job = self._new_job(principal, request.format, f"{job_folder(job_id)}/input.{EXTENSIONS[request.format]}", job_id)
        self._jobs.create(principal.client_id, job)
        view = self.view(principal.client_id, job)
        expires = datetime.now(UTC) + timedelta(seconds=URL_SECONDS)
        upload = UploadTarget(url=self._files.upload_url(principal.client_id, job.file_key, URL_SECONDS), expires_at=expires)
        return view.model_copy(update={"upload": upload})

    def start(self, principal: Principal, job_id: str) -> BatchJob:
        job = self._get(principal.client_id, job_id)
        if job.status != "pending":
            raise Conflict(
                f"Job {job_id} has already been started (status {job.status})",
                [{"field": "job_id", "message": job.status, "type": "conflict"}],
            )
        self._require_workflow()
        size, estimate = self._check_file(principal.client_id, job.file_key, job.format, field="file")
        return self._start(principal.client_id, job, size, estimate)

    def status(self, client_id: str, job_id: str) -> BatchJob:
        return self.view(client_id, self._get(client_id, job_id))

    def view(self, client_id: str, job: JobRecord) -> BatchJob:
        counts = BatchJobCounts(rows=job.rows, scored=job.scored, invalid=job.invalid, failed=job.failed)
        if job.status == "succeeded":
            progress = 1.0
        elif job.estimated_rows:
            progress = min(0.99, job.rows / job.estimated_rows)  # an estimate: never claims done before Finalize
        else:
            progress = 0.0
        links = {"self": f"{API_PREFIX}/batch-score/{job.job_id}"}
        if job.status == "pending":
            links["start"] = f"{API_PREFIX}/batch-score/{job.job_id}/start"
        results_url = errors_url = None
        if job.status == "succeeded" and job.results_key and job.errors_key:
            results_url = self._files.download_url(client_id, job.results_key, URL_SECONDS, f"{job.job_id}-results.csv")
            errors_url = self._files.download_url(client_id, job.errors_key, URL_SECONDS, f"{job.job_id}-errors.csv")
        return BatchJob(
            job_id=job.job_id,
            status=job.status,
            format=job.format,
            file_key=job.file_key,
            created_at=job.created_at,
            created_by=job.created_by,
            started_at=job.started_at,
            finished_at=job.finished_at,
            counts=counts,
            progress=round(progress, 4),
            failure_reason=job.failure_reason,
            size_bytes=job.size_bytes,
            results_url=results_url,
            errors_url=errors_url,
            links=links,
        )

    # -- helpers ---------------------------------------------------------------------------------------
    def _start(self, client_id: str, job: JobRecord, size: int, estimate: int) -> BatchJob:
        assert self._starter is not None  # checked by _require_workflow
        started_at = datetime.now(UTC)
        if not self._jobs.claim_start(client_id, job.job_id, started_at, size, estimate):
            raise Conflict(
                f"Job {job.job_id} has already been started", [{"field": "job_id", "message": "already started", "type": "conflict"}]
            )
        payload = {
            "job": {
                "client_id": client_id,
                "job_id": job.job_id,
                "bucket": self._files.bucket,
                "key": self._files.key(client_id, job.file_key),
                "format": job.format,
                "scored_at": started_at.isoformat(),
                "key_id": job.created_by,
            }
        }
        try:
            execution = self._starter.start(job.job_id, payload)
        except Exception:
            self._jobs.release_start(client_id, job.job_id)  # the caller may start it again
            raise
        self._jobs.set_execution(client_id, job.job_id, execution)
        return self.status(client_id, job.job_id)

    def _check_file(self, client_id: str, key: str, file_format: str, field: str) -> tuple[int, int]:
        """(size, estimated rows) of a file fit to score; 404/413/422 otherwise. Reads at most SAMPLE_BYTES."""
        size = self._files.size(client_id, key)
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 2**20
            raise PayloadTooLarge(
                f"The file is over {limit} MiB; split it", [{"field": field, "message": f"over {limit} MiB", "type": "too_large"}]
            )
        if size == 0:
            raise InvalidInput("The file is empty", [{"field": field, "message": "empty file", "type": "file_format"}])
        sample = self._files.head_bytes(client_id, key, min(size, SAMPLE_BYTES))
        truncated = size > len(sample)
        columns = file_columns(sample, file_format, truncated)
        problems = self._check_columns(client_id, columns)
        if problems:
            names = ", ".join(str(p.get("field")) for p in problems)
            raise InvalidInput(f"The file's columns are not usable: {names}", [dict(p) for p in problems])
        return size, estimate_rows(sample, size, file_format, truncated)

    def _get(self, client_id: str, job_id: str) -> JobRecord:
        job = self._jobs.get(client_id, job_id)
        if job is None:
            raise NotFound(f"No batch job {job_id}")
        return job

    def _require_workflow(self) -> None:
        if self._starter is None:
            raise BatchUnavailable("Batch file jobs are not configured here (no batch workflow)")

    @staticmethod
    def _new_job(principal: Principal, file_format: str, key: str, job_id: str | None = None) -> JobRecord:
        return JobRecord(
            job_id=job_id or _new_job_id(),
            status="pending",
            format=file_format,  # type: ignore[arg-type]  # a BatchFileFormat from the request schema
            file_key=key,
            created_at=datetime.now(UTC),
            created_by=principal.key_id,
        )


def _new_job_id() -> str:
    return uuid.uuid4().hex
