"""Rows of a batch file are accepted, refused and scored exactly as POST /score treats the same lead."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from benchmarks.in_memory_storage import InMemoryTenants
from leadscoring.data.audit import decision_item
from leadscoring.data.codec import from_item
from leadscoring.data.leads import lead_to_item
from leadscoring.data.wire_text import item_from_text
from leadscoring.demo_data import generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import InvalidInput, field_errors
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten, validate_attributes
from leadscoring.domain.row_values import lead_payload
from leadscoring.routes import Role
from leadscoring.schemas.emails import EmailCheck
from leadscoring.schemas.lead import Lead, LeadInput
from leadscoring.services.row_scoring import ResultRow, RowError, RowScoring, ScoredRows, decision_event_id, lead_id_of
from leadscoring.services.scoring import _LEAD_NAMESPACE, ScoringService, lead_identity
from leadscoring.training.trainer import train_model

SCORED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FEATURES = {f.name: f for f in default_features()}


@pytest.fixture(scope="module")
def trained():
    leads = generate(400, seed=41)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    return train_model(rows, [d.converted for d in leads], default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0)


@pytest.fixture
def tenants(trained):
    tenants = InMemoryTenants()
    tenants.add("c1", "m", trained.onnx_bytes, trained.metadata, default_features())
    return tenants


@pytest.fixture
def rows_service(tenants):
    return RowScoring(tenants.service(config_cache_seconds=60.0), tenants.leads)


def csv_row(body: dict) -> dict[str, str]:
    """A lead as one CSV line reads: every value text, missing ones empty."""
    row = {k: "" if body.get(k) is None else str(body[k]) for k in ("email", "name", "phone", "company", "source", "external_id")}
    for values in body.get("attributes", {}).values():
        for name, value in values.items():
            row[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return row


def without(item: dict, times: tuple[str, ...]) -> dict:
    """An item minus its timestamps, and minus attributes sent as null (an empty cell is simply absent)."""
    attributes = {family: {k: v for k, v in values.items() if v is not None} for family, values in item["attributes"].items()}
    return {**{k: v for k, v in item.items() if k not in times}, "attributes": attributes}


def score(rows_service, rows, first_row=1, job_id="job-1"):
    """score_rows, its items read back from the JSON text DynamoDB receives into the format the API's code writes."""
    out = rows_service.score_rows("c1", rows, first_row=first_row, job_id=job_id, scored_at=SCORED_AT, key_id="key_1")
    out.lead_items = [item_from_text(item) for item in out.lead_items]
    out.decision_items = [item_from_text(item) for item in out.decision_items]
    return out


def test_a_csv_row_scores_exactly_as_the_api_scores_the_same_lead(tenants, rows_service):
    bodies = [d.lead for d in generate(5, seed=42)]
    scored = score(rows_service, [csv_row(b) for b in bodies])
    assert scored.errors == []
    api = tenants.service(config_cache_seconds=60.0)
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    for body, item, result in zip(bodies, scored.lead_items, scored.results, strict=True):
        lead = api.score_lead(principal, LeadInput.model_validate(body))
        assert (result.lead_id, result.score, result.grade, result.priority) == (lead.id, lead.score, lead.grade, lead.priority)
        assert lead.explanation is not None and lead.explanation.top_positive
        times = ("created_at", "updated_at", "scored_at")  # the API's are now, the file's the job's time
        assert without(item, times) == without(lead_to_item(lead), times)
        assert Lead.model_validate(from_item(item)).scored_at == SCORED_AT


def test_nested_jsonl_rows_follow_the_api_schema(rows_service):
    body = generate(1, seed=43)[0].lead
    scored = score(rows_service, [body, {**body, "email": "second@example.org", "external_id": None}])
    assert scored.errors == [] and len(scored.lead_items) == 2


def test_bad_rows_get_the_api_messages_and_good_rows_are_scored_regardless(rows_service):
    good = csv_row(generate(1, seed=44)[0].lead)
    rows = [
        {**good, "email": "not-an-email"},
        {**good, "page_views": "many"},
        {**good, "email_open_rate": "1.5"},
        {**good, "industry": "farming"},
        {**good, "name": ""},
        good,
        {**good, "uses_marketing_automation": "maybe"},
        {**good, "company_size": "1e40"},
    ]
    scored = score(rows_service, rows, first_row=11)
    by_row = {}
    for error in scored.errors:
        by_row.setdefault(error.row, []).append(error)
    assert sorted(by_row) == [11, 12, 13, 14, 15, 17, 18]
    assert by_row[11][0].field == "email" and "email" in by_row[11][0].message
    assert by_row[12] == [RowError(12, "page_views", "must be a number", "type_error")]
    assert by_row[13] == [RowError(13, "email_open_rate", "must be <= 1.0", "rule_max")]
    assert by_row[14][0].type == "rule_allowed_values" and by_row[14][0].field == "industry"
    assert by_row[15] == [RowError(15, "name", "Field required", "missing")]
    assert by_row[17] == [RowError(17, "uses_marketing_automation", "must be true or false", "type_error")]
    assert by_row[18][0].type == "attribute_range"
    assert [r.row for r in scored.results] == [16]


def test_a_repeated_identity_in_one_call_is_refused(rows_service):
    row = csv_row(generate(1, seed=45)[0].lead)
    scored = score(rows_service, [row, {**row, "name": "Someone Else"}])
    assert len(scored.results) == 1
    assert [(e.row, e.type) for e in scored.errors] == [(2, "duplicate_in_batch")]


def test_decision_keys_are_the_same_when_a_chunk_is_retried(rows_service):
    rows = [csv_row(d.lead) for d in generate(3, seed=46)]
    first = score(rows_service, rows, first_row=101)
    again = score(rows_service, rows, first_row=101)
    keys = [d["event_key"] for d in first.decision_items]
    assert keys == [d["event_key"] for d in again.decision_items]
    assert keys[0] == decision_event_id("job-1", 101, SCORED_AT) == "2026-11-26T12:00:00.000000Z#job-1#000000101"
    assert len(set(keys)) == 3
    assert [d["details"]["row"] for d in first.decision_items] == [101, 102, 103]
    assert all(d["actor"] == "key_1" and d["at"] == "2026-11-26T12:00:00Z" for d in first.decision_items)


def test_family_qualified_columns_and_column_checks(rows_service):
    row = csv_row(generate(1, seed=47)[0].lead)
    row["behavioral.page_views"] = row.pop("page_views")
    assert score(rows_service, [row]).errors == []
    wrong = {**row, "demographic.bounce_rate": row.pop("bounce_rate")}
    assert score(rows_service, [wrong]).errors == [
        RowError(1, "demographic.bounce_rate", "belongs to the behavioral family", "wrong_family")
    ]

    assert rows_service.check_columns("c1", ["email", "name", "source", "page_views", "behavioral.bounce_rate"]) == []
    problems = rows_service.check_columns("c1", ["email", "page_views", "behavioral.page_views", "shoe_size"])
    assert {(p["field"], p["type"]) for p in problems} == {
        ("name", "missing_column"),
        ("source", "missing_column"),
        ("behavioral.page_views", "duplicate_column"),
        ("shoe_size", "unknown_column"),
    }


# -- the fast path against the API's own code, row by row ---------------------------------------------


def reference(tenants, rows, first_row, job_id="job-1"):
    """What the API's code makes of each row: lead_payload -> LeadInput -> validate_attributes, scored one
    lead at a time by ScoringService, items by lead_to_item / decision_item (the fast path must equal it)."""
    service = tenants.service(config_cache_seconds=60.0)
    config, model = service.active_model("c1")
    features = default_features()
    by_name = {f.name: f for f in features}
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    out = ScoredRows()
    seen = {}
    for offset, row in enumerate(rows):
        number = first_row + offset
        payload, columns, problems = lead_payload(row, by_name)
        details = list(problems)
        try:
            lead_input = LeadInput.model_validate(payload)
            validate_attributes(lead_input.attributes, features)
        except ValidationError as exc:
            details.extend(field_errors(list(exc.errors())))
        except InvalidInput as exc:
            details.extend(exc.details)
        if details:
            flat = "attributes" not in row
            out.errors.extend(
                RowError(number, columns.get(d["field"], d["field"].rsplit(".", 1)[-1]) if flat else d["field"], d["message"], d["type"])
                for d in details
            )
            continue
        identity = lead_identity("c1", lead_input)
        if identity in seen:
            where = "external_id" if lead_input.external_id else "email"
            out.errors.append(
                RowError(number, where, f"the same lead as row {seen[identity]} (same external_id or email)", "duplicate_in_batch")
            )
            continue
        seen[identity] = number
        flat_values = flatten(lead_input.attributes)
        [p], explanations = model.predict_explained([flat_values], SCORED_AT)
        lead, decision = ScoringService._decide(
            principal,
            config,
            model,
            lead_input,
            identity,
            flat_values,
            float(p),
            explanations[0] if explanations else None,
            None,
            SCORED_AT,
            None,  # a file row comes with no delivery of its own
        )
        decision = decision.model_copy(
            update={
                "event_id": decision_event_id(job_id, number, SCORED_AT),
                "details": {**decision.details, "job_id": job_id, "row": number},
            }
        )
        item = lead_to_item(lead)
        for column, value in row.items():  # an empty cell is stored as null (as an attribute sent as null)
            feature = by_name.get(column.rpartition(".")[2])
            if "attributes" not in row and value == "" and feature is not None:
                item["attributes"][feature.family.value].setdefault(feature.name, None)
        out.lead_items.append(item)
        out.decision_items.append(decision_item("c1", decision))
        out.results.append(ResultRow(number, identity, lead.external_id, lead.score, lead.qualified, lead.priority, lead.grade))
    out.errors.sort(key=lambda e: e.row)
    return out


ODD_VALUES = {
    "email": [
        " Lea.Silva@Umbrella.EXAMPLE ",
        "a@b",
        "x@localhost",
        "x@site.test",
        "Lea <lea@x.org>",
        "élodie@exemple.fr",
        "a..b@x.org",
        "a@xn--bcher-kva.example",
        "a@x.123",
        "",
        "q" * 65 + "@x.org",
        "a+tag@sub.domain.org",
        "A@B.CO",
    ],
    "name": ["  Ann  ", "", "   ", "x" * 201, "x" * 200, "Zoë"],
    "phone": ["", "+1 (555) 010-2000", "12", "phone", " 5550100 "],
    "company": ["", " Acme ", "y" * 201],
    "source": ["web", "", " x" * 60],
    "external_id": ["", " ext-1 ", "z" * 201],
    "page_views": ["", "12", " 7 ", "+3", "-1", "1.5", "1e3", "1e400", "nan", "inf", "many", "1_000", "١٢", "0012", "1e-40", "5."],
    "email_open_rate": ["", "0.5", "1", "1.0001", "-0.0", ".5", "1e-31"],
    "industry": ["", "software", " software ", "farming", "Software"],
    "country": ["", "FR", "fr", " FR", "FRA"],
    "uses_marketing_automation": ["", "true", "FALSE", " yes ", "0", "2", "maybe"],
    "growth_rate": ["", "-100", "-101", "1000", "1000.5", "12345678901234567890"],
    "shoe_size": ["", "42"],
}


def odd_rows(count, seed):
    import random

    rng = random.Random(seed)
    rows = []
    for i, d in enumerate(generate(count, seed=seed)):
        row = csv_row(d.lead)
        for column in rng.sample(sorted(ODD_VALUES), rng.choice([0, 0, 1, 1, 2])):
            if column == "shoe_size":
                continue  # an unknown column is the file's problem (check_columns); tested with its own header
            row[column] = rng.choice(ODD_VALUES[column])
        if i % 17 == 5 and rows:
            row["external_id"] = rows[-1]["external_id"]  # a repeated lead
        rows.append(row)
    return rows


def test_the_fast_path_equals_the_apis_code_on_odd_rows(tenants, rows_service):
    rows = odd_rows(300, seed=48)
    fast = score(rows_service, rows, first_row=7)
    expected = reference(tenants, rows, first_row=7)
    assert fast.errors == expected.errors
    assert fast.results == expected.results
    assert fast.lead_items == expected.lead_items
    assert fast.decision_items == expected.decision_items
    assert len(fast.errors) > 50 and len(fast.results) > 150  # both paths were exercised


def test_nested_rows_and_mixed_chunks_equal_the_apis_code(tenants, rows_service):
    bodies = [d.lead for d in generate(20, seed=49)]
    rows = [b if i % 3 else csv_row(b) for i, b in enumerate(bodies)]
    rows[4] = {**bodies[4], "attributes": {"behavioral": {"page_views": "12"}}}  # the API's types: a string is no number
    rows[5] = {**csv_row(bodies[5]), "page_views": 12, "uses_marketing_automation": True}  # flat JSONL with JSON types
    fast = score(rows_service, rows)
    expected = reference(tenants, rows, first_row=1)
    assert fast.errors == expected.errors and [e.field for e in fast.errors] == ["attributes.behavioral.page_views"]
    assert fast.lead_items == expected.lead_items and fast.decision_items == expected.decision_items


def test_leads_with_few_factors_in_a_chunk_equal_the_apis_code(trained, tenants, rows_service):
    """Leads mostly at their features' baselines have fewer than three factors each way (or none): a chunk
    (ranked with numpy) lists exactly the API's factors for each."""
    import random

    rng = random.Random(53)

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    baselines = {name: cell(value) for name, value in trained.metadata["baselines"].items()}
    rows = []
    for body in (d.lead for d in generate(40, seed=54)):
        row = {**csv_row(body), **{name: text for name, text in baselines.items() if name in FEATURES}}
        own = csv_row(body)
        for name in rng.sample(sorted(baselines), rng.choice([0, 1, 2, 4])):
            row[name] = own.get(name, "")
        rows.append(row)
    fast = score(rows_service, rows)
    expected = reference(tenants, rows, first_row=1)
    assert fast.errors == expected.errors == []
    assert fast.lead_items == expected.lead_items and fast.decision_items == expected.decision_items
    sizes = {len(item["explanation"]["top_positive"]) for item in fast.lead_items}
    assert 0 in sizes and len(sizes) > 2  # no factors at all, and some but fewer than three


def test_an_unknown_column_refuses_its_rows_with_the_apis_message(rows_service):
    row = {**csv_row(generate(1, seed=50)[0].lead), "shoe_size": "42"}
    assert score(rows_service, [row]).errors == [RowError(1, "shoe_size", "is not a defined feature", "unknown_feature")]


def test_a_stored_lead_keeps_its_conversion_state_and_creation_time(tenants, rows_service):
    body = generate(1, seed=51)[0].lead
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    earlier = tenants.service(config_cache_seconds=60.0).score_lead(principal, LeadInput.model_validate(body))
    converted = earlier.model_copy(update={"conversion_status": "converted", "revenue": 1200.5})
    tenants.leads.leads[("c1", earlier.id)] = converted
    [item] = score(rows_service, [csv_row(body)]).lead_items
    assert (item["conversion_status"], item["revenue"]) == ("converted", Decimal("1200.5"))
    assert item["created_at"] == lead_to_item(earlier)["created_at"] and item["scored_at"] == "2026-11-26T12:00:00Z"


def test_a_stored_leads_item_is_marked_and_rebuilt_on_what_is_stored_when_read_again(tenants, rows_service):
    """A stored lead's item is written only while the lead is as read; read again, its item carries what is
    stored now and nothing else changes."""
    new_body, stored_body = (d.lead for d in generate(2, seed=52))
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    earlier = tenants.service(config_cache_seconds=60.0).score_lead(principal, LeadInput.model_validate(stored_body))
    rows = [csv_row(new_body), csv_row(stored_body)]
    out = rows_service.score_rows("c1", rows, first_row=1, job_id="j", scored_at=SCORED_AT, key_id=None)
    [marked] = out.stored_leads
    assert (marked.position, marked.lead_id, marked.seen) == (1, earlier.id, "new")

    converted = earlier.model_copy(update={"conversion_status": "converted", "revenue": 99.0})
    again, text = marked.reread(out.lead_items[1], converted)
    assert again.seen == "converted"
    rebuilt, original = item_from_text(text), item_from_text(out.lead_items[1])
    assert (rebuilt["conversion_status"], rebuilt["revenue"]) == ("converted", Decimal("99.0"))
    assert {k: v for k, v in rebuilt.items() if k != "revenue"} == {**original, "conversion_status": "converted"}

    gone, text = marked.reread(out.lead_items[1], None)  # no longer stored: written as a first score
    assert gone.seen is None and item_from_text(text)["created_at"] == "2026-11-26T12:00:00Z"


def test_lead_ids_are_the_apis_identities():
    for external_id, email in [(None, "A@x.org"), ("crm-1", "a@x.org"), (None, "ünï@x.org")]:
        lead_input = LeadInput(email="a@x.org", name="n", source="s", external_id=external_id)
        assert lead_id_of("c1", external_id, "a@x.org") == lead_identity("c1", lead_input)
        assert lead_id_of("c1", None, email) == str(uuid.uuid5(_LEAD_NAMESPACE, f"c1|email:{email.lower()}"))


def test_emails_the_fast_check_accepts_are_accepted_by_pydantic_with_the_same_normal_form():
    import random

    from pydantic import EmailStr, TypeAdapter

    pydantic_email = TypeAdapter(EmailStr)  # pydantic's own type, which LeadInput's email must equal
    rng = random.Random(52)
    check = EmailCheck()
    alphabet = "aZ09._%+-@!#é\"' "
    accepted = refused = 0
    for _ in range(3000):
        local = "".join(rng.choice(alphabet[:9] if rng.random() < 0.8 else alphabet) for _ in range(rng.randint(0, 8)))
        domain = ".".join("".join(rng.choice("abcXY01-") for _ in range(rng.randint(0, 5))) for _ in range(rng.randint(1, 3)))
        text = f"{local}@{domain}" + rng.choice(["", "", " ", "q"])
        fast = check.value(text)
        if fast is not None:
            accepted += 1
            assert pydantic_email.validate_python(text.strip()) == fast, text
        try:
            theirs: str | list = pydantic_email.validate_python(text.strip())
        except ValidationError as exc:
            theirs = [(e["type"], e["msg"]) for e in exc.errors()]
        try:
            mine: str | list = LeadInput(email=text, name="n", source="s").email
        except ValidationError as exc:
            mine = [(e["type"], e["msg"]) for e in exc.errors()]
            refused += 1
        assert mine == theirs, text
    assert accepted > 50 and refused > 100


def test_a_date_feature_counts_days_up_to_the_jobs_time():
    from datetime import timedelta

    from leadscoring.schemas.lead import FeatureFamily
    from leadscoring.schemas.model import ScoringFeature

    features = [
        ScoringFeature(name="page_views", type="numerical", family=FeatureFamily.BEHAVIORAL),
        ScoringFeature(name="last_visit", type="numerical", family=FeatureFamily.ENGAGEMENT, transformation="days_since"),
    ]
    rows, labels = [], []
    for i in range(300):
        days = i % 60
        rows.append({"page_views": float(i % 17), "last_visit": (SCORED_AT - timedelta(days=days)).date().isoformat()})
        labels.append(days < 20 if i % 7 else days >= 20)
    trained = train_model(rows, labels, features, "d", "1", "n", created_by="t", time_budget_seconds=0, importance_repeats=1, n_jobs=1)
    tenants = InMemoryTenants()
    tenants.add("c1", "d", trained.onnx_bytes, trained.metadata, features)
    service = RowScoring(tenants.service(config_cache_seconds=60.0), tenants.leads)
    base = {"email": "a@x.org", "name": "A", "source": "web"}
    file_rows = [
        {**base, "page_views": "5", "last_visit": "2026-11-20"},
        {**base, "email": "b@x.org", "page_views": "5", "last_visit": "yesterday"},
        {**base, "email": "c@x.org", "page_views": "5", "last_visit": "2026-09-01T08:00:00Z"},
    ]
    scored = score(service, file_rows)
    assert [(e.row, e.field, e.type) for e in scored.errors] == [(2, "last_visit", "type_error")]
    model = tenants.service(config_cache_seconds=60.0).active_model("c1")[1]
    expected, _ = model.predict_explained(
        [{"page_views": 5, "last_visit": "2026-11-20"}, {"page_views": 5, "last_visit": "2026-09-01T08:00:00Z"}], SCORED_AT
    )
    assert [r.score for r in scored.results] == [round(float(p) * 100, 2) for p in expected]
    assert scored.lead_items[0]["attributes"]["engagement"] == {"last_visit": "2026-11-20"}


def test_column_checks_answer_as_their_per_value_checks():
    """The batch path checks a column at a time (one match over all its lines); every column, clean or with
    one odd value anywhere, gets exactly the per-value answers."""
    import random

    from leadscoring.domain.row_validation import TextCheck, phone_value, phone_values

    rng = random.Random(51)
    clean = {
        "email": [d.lead["email"] for d in generate(40, seed=52)],
        "phone": ["+1 555 010 2000", "(555) 010-2000", "", "555.010.2000"],
        "name": ["Ann Lee", "Bo", "Zoë Ünal"],
    }
    odd = {
        "email": [*ODD_VALUES["email"], "a@b.org\nc@d.org", None, 7, "ok@x.org "],
        "phone": [*ODD_VALUES["phone"], "   ", "1234567\n7654321", None, 5550100, "+1 555 010 2000\n"],
        "name": [*ODD_VALUES["name"], None, 3, "\n"],
    }
    checks = {"email": EmailCheck(), "name": TextCheck(200, cached=False)}
    for field, values in clean.items():
        for _ in range(60):
            column = [rng.choice(values) for _ in range(rng.randint(1, 30))]
            if rng.random() < 0.7:
                column[rng.randrange(len(column))] = rng.choice(odd[field])
            if field == "phone":
                assert phone_values(column) == [phone_value(v) for v in column], column
            else:
                check = checks[field]
                assert check.values(column) == [check.value(v) for v in column], column
    assert EmailCheck().values([]) == [] and phone_values([]) == []


def test_result_rows_are_in_the_results_files_column_order():
    from leadscoring.domain.batch_files import RESULT_COLUMNS

    assert ResultRow._fields == RESULT_COLUMNS  # the worker writes them to the results file as they are
