"""Exactly-once scoring for redelivered webhooks: one Idempotency-Key, one lead, one response.

The key is scoped by tenant (two clients may use the same key) and the payload is validated: the same key
with a different lead is refused instead of silently answering with the first lead.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import IdempotencyKeyReused, RequestInProgress
from leadscoring.routes import Role
from leadscoring.schemas.lead import Lead, LeadInput
from leadscoring.services.scoring import Origin, ScoringService

# How long a redelivery is answered from the record: CRMs retry for hours, not days.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# Left out of the stored response: a redelivery carries the same lead (its payload is checked against the first),
# so they are filled back in from it, and the idempotency table never holds personal data.
PERSONAL_FIELDS = frozenset({"email", "name", "phone"})


class IdempotentScoring:
    def __init__(self, scoring: ScoringService, store: BasePersistenceLayer, ttl_seconds: int = IDEMPOTENCY_TTL_SECONDS) -> None:
        self._scoring = scoring
        self._config = config = IdempotencyConfig(
            # A header key and a CRM event id are separate spaces: the same text in each names two deliveries.
            event_key_jmespath="[client_id, idempotency_key, event_id]",
            payload_validation_jmespath="lead",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=ttl_seconds,
        )

        @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)
        def score_once(request: dict[str, Any]) -> dict[str, Any]:
            principal = Principal(client_id=request["client_id"], role=Role(request["role"]), key_id=request["key_id"])
            delivery = {name: request[name] for name in ("idempotency_key", "event_id") if request.get(name)}
            lead = self._scoring.score_lead(principal, LeadInput.model_validate(request["lead"]), Origin(delivery=delivery))
            return lead.model_dump(mode="json", exclude=set(PERSONAL_FIELDS))

        self._score_once = score_once

    def score(
        self,
        principal: Principal,
        lead_input: LeadInput,
        idempotency_key: str | None,
        event_id: str | None,
        context: LambdaContext | None,
    ) -> Lead:
        """Score once per delivery, a delivery being named by its Idempotency-Key header, its CRM event id, or both."""
        if not idempotency_key and not event_id:
            return self._scoring.score_lead(principal, lead_input)
        if context is not None:
            # An invocation that dies mid-way leaves its record IN_PROGRESS only until its own timeout, not for the TTL.
            self._config.register_lambda_context(context)
        request = {
            "client_id": principal.client_id,
            "role": principal.role.value,
            "key_id": principal.key_id,
            "idempotency_key": idempotency_key,
            "event_id": event_id,
            "lead": lead_input.model_dump(mode="json"),
        }
        try:
            stored = self._score_once(request=request)
            return Lead.model_validate({**stored, **lead_input.model_dump(include=set(PERSONAL_FIELDS))})
        except IdempotencyValidationError as exc:
            field = "Idempotency-Key" if idempotency_key else "event_id"
            raise IdempotencyKeyReused(
                f"This {field} was already used with a different lead",
                [{"field": field, "message": "reuse it only to redeliver the same lead", "type": "idempotency_key_reused"}],
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise RequestInProgress("A request with this Idempotency-Key is still being processed; retry shortly") from exc
