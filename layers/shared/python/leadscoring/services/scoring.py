"""score_leads: validate against the tenant's features, score with its active ONNX model, store leads + decisions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from leadscoring.data.audit import new_event_id
from leadscoring.data.leads import LeadChanged, LeadRepository
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.domain.auth import Principal
from leadscoring.domain.conversions import ConcurrentUpdate
from leadscoring.domain.errors import NoActiveModel
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import completeness, flatten, validate_attributes
from leadscoring.domain.scoring import input_hash, score_from_probability
from leadscoring.inference.model_cache import ModelCache, TtlCache
from leadscoring.inference.onnx_model import LoadedModel, load_model
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import AttributeValue, Explanation, Lead, LeadInput
from leadscoring.schemas.model import ScoringConfig, ScoringFeature

_LEAD_NAMESPACE = uuid.UUID("6f1c7d0e-8a55-4c1e-9d0b-4c9a4b7e2f10")
# Lost races in a row before a lead that keeps changing gets 409 (each lost race means another write won).
SAVE_ATTEMPTS = 3


def lead_identity(client_id: str, lead: LeadInput) -> str:
    """A lead is one person per tenant: its CRM id when given, else its email. Redeliveries update, never duplicate."""
    natural = f"ext:{lead.external_id}" if lead.external_id else f"email:{lead.email.lower()}"
    return str(uuid.uuid5(_LEAD_NAMESPACE, f"{client_id}|{natural}"))


class ScoringService:
    def __init__(
        self,
        leads: LeadRepository,
        registry: ModelRegistry,
        configs: ConfigRepository,
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

    def score_lead(self, principal: Principal, lead_input: LeadInput, delivery: Mapping[str, str] | None = None) -> Lead:
        """`delivery`: what named the request that brought the lead (its Idempotency-Key, the CRM's event id), kept
        on the decision record so a CRM event can be traced to the decision it produced."""
        self.validate(principal.client_id, lead_input)
        return self.score_valid(principal, [lead_input], delivery)[0]

    def score_valid(self, principal: Principal, inputs: Sequence[LeadInput], delivery: Mapping[str, str] | None = None) -> list[Lead]:
        """Score leads already validated, in one model run, and store each with its decision record.

        A stored lead keeps its conversion state; if a conversion lands between reading it and writing the new
        score, the rest are read and decided again (the model's answers stand), so the conversion is kept.
        """
        client_id = principal.client_id
        config, model = self.active_model(client_id)
        flats = [flatten(i.attributes) for i in inputs]
        probabilities, explanations = model.predict_explained(flats)
        ids = [lead_identity(client_id, i) for i in inputs]
        stored: list[Lead] = []
        lost_races = 0  # in a row, at the same lead: a chunk that got written starts the count again
        while lost_races < SAVE_ATTEMPTS:
            pending = range(len(stored), len(inputs))
            existing = self._leads.get_many(client_id, [ids[n] for n in pending])
            now = datetime.now(UTC)
            scored = [
                self._decide(
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
                    delivery,
                )
                for n in pending
            ]
            seen = {ids[n]: existing[ids[n]].conversion_status if ids[n] in existing else None for n in pending}
            try:
                self._leads.save_scored(scored, seen)
            except LeadChanged as changed:
                stored.extend(lead for lead, _ in scored[: changed.saved])
                lost_races = 0 if changed.saved else lost_races + 1
                continue
            return stored + [lead for lead, _ in scored]
        raise ConcurrentUpdate("The lead kept changing while it was being scored; send it again", [])

    @staticmethod
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
        delivery: Mapping[str, str] | None,
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
            event_id=new_event_id(now),
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
                **({"delivery": dict(delivery)} if delivery else {}),
            },
        )
        return lead, decision
