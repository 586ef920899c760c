"""The training workflow's steps, run by the `train` container function (scikit-learn lives there only).

Each step reads what the previous one left under the client's prefix in the batch bucket
(training-runs/<model>/<version>/), does its part, and leaves its own result; the run record in the registry
says which step a run is in, and why it failed.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from leadscoring.data.audit import AuditRepository
from leadscoring.data.leads import LeadRepository
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.data.run_files import ClientFiles
from leadscoring.domain.errors import InvalidInput, NotFound
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.schemas.model import FileSource, ModelDefinition, ScoringFeature, TrainingRun
from leadscoring.schemas.model_metadata import TrainingRunRecord
from leadscoring.training.dataset import load_training_data
from leadscoring.training.trainer import Prepared, assemble, evaluate_export, export, fit, prepare


class TrainingWorkflow:
    def __init__(
        self,
        registry: ModelRegistry,
        configs: ConfigRepository,
        leads: LeadRepository,
        files: ClientFiles,
        audit: AuditRepository,
    ) -> None:
        self._registry = registry
        self._configs = configs
        self._leads = leads
        self._files = files
        self._audit = audit
        self._steps: dict[str, Callable[[str, TrainingRun, ModelDefinition], None]] = {
            "validate": self._validate,
            "train": self._train,
            "export": self._export,
            "evaluate": self._evaluate,
            "register": self._register,
        }

    def run_step(self, step: str, ref: dict[str, Any], error: dict[str, Any] | None = None) -> dict[str, Any]:
        client_id, model_id, version = str(ref["client_id"]), str(ref["model_id"]), str(ref["version"])
        run = self._registry.get_run(client_id, model_id, version)
        definition = self._registry.get_definition(client_id, model_id)
        if run is None or definition is None:
            raise NotFound(f"No training run {model_id} v{version} for this client")
        if step == "record_failure":
            self._fail(client_id, run, error or {})
            return {"run": ref}
        if step not in self._steps:
            raise ValueError(f"Unknown training step {step}")
        self._registry.save_run(client_id, run.model_copy(update={"step": step}))
        self._steps[step](client_id, run, definition)
        return {"run": ref}

    # -- steps -----------------------------------------------------------------------------------------
    def _validate(self, client_id: str, run: TrainingRun, definition: ModelDefinition) -> None:
        rows, labels, features, references = self._training_data(client_id, run, definition)
        prepared = prepare(rows, labels, features, definition.model_type, reference_time=references)
        self._stash(client_id, run, "prepared", prepared)

    def _train(self, client_id: str, run: TrainingRun, definition: ModelDefinition) -> None:
        prepared: Prepared = self._unstash(client_id, run, "prepared")
        self._stash(client_id, run, "fitted", fit(prepared, definition.model_type, time_budget_seconds=definition.time_budget_seconds))

    def _export(self, client_id: str, run: TrainingRun, definition: ModelDefinition) -> None:
        self._stash(client_id, run, "exported", export(self._unstash(client_id, run, "prepared"), self._unstash(client_id, run, "fitted")))

    def _evaluate(self, client_id: str, run: TrainingRun, definition: ModelDefinition) -> None:
        self._stash(
            client_id,
            run,
            "evaluated",
            evaluate_export(self._unstash(client_id, run, "prepared"), self._unstash(client_id, run, "exported"), definition.thresholds),
        )

    def _register(self, client_id: str, run: TrainingRun, definition: ModelDefinition) -> None:
        prepared: Prepared = self._unstash(client_id, run, "prepared")
        parent = self._configs.get_config(client_id).active_model
        trained = assemble(
            prepared,
            self._unstash(client_id, run, "fitted"),
            self._unstash(client_id, run, "exported"),
            self._unstash(client_id, run, "evaluated"),
            model_id=run.model_id,
            version=run.version,
            name=definition.name,
            created_by=run.started_by,
            model_type=definition.model_type,
            thresholds=definition.thresholds,
            parent_version=f"{parent.id}:{parent.version}" if parent else None,
            training_run=TrainingRunRecord(run_id=run.run_id, source=run.source),
        )
        self._adopt_features(client_id, trained.model.features)
        self._registry.register(client_id, trained.model, trained.onnx_bytes, trained.metadata)
        self._registry.save_run(client_id, run.model_copy(update={"status": "succeeded", "step": "done", "finished_at": datetime.now(UTC)}))
        self._record(client_id, run, "training succeeded", {"version": run.version, "roc_auc": trained.model.roc_auc})

    def _fail(self, client_id: str, run: TrainingRun, error: dict[str, Any]) -> None:
        reason = _reason(error)
        failed = run.model_copy(update={"status": "failed", "finished_at": datetime.now(UTC), "failure_reason": reason})
        self._registry.save_run(client_id, failed)
        self._record(client_id, run, "training failed", {"version": run.version, "step": run.step, "reason": reason})

    # -- helpers ---------------------------------------------------------------------------------------
    def _training_data(
        self, client_id: str, run: TrainingRun, definition: ModelDefinition
    ) -> tuple[list[dict[str, Any]], list[bool], list[ScoringFeature], list[datetime] | None]:
        if isinstance(run.source, FileSource):
            source = run.source
            data = load_training_data(
                self._files.read(client_id, source.key),
                target=source.target,
                positive=source.positive_values,
                columns={column: name for column, name in (source.column_mapping or {}).items()} or None,
                missing_values=source.missing_values,
                exclude=source.drop_columns,
                file_format=source.format,
            )
            return data.rows, data.labels, _chosen(data.features, definition), None
        leads = self._leads.with_outcomes(client_id)
        features = self._configs.get_features(client_id) or default_features()
        rows = [dict(flatten(lead.attributes)) for lead in leads]
        labels = [lead.conversion_status == "converted" for lead in leads]
        return rows, labels, _chosen(features, definition), [lead.scored_at for lead in leads]

    def _adopt_features(self, client_id: str, used: list[ScoringFeature]) -> None:
        """Features a model learned from a file become the client's, so leads can carry them."""
        current = self._configs.get_features(client_id) or default_features()
        known = {f.name for f in current}
        new = [f for f in used if f.name not in known]
        if new:
            self._configs.put_features(client_id, current + new)

    def _path(self, run: TrainingRun, name: str) -> str:
        return f"training-runs/{run.model_id}/{run.version}/{name}.pkl"

    def _stash(self, client_id: str, run: TrainingRun, name: str, value: object) -> None:
        self._files.write(client_id, self._path(run, name), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _unstash(self, client_id: str, run: TrainingRun, name: str) -> Any:
        # Only ever our own step's output, from the client's own prefix of our own bucket.
        return pickle.loads(self._files.read(client_id, self._path(run, name)))  # noqa: S301

    def _record(self, client_id: str, run: TrainingRun, change: str, details: dict[str, Any]) -> None:
        self._audit.record_change(client_id, "model_change", run.started_by, change, run.model_id, **details)


def _chosen(features: list[ScoringFeature], definition: ModelDefinition) -> list[ScoringFeature]:
    if not definition.features:
        return features
    by_name = {f.name: f for f in features}
    missing = [n for n in definition.features if n not in by_name]
    if missing:
        raise InvalidInput(f"The training data has no feature {', '.join(missing)}")
    return [by_name[n] for n in definition.features]


def _reason(error: dict[str, Any]) -> str:
    """The caught error as a person reads it: the step's exception message, not Step Functions' envelope."""
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause", "")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) and cause.startswith("{") else {}
    except ValueError:
        parsed = {}
    message = parsed.get("errorMessage") if isinstance(parsed, dict) else None
    return f"{name}: {message or cause or 'no details'}"[:2000]
