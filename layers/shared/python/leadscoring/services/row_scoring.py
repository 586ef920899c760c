"""Scoring the rows of a batch file: the API's acceptance rules and scores, as items ready to write.

The batch worker gets one chunk of rows (as Step Functions' ItemReader yields them) and writes what this
returns. Each row is accepted or refused exactly as POST /score would accept or refuse the same lead, and a
scored row gets the same score, grade and explanation. Decision records are keyed by (job, row), so a
retried chunk rewrites the same items instead of adding new ones.

It is built for throughput: flat rows (CSV, flat JSONL) are checked a column at a time with cached
decisions (domain/row_validation.py), the whole chunk is scored in one ONNX run (explanation variants
included), and items are written straight as the JSON text DynamoDB receives (data/wire_text.py), from
fragments each distinct value gets once. A row the fast check cannot accept (a bad value, an unusual email, a
nested JSONL row) takes the exact path: LeadInput + validate_attributes, the API's own code and messages.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import repeat
from operator import eq, is_not, itemgetter
from typing import Any, NamedTuple

import numpy as np
from pydantic import TypeAdapter, ValidationError

from leadscoring.data.leads import LeadRepository
from leadscoring.data.wire_text import FALSE, NULL, TRUE, float_text, map_text, quoted, value_text
from leadscoring.domain.errors import InvalidInput, field_errors
from leadscoring.domain.explanations import RankedFactors
from leadscoring.domain.feature_values import DAYS_SINCE, days_since, model_number
from leadscoring.domain.features import MISSING_CATEGORY, flatten, validate_attributes
from leadscoring.domain.row_validation import Cell, ColumnCheck, TextCheck, cell_of, missing_cell, phone_values
from leadscoring.domain.row_values import IDENTITY_COLUMNS, column_feature, column_problems, is_nested, lead_payload
from leadscoring.domain.scoring import round_half_even, score_columns
from leadscoring.inference.onnx_model import LoadedModel, ModelInputs
from leadscoring.schemas.emails import EmailCheck
from leadscoring.schemas.lead import ConversionStatus, FeatureFamily, Lead, LeadInput
from leadscoring.schemas.model import ScoringConfig, ScoringFeature
from leadscoring.services.scoring import _LEAD_NAMESPACE, ScoringService

SYSTEM_ACTOR = "system"
_FAMILIES = [f.value for f in FeatureFamily]


@cache
def _times() -> TypeAdapter[datetime]:
    """Datetimes as the API's models write them (built on first use: a TypeAdapter costs cold start)."""
    return TypeAdapter(datetime)


# Cell.value, .model, .canonical, .entry, for C-level maps over a column
_VALUE, _MODEL, _CANONICAL, _ENTRY = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(4)
_LEAD_FIELDS = ("conversion_status", "conversion_date", "revenue", "created_at")


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


class StoredLeadItem(NamedTuple):
    """A lead item of the chunk for a lead that was stored when the chunk read it. It carries over the stored
    lead's conversion state, so it may only be written while the lead is still as read: a conversion recorded in
    between would otherwise be overwritten (BatchWriteItem takes no conditions)."""

    position: int  # in ScoredRows.lead_items
    lead_id: str
    seen: ConversionStatus | None  # the stored lead's conversion status; None: absent (when read again)
    cut: int  # the item's text up to here is the scored part; the rest is carried over from the stored lead
    fresh: str  # what a lead stored for the first time carries instead

    def reread(self, item: str, stored_lead: Lead | None) -> tuple[StoredLeadItem, str]:
        """This item and its text for the lead as it is stored now."""
        carried = self.fresh if stored_lead is None else carried_text(stored_lead)
        seen = None if stored_lead is None else stored_lead.conversion_status
        return self._replace(seen=seen), item[: self.cut] + carried + "}"


@dataclass
class ScoredRows:
    lead_items: list[str] = field(default_factory=list)  # LEADS table items, as wire-format JSON text
    decision_items: list[str] = field(default_factory=list)  # AUDIT table items, as wire-format JSON text
    results: list[ResultRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    stored_leads: list[StoredLeadItem] = field(default_factory=list)  # which lead items must be written conditionally


def decision_event_id(job_id: str, row: int, scored_at: datetime) -> str:
    """The same (job, row) always gets the same audit key; time first, as every event id, so the trail sorts."""
    return f"{scored_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{job_id}#{row:09d}"


def stored(value: Any) -> Any:
    """A JSON value in the store's item format, as data.codec.to_item writes it: floats become Decimals."""
    return Decimal(repr(value)) if type(value) is float else value


_ROUNDED: dict[float, str] = {}  # scores (2 places), confidences (4), contributions (6): tens of thousands at most


def attribute_text(value: Any) -> str:
    """value_text(stored(value)): an attribute value as the item's JSON text."""
    return float_text(value) if type(value) is float else value_text(value)


def rounded_text(value: float) -> str:
    """float_text of a rounded float, remembered: a chunk's scores, confidences and contributions repeat."""
    found = _ROUNDED.get(value)
    if found is None:
        if len(_ROUNDED) > 50_000:
            _ROUNDED.clear()
        found = _ROUNDED[value] = float_text(value)
    return found


def lead_id_of(client_id: str, external_id: str | None, email: str) -> str:
    """services.scoring.lead_identity without building a LeadInput: uuid5 of the same name, same text."""
    natural = f"ext:{external_id}" if external_id else f"email:{email.lower()}"
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{client_id}|{natural}".encode(), usedforsecurity=False).hexdigest()
    # uuid5's version (5) and variant (10xx) bits, set on the hex digits that hold them.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_NAMESPACE_BYTES = _LEAD_NAMESPACE.bytes
_VARIANT = {f"{d:x}": f"{(d & 0x3) | 0x8:x}" for d in range(16)}


# email, name, phone, company, source, external_id (IDENTITY_COLUMNS order; stripped, normalised, None when absent)
Identity = tuple[str, str, str | None, str | None, str, str | None]


@dataclass
class _Plan:
    """How the columns of a header map to identity fields and feature checks."""

    definitions: list[ScoringFeature]  # held, so the id() in the plan's key is never reused while it is cached
    header: tuple[str, ...]
    features: dict[str, tuple[ScoringFeature, ColumnCheck]]  # column -> feature
    fast: bool  # False when a column is unknown or repeated, or a required feature has none: exact path for all


@dataclass
class _Checked:
    """What the column checks decided for the rows at `indices`; everything else is by position in `indices`."""

    indices: list[int]
    undecided: set[int]  # positions only the exact path can decide
    identities: list[Identity]
    attributes: list[str]  # each row's attributes (by family) as the item's JSON text
    lead_ids: list[str]  # "" where undecided
    cells: dict[str, list[Cell]]


@dataclass
class _Accepted:
    """The accepted rows of a chunk in file order, as parallel lists, and each feature's cells in the same order."""

    rows: list[int] = field(default_factory=list)  # 1-based data rows of the file
    identities: list[Identity] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    cells: dict[str, list[Cell]] = field(default_factory=dict)


class RowScoring:
    def __init__(self, scoring: ScoringService, leads: LeadRepository) -> None:
        self._scoring = scoring
        self._leads = leads
        # Decisions cached across chunks: a warm worker meets the same values again.
        self._checks: dict[str, ColumnCheck] = {}
        self._plans: dict[tuple[int, tuple[str, ...]], _Plan] = {}
        self._email = EmailCheck()
        self._text = {
            "name": TextCheck(200, cached=False),
            "company": TextCheck(200, cached=True),
            "source": TextCheck(100, cached=True),
            "external_id": TextCheck(200, cached=False),
        }

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
        out = ScoredRows()
        accepted = self._accept(client_id, rows, features, first_row, out.errors)
        out.errors.sort(key=lambda e: e.row)
        if accepted.rows:
            existing = self._leads.get_many(client_id, accepted.lead_ids)
            _Chunk(client_id, config, model, accepted, job_id, scored_at, key_id or SYSTEM_ACTOR).write(out, existing)
        return out

    # -- acceptance ----------------------------------------------------------------------------

    def _accept(
        self, client_id: str, rows: Sequence[Mapping[str, Any]], features: list[ScoringFeature], first_row: int, errors: list[RowError]
    ) -> _Accepted:
        """Accepted rows in file order, each lead once; refused rows' errors go to `errors`."""
        checked: _Checked | None = None
        flat = [i for i, row in enumerate(rows) if not is_nested(row)]
        if flat:
            plan = self._plan(features, tuple(rows[flat[0]]))
            if plan.fast:
                same_header = [i for i in flat if len(rows[i]) == len(plan.header)]
                checked = self._fast(client_id, plan, rows, same_header)
        n = len(rows)
        if checked is not None and len(checked.indices) == n and not checked.undecided and len(set(checked.lead_ids)) == n:
            # The usual chunk: the columns decided every row, and no lead comes twice.
            cells = {f.name: checked.cells.get(f.name) or [missing_cell(f, attribute_text)] * n for f in features}
            return _Accepted(list(range(first_row, first_row + n)), checked.identities, checked.attributes, checked.lead_ids, cells)
        return self._merge(client_id, rows, features, first_row, checked, errors)

    def _merge(
        self,
        client_id: str,
        rows: Sequence[Mapping[str, Any]],
        features: list[ScoringFeature],
        first_row: int,
        checked: _Checked | None,
        errors: list[RowError],
    ) -> _Accepted:
        """_accept for a chunk with rows the columns could not decide (the exact path decides them) or leads twice."""
        by_name = {f.name: f for f in features}
        decided = {} if checked is None else {i: k for k, i in enumerate(checked.indices) if k not in checked.undecided}
        first_of: dict[str, int] = {}
        accepted = _Accepted()
        kept: list[tuple[int, dict[str, Cell] | None]] = []  # (position in checked's columns or -1, the exact path's cells)
        for i, row in enumerate(rows):
            number, k = first_row + i, decided.get(i, -1)
            exact_cells = None
            if k >= 0 and checked is not None:
                identity, attributes, lead_id = checked.identities[k], checked.attributes[k], checked.lead_ids[k]
            else:
                exact = self._exact(client_id, row, by_name, features, number, errors)
                if exact is None:
                    continue
                identity, attributes, lead_id, exact_cells = exact
            seen = first_of.get(lead_id)
            if seen is not None:
                where = "external_id" if identity[5] else "email"
                errors.append(RowError(number, where, f"the same lead as row {seen} (same external_id or email)", "duplicate_in_batch"))
                continue
            first_of[lead_id] = number
            accepted.rows.append(number)
            accepted.identities.append(identity)
            accepted.attributes.append(attributes)
            accepted.lead_ids.append(lead_id)
            kept.append((k, exact_cells))
        column_cells = {} if checked is None else checked.cells
        for feature in features:
            column = column_cells.get(feature.name)
            blank = missing_cell(feature, attribute_text)
            accepted.cells[feature.name] = [
                exact_cells.get(feature.name, blank) if exact_cells is not None else column[k] if column is not None else blank
                for k, exact_cells in kept
            ]
        return accepted

    def _plan(self, features: list[ScoringFeature], header: tuple[str, ...]) -> _Plan:
        key = (id(features), header)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 64:
                self._plans.clear()
            by_name = {f.name: f for f in features}
            columns: dict[str, tuple[ScoringFeature, ColumnCheck]] = {}
            fast = not column_problems(header, features)
            for column in header:
                if column in IDENTITY_COLUMNS:
                    continue
                feature, _ = column_feature(column, by_name)
                if feature is None:
                    fast = False
                    continue
                signature = feature.model_dump_json()
                check = self._checks.get(signature)
                if check is None:
                    check = self._checks[signature] = ColumnCheck(feature, attribute_text)
                columns[column] = (feature, check)
            covered = {f.name for f, _ in columns.values()}
            for feature in features:
                if feature.is_active and any(r.type == "required" for r in feature.validation_rules) and feature.name not in covered:
                    fast = False  # every row lacks it: the exact path says so
            plan = self._plans[key] = _Plan(features, header, columns, fast)
        return plan

    def _fast(self, client_id: str, plan: _Plan, rows: Sequence[Mapping[str, Any]], indices: list[int]) -> _Checked:
        """The column checks of the rows at `indices` (rows with other columns than the plan's are left out)."""
        picked = [rows[i] for i in indices]
        try:
            columns = {c: list(map(itemgetter(c), picked)) for c in plan.header}
        except KeyError:  # a row with other columns than the first: check each row's keys
            header = set(plan.header)
            kept = [(i, r) for i, r in zip(indices, picked, strict=True) if r.keys() == header]
            indices, picked = [i for i, _ in kept], [r for _, r in kept]
            columns = {c: list(map(itemgetter(c), picked)) for c in plan.header}
        n = len(picked)
        undecided: set[int] = set()
        cells: dict[str, list[Cell]] = {}
        families: dict[str, list[str]] = {family: [] for family in _FAMILIES}
        for column, (feature, check) in plan.features.items():
            column_cells, refused = check.cells(columns[column])
            cells[feature.name] = column_cells
            families[feature.family.value].append(feature.name)
            undecided.update(refused)

        blank: list[Any] = [""] * n
        emails = self._email.values(columns.get("email", blank))
        phones = phone_values(columns.get("phone", blank))
        texts = {name: check.values(columns.get(name, blank)) for name, check in self._text.items()}
        for values in (emails, texts["name"], texts["source"]):  # required: undecided when missing too
            if None in values or "" in values:
                undecided.update(k for k, v in enumerate(values) if not v)
        for values in (phones, texts["company"], texts["external_id"]):
            if None in values:
                undecided.update(k for k, v in enumerate(values) if v is None)
        # Optional fields: "" is absent. An undecided row's identity is never used.
        phones, companies, external_ids = ([v or None for v in values] for values in (phones, texts["company"], texts["external_id"]))
        identities: list[Any] = list(zip(emails, texts["name"], phones, companies, texts["source"], external_ids, strict=True))
        if undecided:
            lead_ids = [
                "" if k in undecided else lead_id_of(client_id, x, e or "")
                for k, (x, e) in enumerate(zip(external_ids, emails, strict=True))
            ]
        else:
            lead_ids = list(map(lead_id_of, repeat(client_id, n), external_ids, emails))  # type: ignore[arg-type]  # no None: all decided

        # Every row's attributes as one text, a family at a time (joins and formats run in C); an empty cell is
        # stored as null, as the API stores an attribute sent as null.
        present = [names for names in families.values() if names]
        joined = [list(map(",".join, zip(*(map(_ENTRY, cells[name]) for name in names), strict=True))) for names in present]
        attributes = list(map(_attributes_template(tuple(len(names) > 0 for names in families.values())).format, *joined))
        return _Checked(indices, undecided, identities, attributes, lead_ids, cells)

    def _exact(
        self,
        client_id: str,
        row: Mapping[str, Any],
        by_name: dict[str, ScoringFeature],
        features: list[ScoringFeature],
        number: int,
        errors: list[RowError],
    ) -> tuple[Identity, str, str, dict[str, Cell]] | None:
        """The API's own validation of one row: its errors, or the accepted row (identity, attributes, lead id, cells)."""
        payload, columns, problems = lead_payload(row, by_name)
        details: list[dict[str, Any]] = list(problems)
        lead_input: LeadInput | None = None
        try:
            lead_input = LeadInput.model_validate(payload)
            validate_attributes(lead_input.attributes, features)
        except ValidationError as exc:
            details.extend(field_errors(list(exc.errors())))
        except InvalidInput as exc:
            details.extend(exc.details)
        if details or lead_input is None:
            flat = not is_nested(row)
            errors.extend(
                RowError(number, _column_of(d["field"], columns, flat), d["message"], d.get("type") or "value_error") for d in details
            )
            return None
        values = flatten(lead_input.attributes)
        row_cells = {name: cell_of(by_name[name], value, attribute_text) for name, value in values.items() if name in by_name}
        dumped = lead_input.attributes.model_dump(mode="json")
        attributes = {family: {k: stored(v) for k, v in group.items()} for family, group in dumped.items()}
        if not is_nested(row):  # an empty cell is stored as null, as on the fast path
            for column, value in row.items():
                feature = _empty_feature(column, value, by_name)
                if feature is not None:
                    attributes[feature.family.value].setdefault(feature.name, None)
        li = lead_input
        identity = (li.email, li.name, li.phone, li.company, li.source, li.external_id)
        return identity, map_text(attributes), lead_id_of(client_id, li.external_id, li.email), row_cells


class _Chunk:
    """The accepted rows of one chunk, scored in one ONNX run and turned into items."""

    def __init__(
        self,
        client_id: str,
        config: ScoringConfig,
        model: LoadedModel,
        accepted: _Accepted,
        job_id: str,
        scored_at: datetime,
        actor: str,
    ) -> None:
        self.client_id, self.config, self.model = client_id, config, model
        self.job_id, self.scored_at, self.actor = job_id, scored_at, actor
        self.accepted = accepted
        n = len(accepted.rows)
        # Model features the tenant no longer defines are missing for every row.
        self.columns = {name: accepted.cells.get(name) or [_missing(name, ftype)] * n for name, ftype in model.schema}

    def inputs(self) -> ModelInputs:
        """What LoadedModel.inputs would build from the same values: NaN or MISSING_CATEGORY for gaps, days for dates."""
        model = self.model
        numbers: list[list[float]] = []
        for name in model.number_names:
            cells = self.columns[name]
            if model.conversions.get(name) == DAYS_SINCE:
                days: dict[Any, float] = {}
                values = []
                for cell in cells:
                    if cell.value not in days:
                        d = days_since(cell.value, self.scored_at)
                        days[cell.value] = math.nan if d is None else d
                    values.append(days[cell.value])
                numbers.append(values)
            else:
                values = list(map(_MODEL, cells))
                if str in set(map(type, values)):  # a feature the tenant has made categorical since the model was trained
                    values = [v if type(v) is float else model_number(c.value) for v, c in zip(values, cells, strict=True)]
                numbers.append(values)
        categories: list[list[str]] = []
        for name in model.category_names:
            cells = self.columns[name]
            texts = list(map(_MODEL, cells))
            if float in set(map(type, texts)):  # a feature the tenant has made numerical since
                texts = [v if type(v) is str else str(c.value) for v, c in zip(texts, cells, strict=True)]
            categories.append(texts)
        return model.matrices(numbers, categories, len(self.accepted.rows))

    def write(self, out: ScoredRows, existing: Mapping[str, Lead]) -> None:
        accepted, model, schema, n = self.accepted, self.model, self.model.schema, len(self.accepted.rows)
        names = [name for name, _ in schema]
        columns = [self.columns[name] for name in names]
        values = [list(map(_VALUE, column)) for column in columns]
        baselines = model.baselines
        same = None
        if baselines:
            same = np.array([list(map(eq, v, repeat(baselines.get(name), n))) for name, v in zip(names, values, strict=True)], dtype=bool)
            same = same.T.reshape(n, len(names))
        probabilities, ranked = model.explained(self.inputs(), same)
        present = np.array([list(map(is_not, v, repeat(None, n))) for v in values], dtype=bool).reshape(len(names), n)
        completeness = present.sum(axis=0) / len(names) if names else np.ones(n)
        explanations = self.explanations(names, columns, ranked) if ranked is not None else [None] * n

        # What every item of the chunk shares, written once.
        q = quoted
        stamp = q(_times().dump_python(self.scored_at, mode="json"))
        client_id, model_id, version = self.client_id, model.model_id, model.version
        shared = (
            f',"client_id":{{"S":{q(client_id)}}},"updated_at":{{"S":{stamp}}},"scored_at":{{"S":{stamp}}}'
            f',"model_id":{{"S":{q(model_id)}}},"model_version":{{"S":{q(version)}}}'
        )
        fresh = f',"conversion_status":{{"S":"new"}},"created_at":{{"S":{stamp}}}'
        event_prefix = q(decision_event_id(self.job_id, 0, self.scored_at)[:-9])[:-1]  # the opening quote, no closing one
        lead_key_prefix = q(f"{client_id}#")[:-1]
        decision_shared = (
            f',"type":{{"S":"decision"}},"at":{{"S":{stamp}}},"actor":{{"S":{q(self.actor)}}},"client_id":{{"S":{q(client_id)}}}'
            f',"model_id":{{"S":{q(model_id)}}},"model_version":{{"S":{q(version)}}}'
        )
        job = f'{{"S":{q(self.job_id)}}}'
        thresholds = self.config.thresholds
        threshold = value_text(stored(thresholds.qualified))

        # input_hash: sha256 of what the model saw, as domain.scoring.input_hash writes it (keys sorted).
        hash_order = sorted(range(len(names)), key=lambda j: names[j])
        canonical = map(",".join, zip(*(map(_CANONICAL, columns[j]) for j in hash_order), strict=True)) if names else [""] * n
        hash_tail = f'}},"model":{json.dumps(model_id)},"version":{json.dumps(version)}}}'
        sha256 = hashlib.sha256
        digests = [sha256(f'{{"features":{{{text}{hash_tail}'.encode()).hexdigest() for text in canonical]
        lead_items, decision_items, results, stored_leads = out.lead_items, out.decision_items, out.results, out.stored_leads
        scores, confidences, qualifieds, priorities, grades = score_columns(probabilities, completeness, thresholds)
        probability_texts = list(map(float_text, round_half_even(probabilities, 6).tolist()))
        for row, (email, name, phone, company, source, external_id), attributes, lead_id, digest, outcome, probability, explanation in zip(
            accepted.rows,
            accepted.identities,
            accepted.attributes,
            accepted.lead_ids,
            digests,
            zip(scores, confidences, qualifieds, priorities, grades, strict=True),
            probability_texts,
            explanations,
            strict=True,
        ):
            score, confidence, qualified, priority, grade = outcome
            score_text, confidence_text = rounded_text(score), rounded_text(confidence)
            qualified_text = TRUE if qualified else FALSE
            optional = ""
            if phone is not None:
                optional += f',"phone":{{"S":{q(phone)}}}'
            if company is not None:
                optional += f',"company":{{"S":{q(company)}}}'
            if external_id is not None:
                optional += f',"external_id":{{"S":{q(external_id)}}},"client_external_key":{{"S":{q(f"{client_id}#{external_id}")}}}'
            if explanation is not None:
                optional += ',"explanation":' + explanation
            before = existing.get(lead_id)
            kept = fresh if before is None else carried_text(before)
            item = (
                f'{{"id":{{"S":"{lead_id}"}},"email":{{"S":{q(email)}}},"name":{{"S":{q(name)}}}'
                f',"source":{{"S":{q(source)}}},"score":{score_text},"score_confidence":{confidence_text}'
                f',"qualified":{qualified_text},"priority":{{"S":"{priority}"}},"grade":{{"S":"{grade}"}}'
                f',"attributes":{attributes}{optional}{shared}{kept}}}'
            )
            if before is not None:
                cut = len(item) - len(kept) - 1  # where what is carried over from the stored lead starts
                stored_leads.append(StoredLeadItem(len(lead_items), lead_id, before.conversion_status, cut, fresh))
            lead_items.append(item)
            event_id = f'{event_prefix}{row:09d}"'
            decision_items.append(
                f'{{"event_id":{{"S":{event_id}}},"event_key":{{"S":{event_id}}},"lead_id":{{"S":"{lead_id}"}}'
                f',"lead_key":{{"S":{lead_key_prefix}{lead_id}"}}{decision_shared}'
                f',"input_hash":{{"S":"{digest}"}}'
                f',"score":{score_text},"threshold":{threshold},"qualified":{qualified_text}'
                f',"details":{{"M":{{"score_confidence":{confidence_text},"probability":{probability}'
                f',"priority":{{"S":"{priority}"}},"grade":{{"S":"{grade}"}},"updated_existing":{FALSE if before is None else TRUE}'
                f',"explanation":{explanation or NULL},"job_id":{job},"row":{{"N":"{row}"}}}}}}}}'
            )
            results.append(ResultRow(row, lead_id, external_id, score, qualified, priority, grade))

    def explanations(self, names: list[str], columns: list[list[Cell]], ranked: RankedFactors) -> list[str | None]:
        """Each row's explanation as the item's JSON text: its top factors, strongest first."""
        baselines = self.model.baselines or {}
        # Per feature, a factor's text up to its value; the value, contribution and impact follow. Contributions
        # repeat (remembered); impacts hardly do (written each time, so they never push the others out).
        heads = [
            f'{{"M":{{"feature":{{"S":{quoted(name)}}},"baseline":{value_text(stored(baselines.get(name)))},"value":' for name in names
        ]

        features, contributions, impacts, kept = ranked.features, ranked.contributions, ranked.impacts, ranked.kept

        def factors(r: int, i: int) -> str:  # the kept[r] factors of row r of `ranked`, lead i
            js, cs, ss = features[r], contributions[r], impacts[r]
            return ",".join(
                [
                    f'{heads[js[m]]}{columns[js[m]][i].wire},"contribution":{rounded_text(cs[m])},"score_impact":{float_text(ss[m])}}}}}'
                    for m in range(kept[r])
                ]
            )

        n = len(kept) // 2
        return [
            f'{{"M":{{"top_positive":{{"L":[{factors(i, i) if kept[i] else ""}]}},'
            f'"top_negative":{{"L":[{factors(n + i, i) if kept[n + i] else ""}]}}}}}}'
            for i in range(n)
        ]


def carried_text(lead: Lead) -> str:
    """What a re-scored lead keeps of the stored one (conversion state, creation time), as the item's JSON text."""
    dumped = lead.model_dump(mode="json", include=set(_LEAD_FIELDS))
    return "".join(f",{quoted(k)}:{value_text(stored(v))}" for k, v in dumped.items() if v is not None)


def _empty_feature(column: str, value: Any, by_name: Mapping[str, ScoringFeature]) -> ScoringFeature | None:
    if column in IDENTITY_COLUMNS or not (value is None or value == ""):
        return None
    return column_feature(column, by_name)[0]


def _missing(name: str, ftype: str) -> Cell:
    return Cell(None, MISSING_CATEGORY if ftype == "categorical" else math.nan, f'"{name}":null', NULL, f"{quoted(name)}:{NULL}")


@cache
def _attributes_template(present: tuple[bool, ...]) -> str:
    """The attributes map with a format field per family that has columns ({0}, {1}...), an empty map for each
    family that has none."""
    parts, k = [], 0
    for family, has_columns in zip(_FAMILIES, present, strict=True):
        if has_columns:
            parts.append(quoted(family) + ':{{"M":{{{' + str(k) + "}}}}}")
            k += 1
        else:
            parts.append(quoted(family) + ':{{"M":{{}}}}')
    return '{{"M":{{' + ",".join(parts) + "}}}}"


def _column_of(path: str, columns: Mapping[str, str], flat: bool) -> str:
    """An error's field as the file names it: the column for flat rows, the API's path for nested ones."""
    if not flat:
        return path
    if path in columns:
        return columns[path]
    # A required attribute the file has no column for: name the feature, as a column would.
    return path.rsplit(".", 1)[-1] if path.startswith("attributes.") else path
