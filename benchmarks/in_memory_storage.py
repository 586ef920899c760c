"""In-memory stand-ins for what the scoring service stores and reads, so a benchmark times the handler and
not DynamoDB or S3. Installed in `leadscoring.services.wiring` for the benchmark process only.

Each subclasses the real repository, so the service gets exactly the interface it is built for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord

from leadscoring.data.batch_files import BatchFiles
from leadscoring.data.batch_jobs import BatchJobRepository, ChunkRecord, JobRecord
from leadscoring.data.leads import LeadRepository
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import ConversionStatus, Lead
from leadscoring.schemas.model import ActiveModel, ScoringConfig, ScoringFeature
from leadscoring.services import wiring
from leadscoring.services.scoring import ScoringService


class InMemoryLeadRepository(LeadRepository):
    """Leads by (client, id); decisions are counted, not kept."""

    def __init__(self) -> None:
        super().__init__("in-memory-leads", "in-memory-audit")
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

    def get_many(self, client_id: str, lead_ids: Sequence[str], explained: bool = False) -> dict[str, Lead]:
        found = (self.leads.get((client_id, i)) for i in lead_ids)
        return {lead.id: lead for lead in found if lead is not None}


class InMemoryBatchJobs(BatchJobRepository):
    """One running job; each chunk's record kept as count_chunk would store it."""

    def __init__(self, job: JobRecord) -> None:
        super().__init__("in-memory-jobs")
        self.job = job
        self.counted: list[ChunkRecord] = []

    def get(self, client_id: str, job_id: str) -> JobRecord | None:
        return self.job if job_id == self.job.job_id else None

    def count_chunk(self, client_id: str, job_id: str, chunk: ChunkRecord) -> bool:
        self.counted.append(chunk)
        return True

    def mark_chunk_failed(self, client_id: str, job_id: str, first_row: int, rows: int, reason: str) -> None:
        raise AssertionError(f"a chunk failed: {reason}")


class InMemoryBatchFiles(BatchFiles):
    """Files by client and key."""

    def __init__(self) -> None:
        super().__init__("in-memory-files")
        self.files: dict[tuple[str, str], bytes] = {}

    def write(self, client_id: str, relative: str, body: bytes, content_type: str) -> None:
        self.files[(client_id, relative)] = body


class InMemoryModelRegistry(ModelRegistry):
    """Model artifacts by (client, model, version): ONNX bytes and metadata, as S3 would return them."""

    def __init__(self) -> None:
        super().__init__("in-memory-registry", "in-memory-models")
        self.artifacts: dict[tuple[str, str, str], tuple[bytes, dict[str, Any]]] = {}

    def load_artifact(self, client_id: str, model_id: str, version: str) -> tuple[bytes, dict[str, Any]]:
        return self.artifacts[(client_id, model_id, version)]


class InMemoryConfigRepository(ConfigRepository):
    """Each client's scoring config (its active model) and feature definitions."""

    def __init__(self) -> None:
        super().__init__("in-memory-registry")
        self.configs: dict[str, ScoringConfig] = {}
        self.features: dict[str, list[ScoringFeature]] = {}

    def get_config(self, client_id: str) -> ScoringConfig:
        return self.configs.get(client_id, ScoringConfig())

    def get_features(self, client_id: str) -> list[ScoringFeature] | None:
        return self.features.get(client_id)


class UnusedIdempotencyStore(BasePersistenceLayer):
    """Requests without an Idempotency-Key never reach the store; this one fails loudly if one does."""

    def _get_record(self, idempotency_key: str) -> DataRecord:
        raise AssertionError("the benchmark sends no Idempotency-Key")

    def _put_record(self, data_record: DataRecord) -> None:
        raise AssertionError("the benchmark sends no Idempotency-Key")

    def _update_record(self, data_record: DataRecord) -> None:
        raise AssertionError("the benchmark sends no Idempotency-Key")

    def _delete_record(self, data_record: DataRecord) -> None:
        raise AssertionError("the benchmark sends no Idempotency-Key")


class InMemoryTenants:
    """Clients, each with one active model, behind a real ScoringService."""

    def __init__(self, leads: LeadRepository | None = None) -> None:
        self.leads = leads or InMemoryLeadRepository()
        self.registry = InMemoryModelRegistry()
        self.configs = InMemoryConfigRepository()

    def add(self, client_id: str, model_id: str, onnx_bytes: bytes, metadata: dict[str, Any], features: list[ScoringFeature]) -> None:
        self.registry.artifacts[(client_id, model_id, "1")] = (onnx_bytes, metadata)
        self.configs.configs[client_id] = ScoringConfig(active_model=ActiveModel(id=model_id, version="1"))
        self.configs.features[client_id] = features

    def service(self, config_cache_seconds: float) -> ScoringService:
        return ScoringService(self.leads, self.registry, self.configs, config_cache_seconds)


@contextmanager
def installed(service: ScoringService) -> Iterator[None]:
    """Make the handlers' cached factories build on `service`: the score router calls `idempotent_scoring()`,
    whose cache is cleared here so that its next call builds an IdempotentScoring around `service`."""
    saved = {name: getattr(wiring, name) for name in ("scoring_service", "idempotency_store")}
    wiring.reset()

    def scoring_service() -> ScoringService:
        return service

    def idempotency_store(table: str) -> BasePersistenceLayer:
        return UnusedIdempotencyStore()

    wiring.scoring_service = scoring_service  # type: ignore[assignment]  # a plain function in place of the lru_cache'd one
    wiring.idempotency_store = idempotency_store  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(wiring, name, value)
        wiring.reset()
