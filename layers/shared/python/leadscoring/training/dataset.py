"""Training data from a CSV or JSON Lines export: rows of feature values, outcomes, and feature definitions.

    data = load_training_data(path_or_bytes, target="Converted", positive=1, missing_values=["", "Select"])
    train_model(data.rows, data.labels, data.features, ...)

- `columns` maps source columns to feature names ({"Total Time Spent on Website": "time_on_site"}); without
  it every column but the target (and `exclude`) is a candidate, named in snake_case.
- `positive` is the label (or labels) that mean "converted": 1, "Yes", "Closed - Converted"; compared as
  text, case-insensitively (1, "1" and 1.0 are the same). Without it the target must be plainly binary
  (0/1, true/false, yes/no). Rows without a target value are dropped and counted.
- `missing_values` are literals that mean "no value" (the empty string by default; e.g. "Select").
- Without `features`, definitions are inferred: Yes/No, true/false and 0/1 columns are boolean, numbers are
  numerical, ISO dates are numerical with `days_since`, anything else categorical. Columns whose every value
  is unique text (or unique numbers under an id-like name such as "Lead Number") are identifiers and skipped.
  The family is picked from the column name (company -> firmographic, country -> demographic, reply ->
  engagement, ...; behavioral otherwise). `feature_types` overrides the inferred type of a column.

Standard library only (csv, json): the API can parse an upload without pandas. Problems raise `DatasetError`
(a 422 through the API) naming the column and, where it helps, the line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import ValidationError

from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.feature_values import parse_date
from leadscoring.schemas.lead import AttributeValue, FeatureFamily
from leadscoring.schemas.model import FeatureType, ScoringFeature

FileFormat = Literal["csv", "jsonl"]
DEFAULT_MISSING = ("", "NA", "N/A", "n/a", "null", "NULL", "NaN", "nan")
FEATURE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TRUE, _FALSE = {"yes", "true", "y", "1"}, {"no", "false", "n", "0"}
_BOOLEAN_PAIRS = ({"yes", "no"}, {"true", "false"}, {"y", "n"}, {"1", "0"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_ID_NAME = re.compile(r"(^|[^a-z])(id|uuid|guid|key|number|no|ref|reference)$")
_FAMILY_WORDS: tuple[tuple[FeatureFamily, frozenset[str]], ...] = (
    (
        FeatureFamily.FIRMOGRAPHIC,
        frozenset({"company", "industry", "employees", "revenue", "funding", "stage", "market", "organization", "organisation", "sector"}),
    ),
    (
        FeatureFamily.DEMOGRAPHIC,
        frozenset(
            {"country", "city", "region", "state", "location", "occupation", "job", "title", "seniority", "role", "specialization"}
            | {"specialisation", "age", "gender", "education", "language"}
        ),
    ),
    (
        FeatureFamily.ENGAGEMENT,
        frozenset({"response", "meeting", "meetings", "call", "reply", "support", "purchase", "purchases", "tags", "tag", "quality"})
        | frozenset({"profile", "score", "index", "notable", "activity", "updates", "update", "agree"}),
    ),
)


class DatasetError(InvalidInput, ValueError):
    """The file cannot become training data; `column` (and `line`) say where."""

    code = "INVALID_DATASET"

    def __init__(self, message: str, column: str | None = None, line: int | None = None) -> None:
        detail: dict[str, Any] = {"field": f"columns.{column}" if column else "file", "message": message, "type": "invalid_dataset"}
        if line is not None:
            detail["line"] = line
        super().__init__(message, [detail])
        self.column = column
        self.line = line


@dataclass(frozen=True)
class TrainingData:
    rows: list[dict[str, AttributeValue]]
    labels: list[bool]
    features: list[ScoringFeature]
    columns: dict[str, str]  # feature name -> source column
    skipped: dict[str, str] = field(default_factory=dict)  # source column -> why it is not a feature
    dropped_rows: int = 0  # rows without a target value
    positive_labels: tuple[str, ...] = ()

    @property
    def positives(self) -> int:
        return sum(self.labels)


# --- reading ---------------------------------------------------------------------------------------------


def _text(source: bytes | str | Path) -> tuple[str, str | None]:
    if isinstance(source, bytes):
        data, suffix = source, None
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
        suffix = path.suffix.lower()
    try:
        return data.decode("utf-8-sig"), suffix
    except UnicodeDecodeError as exc:
        raise DatasetError(f"the file is not UTF-8 text (byte {exc.start} is not valid)") from None


def _format_of(text: str, suffix: str | None, file_format: FileFormat | None) -> FileFormat:
    if file_format:
        return file_format
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def _read_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise DatasetError("the file is empty or has no header row")
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for name in header:
            if not name:
                raise DatasetError("the header has an empty column name", line=1)
            if name in seen:
                raise DatasetError(f"column '{name}' appears twice in the header", column=name, line=1)
            seen.add(name)
        records: list[tuple[int, dict[str, Any]]] = []
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != len(header):
                raise DatasetError(f"line {reader.line_num} has {len(fields)} fields, the header has {len(header)}", line=reader.line_num)
            records.append((reader.line_num, dict(zip(header, (f.strip() for f in fields), strict=True))))
    except csv.Error as exc:
        raise DatasetError(f"malformed CSV near line {reader.line_num}: {exc}", line=reader.line_num) from None
    return header, records


def _read_jsonl(text: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    header: dict[str, None] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"line {number} is not valid JSON: {exc.msg}", line=number) from None
        if not isinstance(record, dict):
            raise DatasetError(f"line {number} is not a JSON object", line=number)
        for key, value in record.items():
            if isinstance(value, (dict, list)):
                raise DatasetError(f"line {number}: column '{key}' holds a nested value; flatten it first", column=key, line=number)
            header.setdefault(str(key), None)
        records.append((number, {str(k): (v.strip() if isinstance(v, str) else v) for k, v in record.items()}))
    if not records:
        raise DatasetError("the file has no records")
    return list(header), records


def read_records(source: bytes | str | Path, file_format: FileFormat | None = None) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """(columns, [(line number, record)]) from CSV or JSON Lines bytes or a path."""
    text, suffix = _text(source)
    fmt = _format_of(text, suffix, file_format)
    return _read_csv(text) if fmt == "csv" else _read_jsonl(text)


# --- values ----------------------------------------------------------------------------------------------


def _key(value: Any) -> str:
    """A label or boolean as comparable text: 1, "1", 1.0 and True all read "1"/"true" alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text.casefold()
    if math.isfinite(number) and number == int(number):
        return str(int(number))
    return text.casefold()


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def snake_case(column: str) -> str:
    """A valid feature name for a column: 'Total Time Spent on Website' -> 'total_time_spent_on_website'."""
    name = re.sub(r"[^a-z0-9]+", "_", column.strip().casefold()).strip("_")
    if not name or not name[0].isalpha():
        name = f"f_{name}".rstrip("_")
    return name[:64].rstrip("_")


def family_of(column: str) -> FeatureFamily:
    words = set(re.findall(r"[a-z]+", column.casefold()))
    for family, keys in _FAMILY_WORDS:
        if words & keys:
            return family
    return FeatureFamily.BEHAVIORAL


def _infer(column: str, values: list[Any]) -> tuple[FeatureType | None, str | None, str | None]:
    """(type, transformation, why skipped) for a column's present values."""
    if not values:
        return None, None, "no values"
    keys = {_key(v) for v in values}
    if any(keys <= pair for pair in _BOOLEAN_PAIRS):
        return "boolean", None, None
    unique = len(keys) == len(values) and len(values) >= 20
    if all(_is_number(v) for v in values):
        if unique and _ID_NAME.search(column.strip().casefold()):
            return None, None, "identifier: every value is unique"
        return "numerical", None, None
    if all(isinstance(v, str) and _ISO_DATE.match(v) and parse_date(v) for v in values):
        return "numerical", "days_since", None
    if unique:
        return None, None, "identifier: every value is unique"
    return "categorical", None, None


def _convert(feature: ScoringFeature, column: str, line: int, value: Any) -> AttributeValue:
    if value is None:
        return None
    if feature.type == "categorical":
        return value if isinstance(value, str) else _key(value) if isinstance(value, bool) else str(value)
    if feature.type == "boolean":
        key = _key(value)
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise DatasetError(f"column '{column}' line {line}: '{value}' is not a yes/no value", column=column, line=line)
    if (feature.transformation or "").strip().startswith("days_since"):
        if not isinstance(value, str) or parse_date(value) is None:
            raise DatasetError(f"column '{column}' line {line}: '{value}' is not an ISO 8601 date", column=column, line=line)
        return value
    if not _is_number(value):
        raise DatasetError(f"column '{column}' line {line}: '{value}' is not a number", column=column, line=line)
    return float(value)


def _definition(raw: ScoringFeature | Mapping[str, Any]) -> ScoringFeature:
    if isinstance(raw, ScoringFeature):
        return raw
    name = str(raw.get("name", "?"))
    if raw.get("type") is not None and raw.get("type") not in get_args(FeatureType):
        raise DatasetError(f"feature '{name}': unknown feature type '{raw.get('type')}' (numerical, categorical or boolean)", column=name)
    try:
        return ScoringFeature.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DatasetError(f"feature '{name}' is not a valid definition: {problems}", column=name) from None


def _positive_keys(target: str, labels: list[Any], positive: Any) -> set[str]:
    seen = sorted({_key(v) for v in labels})
    if positive is not None:
        wanted = {_key(p) for p in (positive if isinstance(positive, (list, tuple, set, frozenset)) else [positive])}
        if not wanted & set(seen):
            shown = ", ".join(f"'{s}'" for s in seen[:10])
            raise DatasetError(f"no row of target column '{target}' has the positive label (values seen: {shown})", column=target)
        return wanted
    if len(seen) > 2:
        shown = ", ".join(f"'{s}'" for s in seen[:10]) + (", ..." if len(seen) > 10 else "")
        raise DatasetError(
            f"target column '{target}' is not binary: it has {len(seen)} distinct values ({shown}); say which value(s) mean converted",
            column=target,
        )
    if set(seen) <= _TRUE | _FALSE:
        return set(seen) & _TRUE
    shown = " or ".join(f"'{s}'" for s in seen)
    raise DatasetError(f"target column '{target}': say which of {shown} means converted", column=target)


def load_training_data(
    source: bytes | str | Path,
    *,
    target: str,
    positive: Any = None,
    columns: Mapping[str, str] | None = None,
    features: Sequence[ScoringFeature | Mapping[str, Any]] | None = None,
    feature_types: Mapping[str, str] | None = None,
    missing_values: Sequence[str] = DEFAULT_MISSING,
    exclude: Sequence[str] = (),
    file_format: FileFormat | None = None,
) -> TrainingData:
    """Rows, outcomes and feature definitions from a CSV or JSONL file; see the module docstring."""
    header, records = read_records(source, file_format)
    present = set(header)
    if target not in present:
        raise DatasetError(f"target column '{target}' is not in the file (columns: {', '.join(header)})", column=target)
    for column in [*exclude, *(columns or {})]:
        if column not in present:
            raise DatasetError(f"column '{column}' is not in the file", column=column)
    missing = set(missing_values)

    def clean(value: Any) -> Any:
        return None if value is None or (isinstance(value, str) and value in missing) else value

    labelled = [(line, r) for line, r in records if clean(r.get(target)) is not None]
    dropped = len(records) - len(labelled)
    keys = _positive_keys(target, [r[target] for _, r in labelled], positive)
    labels = [_key(r[target]) in keys for _, r in labelled]

    mapping = dict(columns) if columns else {c: snake_case(c) for c in header if c != target and c not in set(exclude)}
    if target in mapping:
        raise DatasetError(f"target column '{target}' cannot also be a feature", column=target)
    for column, name in mapping.items():
        if not FEATURE_NAME.match(name):
            raise DatasetError(
                f"column '{column}': '{name}' is not a valid feature name (a-z, 0-9, _; starts with a letter)", column=column
            )
    names = list(mapping.values())
    for name in names:
        if names.count(name) > 1:
            sources = [c for c, n in mapping.items() if n == name]
            raise DatasetError(f"columns {', '.join(repr(s) for s in sources)} all map to feature '{name}'", column=sources[-1])

    types: dict[str, FeatureType] = {}
    for key, given_type in (feature_types or {}).items():
        if given_type not in get_args(FeatureType):
            raise DatasetError(f"column '{key}': unknown feature type '{given_type}' (numerical, categorical or boolean)", column=key)
        types[key] = cast(FeatureType, given_type)

    skipped: dict[str, str] = {}
    definitions: list[ScoringFeature] = []
    if features is not None:
        given = [_definition(f) for f in features]
        by_name = {name: column for column, name in mapping.items()}
        for feature in given:
            if feature.name not in by_name:
                raise DatasetError(f"feature '{feature.name}' has no column in the file (map one with `columns`)", column=feature.name)
        definitions = given
        mapping = {by_name[f.name]: f.name for f in given}
    else:
        for column, name in mapping.items():
            values = [v for _, r in labelled if (v := clean(r.get(column))) is not None]
            ftype, transformation, why = _infer(column, values)
            override = types.get(column) or types.get(name)
            if override:
                ftype, transformation, why = override, None, None
            if why or ftype is None:
                skipped[column] = why or "no type"
                continue
            definitions.append(ScoringFeature(name=name, type=ftype, transformation=transformation, family=family_of(column)))
        mapping = {c: n for c, n in mapping.items() if c not in skipped}

    source_of = {name: column for column, name in mapping.items()}
    rows: list[dict[str, AttributeValue]] = []
    for line, record in labelled:
        rows.append({f.name: _convert(f, source_of[f.name], line, clean(record.get(source_of[f.name]))) for f in definitions})
    return TrainingData(rows, labels, definitions, source_of, skipped, dropped, tuple(sorted(keys)))
