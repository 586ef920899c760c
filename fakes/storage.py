"""In-memory leads, model artifacts, tenant configs, batch jobs and files, each implementing one of the services'
storage protocols (never subclassing a boto3 repository: nothing here can reach AWS), and tenants behind a real
ScoringService."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from leadscoring.data.batch_jobs import ChunkRecord, JobRecord, JobStatus
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import ConversionStatus, Lead
from leadscoring.schemas.model import ActiveModel, ScoringConfig, ScoringFeature
from leadscoring.schemas.model_metadata import ModelMetadata
from leadscoring.services.scoring import ScoringService
from leadscoring.services.stores import ChunkFiles, ChunkJobs, LeadStore, ModelArtifacts, TenantConfigs


class InMemoryLeadRepository(LeadStore):
    """Leads by (client, id); decisions are counted, not kept."""

    def __init__(self) -> None:
        self.leads: dict[tuple[str, str], Lead] = {}
        self.decisions = 0

    def save_scored(self, scored: Sequence[tuple[Lead, AuditEvent]], seen: Mapping[str, ConversionStatus | None]) -> set[str]:
        # As the real writer does: each lead written only if it is as it was read; the others' ids come back.
        changed = set()
        for lead, _ in scored:
            before = self.leads.get((lead.client_id, lead.id))
            if (before.conversion_status if before else None) != seen[lead.id]:
                changed.add(lead.id)
                continue
            self.leads[(lead.client_id, lead.id)] = lead
        self.decisions += len(scored)
        return changed

    def get_many(self, client_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        found = (self.leads.get((client_id, i)) for i in lead_ids)
        return {lead.id: lead for lead in found if lead is not None}


class InMemoryModelRegistry(ModelArtifacts):
    """Model artifacts by (client, model, version): ONNX bytes and metadata, as the registry returns them."""

    def __init__(self) -> None:
        self.artifacts: dict[tuple[str, str, str], tuple[bytes, ModelMetadata]] = {}

    def load_artifact(self, client_id: str, model_id: str, version: str) -> tuple[bytes, ModelMetadata]:
        return self.artifacts[(client_id, model_id, version)]


class InMemoryConfigRepository(TenantConfigs):
    """Each client's scoring config (its active model) and feature definitions."""

    def __init__(self) -> None:
        self.configs: dict[str, ScoringConfig] = {}
        self.features: dict[str, list[ScoringFeature]] = {}

    def get_config(self, client_id: str) -> ScoringConfig:
        return self.configs.get(client_id, ScoringConfig())

    def get_features(self, client_id: str) -> list[ScoringFeature] | None:
        return self.features.get(client_id)


class InMemoryBatchJobs(ChunkJobs):
    """One job: each chunk counted once (its counts added to the job's, as the real transaction does), failed
    attempts remembered, and the job's outcome."""

    def __init__(self, job: JobRecord) -> None:
        self.job = job
        self.counted: list[ChunkRecord] = []
        self.failed: dict[int, tuple[int, str]] = {}  # first row -> (rows, reason) of a failed attempt

    def get(self, client_id: str, job_id: str) -> JobRecord | None:
        return self.job if job_id == self.job.job_id else None

    def count_chunk(self, client_id: str, job_id: str, chunk: ChunkRecord) -> bool:
        if any(c.first_row == chunk.first_row for c in self.counted):
            return False
        self.counted.append(chunk)
        job = self.job
        self.job = job.model_copy(
            update={
                "rows": job.rows + chunk.rows,
                "scored": job.scored + chunk.scored,
                "invalid": job.invalid + chunk.invalid,
                "chunks": job.chunks + 1,
            }
        )
        return True

    def chunks(self, client_id: str, job_id: str) -> list[ChunkRecord]:
        return sorted(self.counted, key=lambda c: c.first_row)

    def mark_chunk_failed(self, client_id: str, job_id: str, first_row: int, rows: int, reason: str) -> None:
        self.failed[first_row] = (rows, reason)

    def failed_rows(self, client_id: str, job_id: str) -> int:
        counted = {c.first_row for c in self.counted}
        return sum(rows for first_row, (rows, _) in self.failed.items() if first_row not in counted)

    def succeed(self, client_id: str, job_id: str, finished_at: datetime, results_key: str, errors_key: str) -> bool:
        return self._finish("succeeded", ("running",), finished_at=finished_at, results_key=results_key, errors_key=errors_key)

    def fail(self, client_id: str, job_id: str, finished_at: datetime, reason: str, failed_rows: int) -> bool:
        return self._finish("failed", ("pending", "running"), finished_at=finished_at, failure_reason=reason, failed=failed_rows)

    def _finish(self, status: JobStatus, from_statuses: tuple[JobStatus, ...], **changes: object) -> bool:
        """As the real conditional update: only from the given statuses; False (nothing changed) otherwise."""
        if self.job.status not in from_statuses:
            return False
        self.job = self.job.model_copy(update={"status": status, **changes})
        return True


class InMemoryBatchFiles(ChunkFiles):
    """Files by (client, key relative to its folder)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], bytes] = {}

    def read_many(self, client_id: str, relatives: Sequence[str]) -> list[bytes]:
        return [self.files[(client_id, relative)] for relative in relatives]

    def write(self, client_id: str, relative: str, body: bytes, content_type: str) -> None:
        self.files[(client_id, relative)] = body


class InMemoryTenants:
    """Clients, each with one active model, behind a real ScoringService (on in-memory leads unless given others)."""

    def __init__(self, leads: LeadStore | None = None) -> None:
        self.leads: LeadStore = leads or InMemoryLeadRepository()
        self.registry = InMemoryModelRegistry()
        self.configs = InMemoryConfigRepository()

    def add(self, client_id: str, model_id: str, onnx_bytes: bytes, metadata: ModelMetadata, features: list[ScoringFeature]) -> None:
        self.registry.artifacts[(client_id, model_id, "1")] = (onnx_bytes, metadata)
        self.configs.configs[client_id] = ScoringConfig(active_model=ActiveModel(id=model_id, version="1"))
        self.configs.features[client_id] = features

    def service(self, config_cache_seconds: float) -> ScoringService:
        return ScoringService(self.leads, self.registry, self.configs, config_cache_seconds)
