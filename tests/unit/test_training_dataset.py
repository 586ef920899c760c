"""Training data from CSV and JSON Lines: inference, mapping, labels, and errors that name the column."""

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from leadscoring.domain.errors import InvalidInput
from leadscoring.schemas.lead import FeatureFamily
from leadscoring.schemas.model import ScoringFeature
from leadscoring.training.dataset import DatasetError, family_of, load_training_data, snake_case
from leadscoring.training.trainer import train_model

HEADER = ["Prospect ID", "Lead Number", "Lead Source", "Do Not Email", "Converted", "TotalVisits", "Specialization", "Created On", "Notes"]


def csv_bytes(n: int = 120, header: Sequence[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    sources = ["Google", "Direct Traffic", "Olark Chat", "Reference"]
    for i in range(n):
        converted = i % 3 == 0
        writer.writerow(
            [
                f"p-{i:04d}",
                660000 + i,
                sources[i % 4] if i % 17 else "",
                "Yes" if i % 7 == 0 else "No",
                int(converted),
                (i % 9) + (4 if converted else 0) if i % 11 else "",
                "Select" if i % 5 == 0 else ("Finance" if i % 2 else "Marketing"),
                f"2026-0{1 + i % 9}-{1 + i % 28:02d}",
                "call back, maybe" if i % 2 else "",
            ]
        )
    return out.getvalue().encode()


def test_csv_infers_feature_definitions() -> None:
    data = load_training_data(csv_bytes(), target="Converted", positive=1, missing_values=["", "Select"])
    types = {f.name: (f.type, f.transformation) for f in data.features}
    assert types == {
        "lead_source": ("categorical", None),
        "do_not_email": ("boolean", None),
        "totalvisits": ("numerical", None),
        "specialization": ("categorical", None),
        "created_on": ("numerical", "days_since"),
        "notes": ("categorical", None),
    }
    assert data.skipped == {"Prospect ID": "identifier: every value is unique", "Lead Number": "identifier: every value is unique"}
    assert len(data.rows) == 120 and data.positives == 40 and data.dropped_rows == 0
    first, second = data.rows[0], data.rows[1]
    assert first["specialization"] is None  # "Select" means not chosen
    assert second["specialization"] == "Finance" and second["do_not_email"] is False and second["totalvisits"] == 1.0
    assert first["do_not_email"] is True and first["created_on"] == "2026-01-01"
    assert data.columns["totalvisits"] == "TotalVisits"


def test_csv_from_a_path_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(csv_bytes())
    data = load_training_data(path, target="Converted", positive="1", columns={"TotalVisits": "visits", "Lead Source": "source"})
    assert [f.name for f in data.features] == ["visits", "source"]
    assert data.rows[1] == {"visits": 1.0, "source": "Direct Traffic"}


def test_jsonl_with_a_label_rule_and_given_definitions() -> None:
    statuses = ["Closed - Converted", "Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"]
    lines = [
        json.dumps({"Id": i, "Status": statuses[i % 4], "Employees": 10 * i, "Industry": "media" if i % 2 else None}) for i in range(40)
    ]
    lines.insert(5, "")  # blank lines are skipped
    definitions: list[ScoringFeature | Mapping[str, Any]] = [
        {"name": "employees", "type": "numerical", "family": "firmographic", "transformation": "log1p"},
        ScoringFeature(name="industry", type="categorical", family=FeatureFamily.FIRMOGRAPHIC),
    ]
    data = load_training_data(
        "\n".join(lines).encode(),
        target="Status",
        positive="closed - converted",
        columns={"Employees": "employees", "Industry": "industry"},
        features=definitions,
    )
    assert data.positives == 10 and data.positive_labels == ("closed - converted",)
    assert data.features[0].transformation == "log1p" and data.rows[2] == {"employees": 20.0, "industry": None}


def test_a_plainly_binary_target_needs_no_rule_and_rows_without_outcome_are_dropped() -> None:
    text = "visits,won\n" + "\n".join(f"{i},{'yes' if i % 2 else 'no'}" for i in range(30)) + "\n5,\n"
    data = load_training_data(text.encode(), target="won")
    assert data.positives == 15 and data.dropped_rows == 1 and data.features[0].type == "numerical"


def test_feature_types_override_inference() -> None:
    data = load_training_data(
        csv_bytes(), target="Converted", positive=1, columns={"TotalVisits": "visits"}, feature_types={"visits": "categorical"}
    )
    assert data.features[0].type == "categorical" and data.rows[1]["visits"] == "1"


@pytest.mark.parametrize(
    ("source", "kwargs", "message", "column"),
    [
        (b"a,b,Converted\n1,2,1\n1,2,3,4\n", {}, "line 3 has 4 fields, the header has 3", None),
        (b"", {}, "empty or has no header", None),
        (b"a,a,Converted\n1,2,1\n", {}, "column 'a' appears twice", "a"),
        (b"\xff\xfea,b\n", {}, "not UTF-8", None),
        (b'{"a": 1, "Converted": 1}\n{"a": \n', {}, "line 2 is not valid JSON", None),
        (b'{"a": {"b": 1}, "Converted": 1}\n', {}, "column 'a' holds a nested value", "a"),
        (b"a,b\n1,2\n", {}, "target column 'Converted' is not in the file (columns: a, b)", "Converted"),
        (b"a,Converted\n1,won\n2,lost\n3,open\n", {}, "target column 'Converted' is not binary: it has 3 distinct values", "Converted"),
        (b"a,Converted\n1,won\n2,lost\n", {}, "say which of 'lost' or 'won' means converted", "Converted"),
        (
            b"a,Converted\n1,won\n2,lost\n",
            {"positive": "Closed"},
            "no row of target column 'Converted' has the positive label",
            "Converted",
        ),
        (b"a,Converted\n1,1\n", {"feature_types": {"a": "text"}}, "column 'a': unknown feature type 'text'", "a"),
        (b"a,Converted\n1,1\n", {"features": [{"name": "a", "type": "text", "family": "behavioral"}]}, "unknown feature type 'text'", "a"),
        (
            b"a,Converted\n1,1\nx,0\n",
            {"features": [{"name": "a", "type": "numerical", "family": "behavioral"}]},
            "'x' is not a number",
            "a",
        ),
        (b"a,Converted\nmaybe,1\n", {"features": [{"name": "a", "type": "boolean", "family": "behavioral"}]}, "not a yes/no value", "a"),
        (
            b"a,Converted\n1,1\n",
            {"features": [{"name": "b", "type": "numerical", "family": "behavioral"}]},
            "feature 'b' has no column",
            "b",
        ),
        (b"a,Converted\n1,1\n", {"columns": {"missing": "m"}}, "column 'missing' is not in the file", "missing"),
        (b"a,Converted\n1,1\n", {"columns": {"a": "Bad Name"}}, "'Bad Name' is not a valid feature name", "a"),
        (b"a,Converted\n1,1\n", {"exclude": ["nope"]}, "column 'nope' is not in the file", "nope"),
    ],
)
def test_errors_name_the_column(source: bytes, kwargs: dict[str, Any], message: str, column: str) -> None:
    with pytest.raises(DatasetError) as err:
        load_training_data(source, target="Converted", **kwargs)
    assert message in str(err.value)
    assert err.value.column == column
    assert isinstance(err.value, InvalidInput) and isinstance(err.value, ValueError) and err.value.status == 422


def test_a_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read"):
        load_training_data(tmp_path / "nope.csv", target="Converted")


def test_names_and_families() -> None:
    assert snake_case("Total Time Spent on Website") == "total_time_spent_on_website"
    assert snake_case("2nd Visit?") == "f_2nd_visit"
    assert family_of("Company Size") == FeatureFamily.FIRMOGRAPHIC
    assert family_of("What is your current occupation") == FeatureFamily.DEMOGRAPHIC
    assert family_of("Meeting attendance") == FeatureFamily.ENGAGEMENT
    assert family_of("TotalVisits") == FeatureFamily.BEHAVIORAL


def test_a_csv_trains_end_to_end() -> None:
    data = load_training_data(csv_bytes(200), target="Converted", positive=1, missing_values=["", "Select"], exclude=["Created On"])
    trained = train_model(data.rows, data.labels, data.features, "m", "1", "From CSV", created_by="t", time_budget_seconds=0)
    assert trained.model.roc_auc is not None and trained.model.roc_auc > 0.6 and trained.metadata.rows.total == 200
