from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from leadscoring.schemas.base import InputModel, StoredModel
from leadscoring.schemas.errors import ErrorInfo
from leadscoring.schemas.lead import Lead

MAX_SYNC_BATCH = 1000


BatchFileFormat = Literal["csv", "jsonl"]
JobStatus = Literal["pending", "running", "succeeded", "failed"]


class BatchFile(InputModel):
    """A file already in your folder of the batch bucket."""

    key: str = Field(min_length=1, max_length=900, description="Key relative to your folder, e.g. imports/leads.csv")
    format: BatchFileFormat


class BatchUpload(InputModel):
    """Ask for an upload target; PUT the file there, then POST /batch-score/{job_id}/start."""

    format: BatchFileFormat


class BatchScoreRequest(InputModel):
    """Exactly one of: `leads` (up to 1,000, scored synchronously, each validated on its own), `file` (a CSV/JSONL
    file in your folder: a job starts, 202) or `upload` (a job waiting for its file: 201 with an upload URL)."""

    leads: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_SYNC_BATCH)] | None = None
    file: BatchFile | None = None
    upload: BatchUpload | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> BatchScoreRequest:
        if sum(part is not None for part in (self.leads, self.file, self.upload)) > 1:
            raise ValueError("send only one of leads, file or upload")
        return self


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


class BatchJobCounts(StoredModel):
    rows: int = Field(default=0, description="Data rows processed so far (scored + invalid + failed)")
    scored: int = 0
    invalid: int = Field(default=0, description="Rows rejected with a reason in the error file")
    failed: int = Field(default=0, description="Rows not stored because their chunk could not be written (the job fails)")


class UploadTarget(StoredModel):
    method: Literal["PUT"] = "PUT"
    url: str
    expires_at: datetime


class BatchJob(StoredModel):
    """A batch file job: where its file is, how far it got, and (once done) where the results and errors are."""

    job_id: str
    status: JobStatus
    format: BatchFileFormat
    file_key: str = Field(description="The input file, relative to your folder")
    created_at: datetime
    created_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: BatchJobCounts = Field(default_factory=BatchJobCounts)
    progress: float = Field(default=0.0, ge=0, le=1, description="Share of the file done; an estimate from the file size while running")
    failure_reason: str | None = None
    size_bytes: int | None = None
    results_url: str | None = Field(default=None, description="CSV row,lead_id,external_id,score,qualified,priority,grade (presigned GET)")
    errors_url: str | None = Field(default=None, description="CSV row,field,message,type, one line per problem (presigned GET)")
    upload: UploadTarget | None = None
    links: dict[str, str] = Field(default_factory=dict)
