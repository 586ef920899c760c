"""Lead Scoring Settings in a real browser: what it shows is what the API has, and what an admin changes there is
what the API then has; a change the API refuses says why and changes nothing.

Changes are made for tenants of their own (keys from the CLI), except deploy and rollback, which need a tenant
with leads to train on: the demo tenant, left with its first model active again."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import API, Stack

from .conftest import Watched, sign_in

SETTINGS = "/lead-scoring-settings"


def _tenant_key(stack: Stack, role: str = "admin", client: str | None = None) -> tuple[str, str]:
    client = client or f"settings-{uuid.uuid4().hex[:8]}"
    created = stack.cli("create-key", "--client", client, "--role", role, "--label", "browser settings tests")
    assert created.returncode == 0, created.stderr
    return client, json.loads(created.stdout.strip().splitlines()[-1])["api_key"]


def _api(stack: Stack, method: str, path: str, key: str, body: Any = None) -> Any:
    reply = stack.request(method, f"{API}{path}", key, body)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.raw[:500])
    return reply.json


def _cells(watched: Watched, selector: str) -> list[list[str]]:
    return [
        [c.strip() for c in row]
        for row in watched.page.locator(selector).evaluate_all(
            "rows => rows.map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.textContent))"
        )
    ]


def _open(watched: Watched, key: str) -> None:
    sign_in(watched, key, SETTINGS)
    expect(watched.page.get_by_role("heading", level=1)).to_have_text("Lead Scoring Settings")
    watched.page.locator("#features-table").wait_for()
    watched.page.wait_for_function("() => !document.querySelector('.settings-section[aria-busy]')")


def test_the_page_shows_the_config_every_model_version_and_every_feature_as_the_api_has_them(page: Watched, stack: Stack) -> None:
    _open(page, stack.api_key)
    config = _api(stack, "GET", "/config", stack.api_key)
    for field, value in (
        ("#threshold-qualified", config["thresholds"]["qualified"]),
        ("#threshold-high", config["thresholds"]["high_priority"]),
        ("#threshold-low", config["thresholds"]["low_priority"]),
        ("#cost-default", config["cost_per_lead"]["default"]),
    ):
        assert float(page.page.locator(field).input_value()) == value, field
    expect(page.page.locator("#currency")).to_have_value(config["currency"])

    models = _api(stack, "GET", "/models", stack.api_key)["items"]
    rows = _cells(page, "#models-table tbody tr")
    assert len(rows) == len(models) >= 1
    for row, model in zip(rows, models, strict=True):
        assert row[0].split(" ")[0] == model["id"] and row[1] == model["version"]
        assert row[3] == f"{model['roc_auc']:.3f}" and row[4] == f"{model['accuracy']:.3f}" and row[7] == f"{model['f1_score']:.3f}"
        assert (row[10] == "Active") == model["is_active"]

    features = _api(stack, "GET", "/features", stack.api_key)["items"]
    rows = _cells(page, "#features-table tbody tr")
    assert [r[0] for r in rows] == [f["name"] for f in features]
    by_name = {r[0]: r for r in rows}
    assert by_name["email_open_rate"][1:5] == ["behavioral", "numerical", "1", "yes"]
    assert by_name["email_open_rate"][6] == "min 0, max 1"
    assert by_name["country"][6].startswith("pattern ")
    page.screenshot("settings")


def test_an_admin_changes_thresholds_and_a_refused_change_says_why_and_changes_nothing(page: Watched, stack: Stack) -> None:
    _, key = _tenant_key(stack)
    _open(page, key)
    form = page.page.locator("#thresholds-form")
    form.get_by_label("Qualified at").fill("62.5")
    form.get_by_label("Cost per lead").fill("40")
    form.get_by_label("Currency").fill("eur")
    form.get_by_role("button", name="Save thresholds").click()
    expect(page.page.locator("#thresholds-status")).to_have_text("Saved: new scores use these thresholds.")
    config = _api(stack, "GET", "/config", key)
    assert config["thresholds"] == {"qualified": 62.5, "high_priority": 75.0, "low_priority": 25.0}
    assert (config["currency"], config["cost_per_lead"]["default"]) == ("EUR", 40.0)

    page.expect(r"HTTP 422: PUT /api/v1/leadscoring/config")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 422")
    form.get_by_label("Qualified at").fill("90")  # above high priority (75)
    form.get_by_role("button", name="Save thresholds").click()
    expect(page.page.locator("#thresholds-error")).to_contain_text("low_priority <= qualified <= high_priority")
    assert _api(stack, "GET", "/config", key)["thresholds"]["qualified"] == 62.5
    page.screenshot("settings-refused-thresholds")


def test_an_admin_adds_a_feature_and_edits_another(page: Watched, stack: Stack) -> None:
    _, key = _tenant_key(stack)
    _open(page, key)
    form = page.page.locator("#feature-form")
    form.get_by_label("Name").fill("trial_days_used")
    form.get_by_label("Family").select_option("engagement")
    form.get_by_label("Weight").fill("2")
    form.get_by_label("Transformation").fill("impute(zero) | log1p")
    form.get_by_label("Description").fill("Days of the trial used")
    form.get_by_role("button", name="Add feature").click()
    expect(page.page.locator("#features-status")).to_have_text("Added trial_days_used: leads may carry it now.")
    expect(page.page.locator("#features-table tr[data-feature=trial_days_used] td").nth(4)).to_have_text("impute(zero) | log1p")
    added = {f["name"]: f for f in _api(stack, "GET", "/features", key)["items"]}["trial_days_used"]
    assert (added["family"], added["type"], added["weight"]) == ("engagement", "numerical", 2.0)
    assert added["description"] == "Days of the trial used"

    page.page.get_by_role("button", name="Edit industry").click()
    edit = page.page.get_by_role("form", name="Edit feature industry")
    edit.get_by_label("Weight").fill("3.5")
    edit.get_by_label("Active").uncheck()
    edit.get_by_role("button", name="Save feature").click()
    expect(page.page.locator("#features-status")).to_have_text("Saved industry.")
    expect(page.page.locator("#features-table tr[data-feature=industry] td").nth(3)).to_have_text("no")
    industry = {f["name"]: f for f in _api(stack, "GET", "/features", key)["items"]}["industry"]
    assert (industry["weight"], industry["is_active"], industry["type"]) == (3.5, False, "categorical")


def test_a_feature_the_api_refuses_is_explained_and_not_added(page: Watched, stack: Stack) -> None:
    _, key = _tenant_key(stack)
    _open(page, key)
    page.expect(r"HTTP 4(09|22): POST /api/v1/leadscoring/features")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 4(09|22)")
    form = page.page.locator("#feature-form")
    form.get_by_label("Name").fill("deal_stage")
    form.get_by_label("Type").select_option("categorical")
    form.get_by_label("Transformation").fill("log1p")  # a numeric step on a category
    form.get_by_role("button", name="Add feature").click()
    expect(page.page.locator("#features-error")).to_contain_text("transformation:")
    page.page.locator("#feature-form").get_by_label("Name").fill("industry")  # taken, by the catalog
    page.page.locator("#feature-form").get_by_label("Transformation").fill("")
    page.page.locator("#feature-form").get_by_role("button", name="Add feature").click()
    expect(page.page.locator("#features-error")).to_contain_text("A feature named industry already exists")
    names = [f["name"] for f in _api(stack, "GET", "/features", key)["items"]]
    assert "deal_stage" not in names and names.count("industry") == 1


def test_an_analyst_reads_the_settings_but_cannot_change_them(page: Watched, stack: Stack) -> None:
    client, _ = _tenant_key(stack, "admin")
    _, analyst = _tenant_key(stack, "analyst", client)
    _open(page, analyst)
    page.expect(r"HTTP 403: PUT /api/v1/leadscoring/config")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 403")
    page.page.locator("#thresholds-form").get_by_label("Qualified at").fill("55")
    page.page.locator("#thresholds-form").get_by_role("button", name="Save thresholds").click()
    expect(page.page.locator("#thresholds-error")).to_have_text("Only an admin key can change settings; this key can read them.")
    assert _api(stack, "GET", "/config", analyst)["thresholds"]["qualified"] == 50.0
    expect(page.page.locator("#models-body")).to_contain_text("No model has been trained yet")


def _trained_version(stack: Stack, key: str) -> dict[str, Any]:
    """A second model for the demo tenant, trained through the API (a few seconds on its demo leads)."""
    model = _api(stack, "POST", "/models", key, {"name": "Challenger", "model_type": "logistic_regression", "time_budget_seconds": 5})
    _api(stack, "POST", f"/models/{model['id']}/train", key, {})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = _api(stack, "GET", f"/models/{model['id']}", key)
        run = detail["runs"][-1]
        if run["status"] != "running":
            assert run["status"] == "succeeded", run
            return dict(detail["versions"][-1])
        time.sleep(1)
    raise AssertionError("training did not finish in 120 s")


def test_deploying_a_version_makes_it_score_and_deploying_the_old_one_rolls_back(page: Watched, stack: Stack) -> None:
    key = stack.api_key
    before = _api(stack, "GET", "/config", key)["active_model"]
    challenger = _trained_version(stack, key)
    _open(page, key)
    name = f"{challenger['id']} version {challenger['version']}"
    page.page.get_by_role("button", name=f"Deploy {name}").click()  # asks first: nothing is deployed yet
    expect(page.page.locator("#models-status")).to_contain_text("Click Confirm deploy to go ahead.")
    assert _api(stack, "GET", "/config", key)["active_model"] == before
    page.page.get_by_role("button", name=f"Confirm deploy {name}").click()
    expect(page.page.locator("#models-status")).to_have_text(f"{name} now scores new leads.")
    expect(page.page.locator(f"#models-table tr[data-model='{challenger['id']}'] .badge-active")).to_have_text("Active")
    assert _api(stack, "GET", "/config", key)["active_model"] == {"id": challenger["id"], "version": challenger["version"]}
    page.screenshot("settings-deployed")

    page.page.get_by_role("button", name=f"Deploy {before['id']} version {before['version']}").click()
    page.page.get_by_role("button", name=f"Confirm deploy {before['id']} version {before['version']}").click()
    expect(page.page.locator(f"#models-table tr[data-model='{before['id']}'] .badge-active")).to_have_text("Active")
    assert _api(stack, "GET", "/config", key)["active_model"] == before
