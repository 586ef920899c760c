"""A chunk of a batch file's rows scored on the one scoring path.

Each row is read as the lead the API would have received (domain/row_values.py), accepted or refused by the
same checks as POST /score (ScoringService.intake), and scored and stored by ScoringService.score_valid with
the job's scoring time; a row's decision is keyed by (job, row), so a retried chunk rewrites the same items.
What is batch-only is the reading of rows and naming an error by its column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from leadscoring.domain.auth import Principal
from leadscoring.domain.row_values import column_problems, is_nested, lead_payload
from leadscoring.routes import Role
from leadscoring.services.scoring import Origin, ScoringService

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row of the file (the header is not counted)
    field: str  # the column (flat rows) or the API's field path (nested rows)
    message: str
    type: str


class ResultRow(NamedTuple):
    """A scored row as the job's results file lists it, in domain.batch_files.RESULT_COLUMNS order."""

    row: int  # 1-based data row of the file
    lead_id: str
    external_id: str | None
    score: float
    qualified: bool
    priority: str
    grade: str


@dataclass
class ScoredRows:
    results: list[ResultRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class FileRows:
    def __init__(self, scoring: ScoringService) -> None:
        self._scoring = scoring

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
        """Validate, score and store one run of rows; `first_row` is the file row number of rows[0].

        Raises NoActiveModel when the client has no deployed model."""
        self._scoring.active_model(client_id)  # a job without a model fails whole, not row by row
        by_name = {f.name: f for f in self._scoring.features(client_id)}
        read = [lead_payload(row, by_name) for row in rows]
        # A row with a value in a column that names no feature is refused, with whatever else is wrong with it.
        clean = [p for p, (_, _, problems) in enumerate(read) if not problems]
        faulty = [p for p, (_, _, problems) in enumerate(read) if problems]
        intake = self._scoring.intake(client_id, [read[p][0] for p in clean])
        checked = self._scoring.intake(client_id, [read[p][0] for p in faulty])
        details = {faulty[k]: [*read[faulty[k]][2], *checked.refused.get(k, [])] for k in range(len(faulty))}
        details.update((clean[k], found) for k, found in intake.refused.items())
        out = ScoredRows()
        for p in sorted(details):
            flat, columns = not is_nested(rows[p]), read[p][1]
            for d in details[p]:
                out.errors.append(
                    RowError(first_row + p, _column_of(d["field"], columns, flat), d["message"], d.get("type") or "value_error")
                )
        for k, first in intake.repeats.items():
            where = "external_id" if read[clean[k]][0].get("external_id") else "email"
            message = f"the same lead as row {first_row + clean[first]} (same external_id or email)"
            out.errors.append(RowError(first_row + clean[k], where, message, "duplicate_in_batch"))
        out.errors.sort(key=lambda e: e.row)
        accepted = [(clean[k], lead) for k, lead in intake.accepted]
        if not accepted:
            return out
        principal = Principal(client_id=client_id, role=Role.INTEGRATION, key_id=key_id or SYSTEM_ACTOR)
        origins = [Origin(job_id=job_id, row=first_row + position) for position, _ in accepted]
        leads = self._scoring.score_valid(principal, [lead for _, lead in accepted], origins, scored_at)
        for (position, _), lead in zip(accepted, leads, strict=True):
            assert lead.priority is not None and lead.grade is not None  # every scored lead has both
            out.results.append(
                ResultRow(first_row + position, lead.id, lead.external_id, lead.score, lead.qualified, lead.priority, lead.grade)
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
