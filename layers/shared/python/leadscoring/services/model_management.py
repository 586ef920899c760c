"""Models a client trains: definitions, training runs (one per version), deployment and rollback, performance."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from leadscoring.data.audit import AuditRepository
from leadscoring.data.registry import ModelRegistry
from leadscoring.data.run_files import ClientFiles
from leadscoring.data.workflows import WorkflowStarter
from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import Conflict, InvalidInput, NotFound, TrainingUnavailable
from leadscoring.schemas.model import (
    FileSource,
    ModelCreate,
    ModelDefinition,
    ModelDetail,
    ModelPerformance,
    ModelUpdate,
    ScoringConfig,
    ScoringFeature,
    TrainingRun,
    TrainRequest,
    VersionPerformance,
)
from leadscoring.services.configuration import ConfigurationService

CLAIM_ATTEMPTS = 5


def model_id_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "model"
    return f"{slug}-{uuid.uuid4().hex[:6]}"


class ModelManagement:
    def __init__(
        self,
        registry: ModelRegistry,
        configuration: ConfigurationService,
        audit: AuditRepository,
        files: ClientFiles,
        starter: WorkflowStarter | None,
        features_of: Callable[[str], list[ScoringFeature]],
    ) -> None:
        self._registry = registry
        self._configuration = configuration
        self._audit = audit
        self._files = files
        self._starter = starter
        self._features_of = features_of

    def create(self, principal: Principal, body: ModelCreate) -> ModelDefinition:
        self._check_features(principal.client_id, body.features)
        now = datetime.now(UTC)
        definition = ModelDefinition(
            id=model_id_for(body.name),
            **body.model_dump(exclude_none=True),
            created_at=now,
            updated_at=now,
            created_by=principal.key_id,
        )
        self._registry.create_definition(principal.client_id, definition)
        self._record(principal, "model created", definition.id, after=definition.model_dump(mode="json"))
        return definition

    def update(self, principal: Principal, model_id: str, body: ModelUpdate) -> ModelDefinition:
        before = self._definition(principal.client_id, model_id)
        self._check_features(principal.client_id, body.features)
        changes = body.model_dump(exclude_unset=True)
        # Validated as a whole, not copied over: a stored definition must always read back.
        after = ModelDefinition.model_validate({**before.model_dump(), **changes, "updated_at": datetime.now(UTC)})
        self._registry.save_definition(principal.client_id, after)
        self._record(principal, "model updated", model_id, before=before.model_dump(mode="json"), after=after.model_dump(mode="json"))
        return after

    def detail(self, client_id: str, model_id: str) -> ModelDetail:
        definition = self._definition(client_id, model_id)
        active = self._configuration.get(client_id).active_model
        versions = sorted(self._registry.list_versions(client_id, model_id), key=_version_order)
        runs = sorted(self._registry.list_runs(client_id, model_id), key=lambda r: r.started_at, reverse=True)
        active_version = active.version if active and active.id == model_id else None
        versions = [v.model_copy(update={"is_active": v.version == active_version}) for v in versions]
        return ModelDetail(definition=definition, versions=versions, runs=runs, active_version=active_version)

    def start_training(self, principal: Principal, model_id: str, request: TrainRequest) -> TrainingRun:
        definition = self._definition(principal.client_id, model_id)
        if self._starter is None:
            raise TrainingUnavailable("Training is not configured here (no training workflow)")
        if isinstance(request.source, FileSource):
            self._files.read_size(principal.client_id, request.source.key)  # 404 or 422 now, not in the workflow
        taken = {v.version for v in self._registry.list_versions(principal.client_id, model_id)}
        taken |= {r.version for r in self._registry.list_runs(principal.client_id, model_id)}
        version = str(max((int(v) for v in taken if v.isdigit()), default=0) + 1)
        for _ in range(CLAIM_ATTEMPTS):
            run = TrainingRun(
                run_id=uuid.uuid4().hex,
                model_id=model_id,
                version=version,
                status="running",
                step="queued",
                started_at=datetime.now(UTC),
                started_by=principal.key_id,
                source=request.source,
            )
            if self._registry.create_run(principal.client_id, run):
                break
            version = str(int(version) + 1)  # a concurrent start took it
        else:
            raise Conflict("Could not claim a version for this run; retry")
        payload = {"run": {"client_id": principal.client_id, "model_id": model_id, "version": version, "run_id": run.run_id}}
        execution = self._starter.start(f"{definition.id}-v{version}-{run.run_id[:8]}"[:80], payload)
        run = run.model_copy(update={"execution_arn": execution})
        self._registry.save_run(principal.client_id, run)
        self._record(principal, "training started", model_id, after={"version": version, "source": request.source.model_dump(mode="json")})
        return run

    def deploy(self, principal: Principal, model_id: str, version: str) -> ScoringConfig:
        """Make a version the one that scores; deploying an older version is the rollback."""
        if self._registry.get_version(principal.client_id, model_id, version) is None:
            raise NotFound(f"Model {model_id} has no version {version}")
        return self._configuration.activate(principal, model_id, version)

    def performance(self, client_id: str, model_id: str) -> ModelPerformance:
        versions = sorted(self._registry.list_versions(client_id, model_id), key=_version_order)
        if not versions:
            raise NotFound(f"Model {model_id} has no trained version yet")
        active = self._configuration.get(client_id).active_model
        out = []
        for v in versions:
            metadata = self._registry.load_metadata(client_id, model_id, v.version)
            out.append(
                VersionPerformance(
                    version=v.version,
                    is_active=active is not None and (active.id, active.version) == (model_id, v.version),
                    created_at=v.created_at,
                    training_rows=v.training_rows,
                    accuracy=v.accuracy,
                    precision=v.precision,
                    recall=v.recall,
                    f1_score=v.f1_score,
                    roc_auc=v.roc_auc,
                    # As the record has them: an older version's record has fewer.
                    metrics=metadata.metrics.model_dump(mode="json", exclude_unset=True),
                )
            )
        return ModelPerformance(model_id=model_id, versions=out)

    def _definition(self, client_id: str, model_id: str) -> ModelDefinition:
        definition = self._registry.get_definition(client_id, model_id)
        if definition is None:
            raise NotFound(f"No model {model_id}")
        return definition

    def _check_features(self, client_id: str, names: list[str] | None) -> None:
        if not names:
            return
        known = {f.name for f in self._features_of(client_id)}
        unknown = [n for n in names if n not in known]
        if unknown:
            details = [{"field": "features", "message": f"{n} is not one of your features", "type": "unknown_feature"} for n in unknown]
            raise InvalidInput("Unknown features", details)

    def _record(self, principal: Principal, change: str, model_id: str, **details: object) -> None:
        self._audit.record_change(principal.client_id, "model_change", principal.key_id, change, model_id, **details)


def _version_order(model: object) -> tuple[int, str]:
    version = str(getattr(model, "version", ""))
    return (int(version), "") if version.isdigit() else (10**9, version)
