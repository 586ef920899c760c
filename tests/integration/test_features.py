"""POST /features and PUT /features/{id}: a tenant defines and changes its features, leads follow at once, and
every change is on the record. Bad definitions are 422 and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadscoring.domain.feature_catalog import default_features

from .conftest import Tenant
from .support import Api, Tables, assert_error, error_fields, lead_body

CATALOG = [f.name for f in default_features()]


@pytest.fixture
def fresh(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("feat")


def _features(api: Api, tenant: Tenant) -> dict[str, dict[str, Any]]:
    reply = api.get("/features", tenant.analyst)
    assert reply.status == 200, reply.body
    return {f["name"]: f for f in reply.body["items"]}


def _feature_changes(tables: Tables, client_id: str) -> list[dict[str, Any]]:
    changes = (i for i in tables.audit(client_id) if i["type"] == "config_change" and "feature" in i.get("details", {}))
    return sorted(changes, key=lambda i: i["event_key"])


def _lead_with(unique: str, family: str, **values: Any) -> dict[str, Any]:
    return lead_body(f"feature.{unique}@example.com", attributes={family: values})


TRIAL = {
    "name": "trial_days_used",
    "type": "numerical",
    "family": "engagement",
    "weight": 2.0,
    "transformation": "impute(zero) | log1p",
    "validation_rules": [{"type": "min", "value": 0}, {"type": "max", "value": 90}],
    "description": "Days of the free trial used",
}


def test_a_created_feature_is_listed_with_the_catalog_and_leads_may_carry_it(api: Api, fresh: Tenant, tables: Tables, unique: str) -> None:
    lead = _lead_with(unique, "engagement", trial_days_used=12)
    before = api.post("/score", fresh.integration, body=lead)
    error = assert_error(before, 422)
    assert "attributes.engagement.trial_days_used" in error_fields(before), error

    created = api.post("/features", fresh.admin, body=TRIAL)
    assert created.status == 201, created.body
    rules = [{"type": "min", "value": 0.0, "message": None}, {"type": "max", "value": 90.0, "message": None}]
    assert created.body == {**TRIAL, "validation_rules": rules, "is_active": True}

    listed = _features(api, fresh)
    assert set(listed) == {*CATALOG, "trial_days_used"}  # the catalog stays the tenant's
    assert listed["trial_days_used"] == created.body

    scored = api.post("/score", fresh.integration, body=lead)
    assert scored.status == 200, scored.body
    assert scored.body["attributes"]["engagement"]["trial_days_used"] == 12
    refused = api.post("/score", fresh.integration, body=_lead_with(unique + "x", "engagement", trial_days_used=91))
    assert "attributes.engagement.trial_days_used" in error_fields(refused)
    assert refused.status == 422

    batch = [_lead_with(unique + "b", "engagement", trial_days_used=3), _lead_with(unique + "c", "engagement", trial_days_used=-1)]
    batched = api.post("/batch-score", fresh.integration, body={"leads": batch})
    assert batched.status == 200, batched.body
    assert [r["status"] for r in batched.body["results"]] == ["scored", "invalid"]

    [change] = _feature_changes(tables, fresh.client_id)
    details = change["details"]
    assert details["feature"] == "trial_days_used" and details["change"] == "feature trial_days_used created"
    assert details["before"] is None and details["after"]["transformation"] == TRIAL["transformation"]
    assert change["actor"] != "system"


def test_an_update_changes_what_it_carries_and_is_on_the_record(api: Api, fresh: Tenant, tables: Tables, unique: str) -> None:
    lead = _lead_with(unique, "demographic", industry="software")
    assert api.post("/score", fresh.integration, body=lead).status == 200
    catalog = _features(api, fresh)["industry"]

    update: dict[str, Any] = {
        "weight": 3.5,
        "validation_rules": [{"type": "allowed_values", "value": ["finance", "retail"]}],
        "description": "Sector",
    }
    reply = api.put("/features/industry", fresh.admin, body=update)
    assert reply.status == 200, reply.body
    assert reply.body == {**catalog, **update, "validation_rules": [{**update["validation_rules"][0], "message": None}]}
    assert _features(api, fresh)["industry"] == reply.body
    assert set(_features(api, fresh)) == set(CATALOG)

    refused = api.post("/score", fresh.integration, body=lead)
    assert refused.status == 422 and "attributes.demographic.industry" in error_fields(refused)
    assert api.post("/score", fresh.integration, body=_lead_with(unique, "demographic", industry="retail")).status == 200

    # Clearing the description (null) and switching the feature off.
    cleared = api.put("/features/industry", fresh.admin, body={"description": None, "is_active": False})
    assert cleared.status == 200, cleared.body
    assert "description" not in cleared.body or cleared.body["description"] is None
    assert cleared.body["is_active"] is False

    first, second = _feature_changes(tables, fresh.client_id)
    assert first["details"]["before"]["weight"] == catalog["weight"] and first["details"]["after"]["weight"] == 3.5
    assert second["details"]["before"]["description"] == "Sector" and second["details"]["after"]["is_active"] is False


@pytest.mark.parametrize(
    ("name", "new_type", "values"),
    [
        ("page_views", "categorical", ["many", "12", "inf"]),
        ("uses_marketing_automation", "categorical", ["yes", "true"]),
        ("industry", "numerical", [3, 0.5]),
    ],
)
def test_a_feature_whose_type_changed_since_training_still_scores(
    api: Api, fresh: Tenant, unique: str, name: str, new_type: str, values: list[Any]
) -> None:
    """The active model was trained on the old type: until it is retrained, a value it cannot take as such is
    missing to it (the lead is still scored, stored with the value it sent, and explained)."""
    feature = _features(api, fresh)[name]
    assert api.put(f"/features/{name}", fresh.admin, body={"type": new_type, "validation_rules": []}).status == 200
    family = feature["family"]
    for k, value in enumerate(values):
        lead = _lead_with(f"{unique}{k}", family, **{name: value})
        reply = api.post("/score", fresh.integration, body=lead)
        assert reply.status == 200, reply.body
        assert reply.body["attributes"][family][name] == value
        batch = api.post("/batch-score", fresh.integration, body={"leads": [_lead_with(f"{unique}{k}b", family, **{name: value})]})
        assert batch.status == 200 and batch.body["results"][0]["status"] == "scored", batch.body


def test_an_update_that_changes_nothing_records_nothing(api: Api, fresh: Tenant, tables: Tables) -> None:
    weight = _features(api, fresh)["page_views"]["weight"]
    reply = api.put("/features/page_views", fresh.admin, body={"weight": weight})
    assert reply.status == 200 and reply.body["weight"] == weight
    assert _feature_changes(tables, fresh.client_id) == []


def test_a_taken_name_is_409_and_changes_nothing(api: Api, fresh: Tenant, tables: Tables) -> None:
    assert api.post("/features", fresh.admin, body=TRIAL).status == 201
    listed, audit = _features(api, fresh), len(tables.audit(fresh.client_id))
    for name in ("trial_days_used", "industry"):  # one the tenant made, one from the catalog
        reply = api.post("/features", fresh.admin, body={**TRIAL, "name": name, "weight": 9})
        assert_error(reply, 409, "FEATURE_EXISTS")
        assert error_fields(reply) == {"name"}
    assert _features(api, fresh) == listed
    assert len(tables.audit(fresh.client_id)) == audit


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**TRIAL, "transformation": "log1p | one_hot"}, {"transformation"}),
        ({**TRIAL, "transformation": "sqrt"}, {"transformation"}),
        ({**TRIAL, "type": "categorical", "transformation": None}, {"validation_rules.0.type", "validation_rules.1.type"}),
        ({**TRIAL, "validation_rules": [{"type": "min", "value": 10}, {"type": "max", "value": 5}]}, {"validation_rules"}),
        ({**TRIAL, "validation_rules": [{"type": "min", "value": 0}, {"type": "min", "value": 1}]}, {"validation_rules"}),
        ({**TRIAL, "validation_rules": [{"type": "min", "value": 1e300}]}, {"validation_rules.0.value"}),
        (
            {**TRIAL, "type": "categorical", "transformation": None, "validation_rules": [{"type": "pattern", "value": "([a-z"}]},
            {"validation_rules.0.value"},
        ),
        ({**TRIAL, "type": "categorical", "transformation": None, "validation_rules": [{"type": "allowed_values", "value": []}]}, None),
        ({**TRIAL, "type": "boolean", "transformation": None, "validation_rules": [{"type": "max_length", "value": 3}]}, None),
        ({**TRIAL, "name": "Trial Days"}, {"name"}),
        ({**TRIAL, "family": "psychographic"}, {"family"}),
        ({**TRIAL, "weight": 11}, {"weight"}),
        ({**TRIAL, "colour": "blue"}, {"colour"}),
        ({**TRIAL, "transformation": "x" * 501}, {"transformation"}),
        ({k: v for k, v in TRIAL.items() if k != "type"}, {"type"}),
    ],
    ids=[
        "step-for-another-type",
        "unknown-step",
        "numeric-rules-on-a-category",
        "min-above-max",
        "a-rule-twice",
        "bound-past-storage",
        "pattern-does-not-compile",
        "no-allowed-values",
        "length-rule-on-a-boolean",
        "bad-name",
        "unknown-family",
        "weight-over-10",
        "unknown-field",
        "transformation-too-long",
        "no-type",
    ],
)
def test_a_bad_definition_is_422_and_changes_nothing(
    api: Api, tenant: Tenant, tables: Tables, body: dict[str, Any], fields: set[str] | None
) -> None:
    listed, audit = _features(api, tenant), len(tables.audit(tenant.client_id))
    reply = api.post("/features", tenant.admin, body=body)
    assert_error(reply, 422)
    if fields is not None:
        assert fields <= error_fields(reply), reply.body
    assert _features(api, tenant) == listed
    assert len(tables.audit(tenant.client_id)) == audit


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/features/no_such_feature", {"weight": 1}, 404),
        ("/features/industry", {}, 422),
        ("/features/industry", {"type": None}, 422),
        ("/features/industry", {"name": "sector"}, 422),
        ("/features/industry", {"transformation": "log1p"}, 422),  # a numeric step on a category
        ("/features/Industry", {"weight": 1}, 422),
    ],
    ids=["unknown", "empty", "null-type", "rename", "bad-transformation", "bad-id"],
)
def test_a_bad_update_changes_nothing(api: Api, tenant: Tenant, tables: Tables, path: str, body: dict[str, Any], status: int) -> None:
    listed, audit = _features(api, tenant), len(tables.audit(tenant.client_id))
    reply = api.put(path, tenant.admin, body=body)
    assert_error(reply, status)
    assert _features(api, tenant) == listed
    assert len(tables.audit(tenant.client_id)) == audit


def test_not_a_number_in_a_rule_is_refused(api: Api, tenant: Tenant) -> None:
    raw = '{"name": "nan_bound", "type": "numerical", "family": "engagement", "validation_rules": [{"type": "min", "value": NaN}]}'
    reply = api.post("/features", tenant.admin, raw=raw, headers={"Content-Type": "application/json"})
    assert 400 <= reply.status < 500, reply.body
    assert "nan_bound" not in _features(api, tenant)


def test_only_admins_change_features_and_only_their_own(api: Api, fresh: Tenant, other_tenant: Tenant) -> None:
    for role in ("analyst", "integration"):
        assert_error(api.post("/features", fresh.key(role), body=TRIAL), 403)
        assert_error(api.put("/features/industry", fresh.key(role), body={"weight": 2}), 403)
    assert "trial_days_used" not in _features(api, fresh)

    assert api.post("/features", fresh.admin, body=TRIAL).status == 201
    assert api.put("/features/industry", fresh.admin, body={"weight": 4}).status == 200
    theirs = _features(api, other_tenant)
    assert "trial_days_used" not in theirs
    assert theirs["industry"]["weight"] != 4
