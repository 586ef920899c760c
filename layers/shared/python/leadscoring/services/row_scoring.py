"""Scoring the rows of a batch file: the API's acceptance rules and scores, as items ready to write.

The batch worker gets one chunk of rows (as Step Functions' ItemReader yields them) and writes what this
returns. Each row is accepted or refused exactly as POST /score would accept or refuse the same lead, and a
scored row gets the same score, grade and explanation. Decision records are keyed by (job, row), so a
retried chunk rewrites the same items instead of adding new ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from leadscoring.data.audit import decision_item
from leadscoring.data.leads import LeadRepository, lead_to_item
from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import InvalidInput, field_errors
from leadscoring.domain.features import flatten, validate_attributes
from leadscoring.domain.row_values import column_problems, is_nested, lead_payload
from leadscoring.routes import Role
from leadscoring.schemas.lead import LeadInput
from leadscoring.services.scoring import ScoringService, lead_identity

_DECISION_NAMESPACE = uuid.UUID("0b7f4c52-3d1e-4f7a-9a63-2f5e8c1d9b40")
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row of the file (the header is not counted)
    field: str  # the column (flat rows) or the API's field path (nested rows)
    message: str
    type: str


@dataclass
class ScoredRows:
    lead_items: list[dict[str, Any]] = field(default_factory=list)  # LEADS table items (resource format)
    decision_items: list[dict[str, Any]] = field(default_factory=list)  # AUDIT table items (resource format)
    results: list[dict[str, Any]] = field(default_factory=list)  # row, lead_id, external_id, score, qualified, priority, grade
    errors: list[RowError] = field(default_factory=list)


def decision_event_id(client_id: str, job_id: str, row: int, scored_at: datetime) -> str:
    """The same (job, row) always gets the same audit key; time first, as every event id, so the trail sorts."""
    stable = uuid.uuid5(_DECISION_NAMESPACE, f"{client_id}|{job_id}|{row}").hex
    return f"{scored_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{stable}"


class RowScoring:
    def __init__(self, scoring: ScoringService, leads: LeadRepository) -> None:
        self._scoring = scoring
        self._leads = leads

    def check_columns(self, client_id: str, columns: Sequence[str]) -> list[dict[str, str]]:
        """Problems with a file's columns as a whole (required missing, unknown, repeated): field/message/type."""
        return column_problems(columns, self._scoring.features(client_id))

    def score_rows(
        self,
        client_id: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        first_row: int,
        job_id: str,
        scored_at: datetime,
        key_id: str | None,
    ) -> ScoredRows:
        """Validate, score and build the items for one chunk; `first_row` is the file row number of rows[0].

        Leads already stored keep their conversion state and creation time (read here, in one batch).
        Raises NoActiveModel when the client has no deployed model.
        """
        config, model = self._scoring.active_model(client_id)
        features = self._scoring.features(client_id)
        by_name = {f.name: f for f in features}
        out = ScoredRows()
        valid: list[tuple[int, LeadInput, str]] = []
        first_of: dict[str, int] = {}
        for offset, row in enumerate(rows):
            number = first_row + offset
            payload, columns, problems = lead_payload(row, by_name)
            details: list[dict[str, Any]] = list(problems)
            try:
                lead_input = LeadInput.model_validate(payload)
                validate_attributes(lead_input.attributes, features)
            except ValidationError as exc:
                details.extend(field_errors(list(exc.errors())))
            except InvalidInput as exc:
                details.extend(exc.details)
            if details:
                flat = not is_nested(row)
                out.errors.extend(
                    RowError(number, _column_of(d["field"], columns, flat), d["message"], d.get("type") or "value_error") for d in details
                )
                continue
            identity = lead_identity(client_id, lead_input)
            if identity in first_of:
                where = "external_id" if lead_input.external_id else "email"
                message = f"the same lead as row {first_of[identity]} (same external_id or email)"
                out.errors.append(RowError(number, where, message, "duplicate_in_batch"))
                continue
            first_of[identity] = number
            valid.append((number, lead_input, identity))
        if not valid:
            return out

        principal = Principal(client_id=client_id, role=Role.INTEGRATION, key_id=key_id or SYSTEM_ACTOR)
        flats = [flatten(lead_input.attributes) for _, lead_input, _ in valid]
        probabilities, explanations = model.predict_explained(flats, scored_at)
        existing = self._leads.get_many(client_id, [identity for _, _, identity in valid])
        for n, (number, lead_input, identity) in enumerate(valid):
            explanation = explanations[n] if explanations else None
            lead, decision = ScoringService._decide(
                principal,
                config,
                model,
                lead_input,
                identity,
                flats[n],
                float(probabilities[n]),
                explanation,
                existing.get(identity),
                scored_at,
            )
            decision = decision.model_copy(
                update={
                    "event_id": decision_event_id(client_id, job_id, number, scored_at),
                    "details": {**decision.details, "job_id": job_id, "row": number},
                }
            )
            out.lead_items.append(lead_to_item(lead))
            out.decision_items.append(decision_item(client_id, decision))
            out.results.append(
                {
                    "row": number,
                    "lead_id": identity,
                    "external_id": lead.external_id,
                    "score": lead.score,
                    "qualified": lead.qualified,
                    "priority": lead.priority,
                    "grade": lead.grade,
                }
            )
        return out


def _column_of(path: str, columns: Mapping[str, str], flat: bool) -> str:
    """An error's field as the file names it: the column for flat rows, the API's path for nested ones."""
    if not flat:
        return path
    if path in columns:
        return columns[path]
    # A required attribute the file has no column for: name the feature, as a column would.
    return path.rsplit(".", 1)[-1] if path.startswith("attributes.") else path
