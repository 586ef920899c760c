"""What the scoring path's services read and write, as small protocols: each lists the calls its service makes.

The boto3 repositories in data/ satisfy them as they are (structurally: nothing subclasses these), and so do the
in-memory fakes the unit tests and benchmarks build services on (fakes/storage.py), without any AWS client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the data layer here would import boto3 for nothing
    from leadscoring.data.batch_jobs import ChunkRecord, JobRecord
    from leadscoring.schemas.audit import AuditEvent
    from leadscoring.schemas.lead import ConversionStatus, Lead
    from leadscoring.schemas.model import ScoringConfig, ScoringFeature
    from leadscoring.schemas.model_metadata import ModelMetadata


class LeadStore(Protocol):
    """ScoringService's leads (data.leads.LeadRepository)."""

    def get_many(self, client_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]: ...

    def save_scored(self, scored: Sequence[tuple[Lead, AuditEvent]], seen: Mapping[str, ConversionStatus | None]) -> set[str]:
        """Store each lead (only if its conversion status is still the one `seen`) and its decision; the ids of the
        leads that had changed, which were not written."""
        ...


class ModelArtifacts(Protocol):
    """A model version's ONNX bytes and metadata (data.registry.ModelRegistry)."""

    def load_artifact(self, client_id: str, model_id: str, version: str) -> tuple[bytes, ModelMetadata]: ...


class TenantConfigs(Protocol):
    """A tenant's scoring configuration and feature definitions (data.registry.ConfigRepository)."""

    def get_config(self, client_id: str) -> ScoringConfig: ...

    def get_features(self, client_id: str) -> list[ScoringFeature] | None: ...


class ChunkJobs(Protocol):
    """BatchWorker's job records: chunks counted once, failures, the outcome (data.batch_jobs.BatchJobRepository)."""

    def get(self, client_id: str, job_id: str) -> JobRecord | None: ...

    def count_chunk(self, client_id: str, job_id: str, chunk: ChunkRecord) -> bool: ...

    def chunks(self, client_id: str, job_id: str) -> list[ChunkRecord]: ...

    def mark_chunk_failed(self, client_id: str, job_id: str, first_row: int, rows: int, reason: str) -> None: ...

    def failed_rows(self, client_id: str, job_id: str) -> int: ...

    def succeed(self, client_id: str, job_id: str, finished_at: datetime, results_key: str, errors_key: str) -> bool: ...

    def fail(self, client_id: str, job_id: str, finished_at: datetime, reason: str, failed_rows: int) -> bool: ...


class ChunkFiles(Protocol):
    """BatchWorker's files under the tenant's prefix: chunk results, then the job's joined files (data.batch_files.BatchFiles)."""

    def read_many(self, client_id: str, relatives: Sequence[str]) -> list[bytes]: ...

    def write(self, client_id: str, relative: str, body: bytes, content_type: str) -> None: ...
