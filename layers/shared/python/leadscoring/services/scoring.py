"""The one scoring path: leads validated against the tenant's features, scored with its active ONNX model in one
run, and stored with their decision records. POST /score, POST /batch-score and every batch-file chunk end here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from leadscoring.data.audit import file_row_event_id, new_event_id
from leadscoring.domain.auth import Principal
from leadscoring.domain.conversions import ConcurrentUpdate
from leadscoring.domain.errors import InvalidInput, NoActiveModel, field_errors
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import completeness, flatten, validate_attributes
from leadscoring.domain.scoring import input_hash, score_from_probability
from leadscoring.inference.model_cache import ModelCache, TtlCache
from leadscoring.inference.onnx_model import LoadedModel, load_model
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import AttributeValue, Explanation, Lead, LeadInput
from leadscoring.schemas.model import ScoringConfig, ScoringFeature
from leadscoring.services.stores import LeadStore, ModelArtifacts, TenantConfigs

_LEAD_NAMESPACE = uuid.UUID("6f1c7d0e-8a55-4c1e-9d0b-4c9a4b7e2f10")
# Lost races in a row before a lead that keeps changing gets 409 (each lost race means another write won).
SAVE_ATTEMPTS = 3


def lead_identity(client_id: str, lead: LeadInput) -> str:
    """A lead is one person per tenant: its CRM id when given, else its email. Redeliveries update, never duplicate."""
    natural = f"ext:{lead.external_id}" if lead.external_id else f"email:{lead.email.lower()}"
    return str(uuid.uuid5(_LEAD_NAMESPACE, f"{client_id}|{natural}"))


@dataclass(frozen=True)
class Origin:
    """What brought a lead, kept on its decision record: an API delivery (its Idempotency-Key, the CRM's event id)
    or a row of a batch file. A file row's decision is keyed by (job, row), so a rerun rewrites the same record."""

    delivery: Mapping[str, str] = field(default_factory=dict)
    job_id: str | None = None
    row: int | None = None  # 1-based data row of the file

    def event_id(self, at: datetime) -> str:
        if self.job_id is not None and self.row is not None:
            return file_row_event_id(self.job_id, self.row, at)
        return new_event_id(at)

    def details(self) -> dict[str, Any]:
        if self.job_id is not None:
            return {"job_id": self.job_id, "row": self.row}
        return {"delivery": dict(self.delivery)} if self.delivery else {}


@dataclass
class Intake:
    """Leads as received, sorted: accepted (position, lead) in order, refused ones' problems (fields named from the
    lead), and repeats of a lead already accepted (position -> the first one's position)."""

    accepted: list[tuple[int, LeadInput]] = field(default_factory=list)
    refused: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    repeats: dict[int, int] = field(default_factory=dict)


class ScoringService:
    def __init__(
        self,
        leads: LeadStore,
        registry: ModelArtifacts,
        configs: TenantConfigs,
        config_cache_seconds: float,
        models: ModelCache | None = None,
    ) -> None:
        self._leads = leads
        self._registry = registry
        self._configs = configs
        self._models = models or ModelCache()
        self._config_cache: TtlCache[ScoringConfig] = TtlCache(config_cache_seconds)
        self._feature_cache: TtlCache[list[ScoringFeature]] = TtlCache(config_cache_seconds)

    def features(self, client_id: str) -> list[ScoringFeature]:
        return self._feature_cache.get(client_id, lambda: self._configs.get_features(client_id) or default_features())

    def validate(self, client_id: str, lead_input: LeadInput) -> None:
        validate_attributes(lead_input.attributes, self.features(client_id))

    def intake(self, client_id: str, payloads: Sequence[Mapping[str, Any]]) -> Intake:
        """Each payload checked as POST /score checks a lead; the same lead twice is accepted once."""
        intake = Intake()
        first_of: dict[str, int] = {}
        for position, payload in enumerate(payloads):
            try:
                lead_input = LeadInput.model_validate(payload)
                self.validate(client_id, lead_input)
            except ValidationError as exc:  # a problem with the payload as a whole names no field ("")
                details = field_errors(list(exc.errors()))
                intake.refused[position] = [{**d, "field": "" if d["field"] == "body" else d["field"]} for d in details]
                continue
            except InvalidInput as exc:
                intake.refused[position] = list(exc.details)
                continue
            identity = lead_identity(client_id, lead_input)
            if identity in first_of:
                intake.repeats[position] = first_of[identity]
                continue
            first_of[identity] = position
            intake.accepted.append((position, lead_input))
        return intake

    def active_model(self, client_id: str) -> tuple[ScoringConfig, LoadedModel]:
        config = self._config_cache.get(client_id, lambda: self._configs.get_config(client_id))
        active = config.active_model
        if active is None:
            raise NoActiveModel("No model is deployed for this client yet: train and deploy one first")
        model = self._models.get((client_id, active.id, active.version), lambda: self._load(client_id, active.id, active.version))
        return config, model

    def _load(self, client_id: str, model_id: str, version: str) -> LoadedModel:
        onnx_bytes, metadata = self._registry.load_artifact(client_id, model_id, version)
        return load_model(model_id, version, onnx_bytes, metadata)

    def score_lead(self, principal: Principal, lead_input: LeadInput, origin: Origin | None = None) -> Lead:
        self.validate(principal.client_id, lead_input)
        return self.score_valid(principal, [lead_input], [origin or Origin()])[0]

    def score_valid(
        self,
        principal: Principal,
        inputs: Sequence[LeadInput],
        origins: Sequence[Origin] | None = None,
        at: datetime | None = None,
    ) -> list[Lead]:
        """Score leads already validated (each a different lead), in one model run, and store each with its decision
        record. `at`: the scoring time (a batch job's own, so a rerun writes the same records); default now.

        A stored lead keeps its conversion state; if a conversion lands between reading it and writing the new
        score, that lead is read and decided again (the model's answer stands), so the conversion is kept.
        """
        client_id = principal.client_id
        config, model = self.active_model(client_id)
        now = at or datetime.now(UTC)
        flats = [flatten(i.attributes) for i in inputs]
        probabilities, explanations = model.predict_explained(flats, now)
        ids = [lead_identity(client_id, i) for i in inputs]
        if len(set(ids)) != len(ids):
            raise ValueError("score_valid takes each lead once")
        origins = origins or [Origin()] * len(inputs)
        event_ids = [o.event_id(now) for o in origins]  # kept across lost races: a retry rewrites its own record
        stored: dict[int, Lead] = {}
        pending = list(range(len(inputs)))
        for _ in range(SAVE_ATTEMPTS):
            existing = self._leads.get_many(client_id, [ids[n] for n in pending])
            scored = {
                n: _decide(
                    principal,
                    config,
                    model,
                    inputs[n],
                    ids[n],
                    flats[n],
                    float(probabilities[n]),
                    explanations[n] if explanations else None,
                    existing.get(ids[n]),
                    now,
                    event_ids[n],
                    origins[n],
                )
                for n in pending
            }
            seen = {ids[n]: existing[ids[n]].conversion_status if ids[n] in existing else None for n in pending}
            changed = self._leads.save_scored([scored[n] for n in pending], seen)
            stored.update((n, scored[n][0]) for n in pending if ids[n] not in changed)
            pending = [n for n in pending if ids[n] in changed]
            if not pending:
                return [stored[n] for n in range(len(inputs))]
        raise ConcurrentUpdate("The lead kept changing while it was being scored; send it again", [])


def _decide(
    principal: Principal,
    config: ScoringConfig,
    model: LoadedModel,
    lead_input: LeadInput,
    lead_id: str,
    flat: dict[str, AttributeValue],
    probability: float,
    explanation: Explanation | None,
    existing: Lead | None,
    now: datetime,
    event_id: str,
    origin: Origin,
) -> tuple[Lead, AuditEvent]:
    outcome = score_from_probability(probability, completeness(flat, model.schema), config.thresholds)
    lead = Lead(
        id=lead_id,
        client_id=principal.client_id,
        **lead_input.model_dump(exclude={"attributes"}),
        attributes=lead_input.attributes,
        score=outcome.score,
        score_confidence=outcome.score_confidence,
        qualified=outcome.qualified,
        priority=outcome.priority,
        grade=outcome.grade,
        explanation=explanation,
        conversion_status=existing.conversion_status if existing else "new",
        conversion_date=existing.conversion_date if existing else None,
        revenue=existing.revenue if existing else None,
        created_at=existing.created_at if existing else now,
        updated_at=now,
        scored_at=now,
        model_id=model.model_id,
        model_version=model.version,
    )
    used = {name: flat.get(name) for name, _ in model.schema}
    decision = AuditEvent(
        event_id=event_id,
        type="decision",
        at=now,
        actor=principal.key_id,
        lead_id=lead_id,
        model_id=model.model_id,
        model_version=model.version,
        input_hash=input_hash(model.model_id, model.version, used),
        score=outcome.score,
        threshold=outcome.threshold,
        qualified=outcome.qualified,
        details={
            "score_confidence": outcome.score_confidence,
            "probability": round(probability, 6),
            "priority": outcome.priority,
            "grade": outcome.grade,
            "updated_existing": existing is not None,
            "explanation": explanation.model_dump(mode="json") if explanation else None,
            **origin.details(),
        },
    )
    return lead, decision
