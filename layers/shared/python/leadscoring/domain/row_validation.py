"""A fast, column-at-a-time acceptance check for flat batch-file rows, equivalent to the API's for ordinary input.

It only ever says "valid, and here is the value the API would have stored" or "cannot tell": a cell or
field it cannot decide sends its whole row down the exact path (LeadInput + validate_attributes), so every
refused row gets exactly the API's errors. What it decides is cached by text, because a file's columns
repeat their values (rates, counts, categories, sources, email domains).

Equivalences it relies on (each is tested against the exact path):
- attribute text reads as in `row_values.read_text`; an int or float is accepted by pydantic's strict union
  unchanged when finite, within +-1e15 and not below 1e-30 in magnitude; a string is stripped and at most
  500 characters; then the feature's type and rules (`value_problems`).
- email: schemas.emails.EmailCheck, which the API's own LeadInput also tries first.
- name, company, source, external_id: stripped, within their lengths; phone: stripped, the API's pattern.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

from leadscoring.domain.features import MISSING_CATEGORY, takes_dates, value_problems
from leadscoring.domain.row_values import INTEGER, NUMBER, read_text
from leadscoring.schemas.lead import MAX_MAGNITUDE, MIN_MAGNITUDE, AttributeValue
from leadscoring.schemas.model import ScoringFeature

MAX_STRING_ATTRIBUTE = 500
# Per column: a few MB of cells at most; cleared (not evicted one by one) when full.
MAX_CACHED_VALUES = 20_000
_PHONE = re.compile(r"\+?[0-9 ().\-]{5,30}")
# Lines each empty or a phone (no line can hold a newline: each is one value).
_PHONE_LINES = re.compile(r"(?:(?:\+?[0-9 ().\-]{5,30})?\n)*(?:\+?[0-9 ().\-]{5,30})?")


class Cell(NamedTuple):
    """One attribute value of a lead, in each form the scoring path needs; `value` is None when missing."""

    value: AttributeValue  # as the API stores it in the lead's attributes
    model: float | str  # the model's input (a days_since date stays as sent: its days depend on the job's time)
    canonical: str  # `"name":value` as input_hash writes it
    wire: str  # `value` as the item's JSON text (data.wire_text)
    entry: str  # `"name":<wire>`: the cell in its family's map


# A cell only the exact path can decide (never scored).
UNDECIDED = Cell(None, math.nan, "", "", "")
# A value accepted for a feature as the item's JSON text.
WireText = Callable[[Any], str]


def in_attribute_range(value: float) -> bool:
    """pydantic's bounds on a numeric attribute (schemas.lead): finite, at most 1e15, 0 or at least 1e-30."""
    magnitude = abs(value)
    return math.isfinite(magnitude) and magnitude <= MAX_MAGNITUDE and not (0 < magnitude < MIN_MAGNITUDE)


def missing_cell(feature: ScoringFeature, wire_of: WireText) -> Cell:
    model = MISSING_CATEGORY if feature.type == "categorical" else math.nan
    null = wire_of(None)
    return Cell(None, model, f'"{feature.name}":null', null, f"{json.dumps(feature.name)}:{null}")


def cell_of(feature: ScoringFeature, value: AttributeValue, wire_of: WireText) -> Cell:
    """The cell of a value already accepted for `feature` (as validate_attributes accepts it)."""
    if value is None:
        return missing_cell(feature, wire_of)
    if feature.type == "categorical":
        model: float | str = str(value)
    elif takes_dates(feature) and isinstance(value, str):
        model = math.nan
    else:
        model = float(value)
    wire = wire_of(value)
    return Cell(value, model, f'"{feature.name}":{json.dumps(value, default=str)}', wire, f"{json.dumps(feature.name)}:{wire}")


class ColumnCheck:
    """Accepts the cells of one feature's column, text by text; remembers every decision."""

    def __init__(self, feature: ScoringFeature, wire_of: WireText) -> None:
        self.feature = feature
        self.missing = missing_cell(feature, wire_of)
        self._wire_of = wire_of
        self._text: dict[str, Cell] = {"": self.missing}
        self._typed: dict[tuple[type, Hashable], Cell] = {}
        self.required = feature.is_active and any(r.type == "required" for r in feature.validation_rules)
        rules = feature.validation_rules
        # Plain numbers with min/max rules (most features) are checked inline; anything else by value_problems.
        self._plain_number = (
            feature.type == "numerical"
            and not takes_dates(feature)
            and all(r.type in ("min", "max", "required") and not isinstance(r.value, (str, list)) for r in rules)
        )
        self._low = max((float(r.value) for r in rules if r.type == "min" and isinstance(r.value, (int, float))), default=-math.inf)
        self._high = min((float(r.value) for r in rules if r.type == "max" and isinstance(r.value, (int, float))), default=math.inf)
        self._prefix = f'"{feature.name}":'
        self._entry = f"{json.dumps(feature.name)}:"

    def cells(self, values: Sequence[Any]) -> tuple[list[Cell], list[int]]:
        """The cell of each value (missing ones included), and the positions only the exact path can decide."""
        cache = self._text
        if len(cache) > MAX_CACHED_VALUES:
            cache.clear()
            cache[""] = self.missing
        # Only accepted texts are cached, so one scan for misses finds every cell still to decide.
        try:
            out: list[Any] = list(map(cache.get, values))
        except TypeError:  # an unhashable value (a JSON list or object): decided one by one
            out = [None] * len(values)
        undecided: list[int] = []
        if None in out:
            for i, cell in enumerate(out):
                if cell is None:
                    value = values[i]
                    if type(value) is str:
                        cell = out[i] = self._text_cell(value)
                        if cell is not UNDECIDED:
                            cache[value] = cell
                    else:
                        cell = out[i] = self._typed_cell(value)
                if cell is UNDECIDED:
                    undecided.append(i)
        if self.required:
            undecided.extend(i for i, cell in enumerate(out) if cell.value is None and cell is not UNDECIDED)
        return out, undecided

    def _text_cell(self, text: str) -> Cell:
        if self._plain_number:
            return self._number_cell(text)
        return self._accept(read_text(self.feature, text))

    def _number_cell(self, text: str) -> Cell:
        """read_text + pydantic's strict number + value_problems for a plain number with min/max rules."""
        stripped = text.strip()
        value: int | float
        if INTEGER.fullmatch(stripped):
            value = int(stripped) if len(stripped) <= 19 else float(stripped)
        elif NUMBER.fullmatch(stripped):
            value = float(stripped)
        else:
            return UNDECIDED
        if not in_attribute_range(value) or value < self._low or value > self._high:
            return UNDECIDED
        model, canonical = (float(value), self._prefix + str(value)) if type(value) is int else (value, self._prefix + repr(value))
        wire = self._wire_of(value)
        return Cell(value, model, canonical, wire, self._entry + wire)

    def _typed_cell(self, value: Any) -> Cell:
        if value is None:
            return self.missing
        if not isinstance(value, (bool, int, float)):
            return UNDECIDED
        key = (type(value), value)
        found = self._typed.get(key)
        if found is None:
            found = self._typed[key] = self._accept(value)
        return found

    def _accept(self, value: Any) -> Cell:
        if isinstance(value, str):
            value = value.strip()
            if len(value) > MAX_STRING_ATTRIBUTE:
                return UNDECIDED
        elif not isinstance(value, bool) and not in_attribute_range(float(value)):
            return UNDECIDED
        if value_problems(self.feature, value):
            return UNDECIDED
        return cell_of(self.feature, value, self._wire_of)


class TextCheck:
    """A stripped string field of the lead within its length (name, company, source, external_id), cached."""

    def __init__(self, max_length: int, cached: bool) -> None:
        self._max = max_length
        self._cache: dict[str, str] | None = {} if cached else None  # accepted texts only

    def value(self, raw: Any) -> str | None:
        """The stripped text, "" when missing, None when undecided."""
        if raw is None or raw == "":
            return ""
        if type(raw) is not str:
            return None
        cache = self._cache
        if cache is not None:
            hit = cache.get(raw)
            if hit is not None:
                return hit
        text = raw.strip()
        if not 0 < len(text) <= self._max:
            return None
        if cache is not None and len(cache) < MAX_CACHED_VALUES:
            cache[raw] = text
        return text

    def values(self, column: Sequence[Any]) -> list[str | None]:
        """value() of each raw value: a column of plain strings within the length in a few C calls."""
        stripped = _stripped(column)
        if stripped is None or max(map(len, filter(None, stripped)), default=0) > self._max:
            return [self.value(v) for v in column]
        return stripped


def phone_values(column: Sequence[Any]) -> list[str | None]:
    """phone_value() of each raw value; a column of plain strings in one match of all its lines."""
    stripped = _stripped(column)
    if stripped is not None and None not in stripped:  # None: a value of only spaces, which phone_value refuses
        joined = "\n".join(stripped)  # type: ignore[arg-type]  # checked: no None
        if joined.count("\n") == len(stripped) - 1 and _PHONE_LINES.fullmatch(joined):
            return stripped
    return [phone_value(v) for v in column]


def _stripped(column: Sequence[Any]) -> list[str | None] | None:
    """Each value stripped ("" stays "", a value of only spaces is None: undecided); None unless all are strings."""
    try:
        stripped: list[str | None] = list(map(str.strip, column))
    except TypeError:
        return None
    if "" in stripped:
        stripped = [None if text == "" and raw != "" else text for raw, text in zip(column, stripped, strict=True)]
    return stripped


def phone_value(raw: Any) -> str | None:
    """The stripped phone, "" when missing, None when undecided."""
    if raw is None or raw == "":
        return ""
    if type(raw) is not str:
        return None
    text = raw.strip()
    return text if _PHONE.fullmatch(text) else None
