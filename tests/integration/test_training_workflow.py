"""Training through the API and the real Step Functions definition, executed by moto, steps in-process."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.features import flatten
from leadscoring.schemas.lead import LeadInput
from leadscoring.services import wiring

from .conftest import Tenant
from .support import Api, assert_error

FEATURES = ["page_views", "email_click_rate", "form_submissions", "job_seniority", "company_stage", "previous_purchases"]


@pytest.fixture(scope="module")
def workflow(moto_endpoint: str) -> str:
    from local_stack.step_functions import install_training_workflow

    return install_training_workflow(moto_endpoint)


def _csv(count: int, seed: int, converted_limit: int | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["Lead Id", *FEATURES, "Converted"])
    writer.writeheader()
    converted = 0
    for i, demo in enumerate(generate(count, seed=seed)):
        flat = flatten(LeadInput.model_validate(demo.lead).attributes)
        label = demo.converted and (converted_limit is None or converted < converted_limit)
        converted += label
        writer.writerow(
            {"Lead Id": f"L{i}", **{f: "" if flat.get(f) is None else flat[f] for f in FEATURES}, "Converted": "Yes" if label else "No"}
        )
    return out.getvalue().encode()


def _wait(api: Api, key: str, model_id: str, seconds: float = 600) -> dict[str, Any]:
    """The model's detail once its newest run is over. A run takes seconds; a loaded machine (training in moto's
    executor, in this process, beside the other worker) may take minutes, and this returns as soon as it is over."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        detail = api.get(f"/models/{model_id}", key).body
        if detail["runs"] and detail["runs"][0]["status"] != "running":
            return detail
        time.sleep(0.5)
    raise AssertionError(f"training of {model_id} did not finish in {seconds} s")


def _create(api: Api, tenant: Tenant, **body: Any) -> str:
    reply = api.post(
        "/models", tenant.admin, body={"name": "Import test", "model_type": "logistic_regression", "time_budget_seconds": 5, **body}
    )
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def test_a_new_tenant_imports_a_csv_trains_deploys_and_scores(workflow: str, api: Api, make_tenant: Callable[..., Tenant]) -> None:
    tenant = make_tenant("import", with_model=False)
    wiring.client_files().write(tenant.client_id, "imports/history.csv", _csv(600, seed=41), "text/csv")
    model_id = _create(api, tenant)

    started = api.post(
        f"/models/{model_id}/train",
        tenant.admin,
        body={"source": {"kind": "file", "key": "imports/history.csv", "target": "Converted", "positive_values": ["Yes"]}},
    )
    assert started.status == 202, started.body
    assert started.body["status"] == "running" and started.body["version"] == "1"

    detail = _wait(api, tenant.admin, model_id)
    run = detail["runs"][0]
    assert run["status"] == "succeeded", run
    [version] = detail["versions"]
    assert version["version"] == "1" and 0.6 < version["roc_auc"] <= 1
    performance = api.get(f"/models/{model_id}/performance", tenant.analyst).body
    assert performance["versions"][0]["metrics"]["confusion_matrix"]

    assert api.post(f"/models/{model_id}/deploy", tenant.admin, body={"version": "1"}).status == 200
    lead = {
        "email": "new@lead.example",
        "name": "New Lead",
        "source": "web",
        "attributes": {"behavioral": {"page_views": 12, "form_submissions": 2}},
    }
    scored = api.post("/score", tenant.integration, body=lead)
    assert scored.status == 200, scored.body
    assert (scored.body["model_id"], scored.body["model_version"]) == (model_id, "1")

    # Training again makes version 2 without touching version 1; deploying 1 again is the rollback.
    assert (
        api.post(
            f"/models/{model_id}/train",
            tenant.admin,
            body={"source": {"kind": "file", "key": "imports/history.csv", "target": "Converted", "positive_values": ["Yes"]}},
        ).status
        == 202
    )
    detail = _wait(api, tenant.admin, model_id)
    assert [v["version"] for v in detail["versions"]] == ["1", "2"] and detail["active_version"] == "1"


def test_a_run_on_data_that_is_not_ready_fails_with_its_reason(workflow: str, api: Api, make_tenant: Callable[..., Tenant]) -> None:
    tenant = make_tenant("notready", with_model=False)
    wiring.client_files().write(tenant.client_id, "imports/few.csv", _csv(300, seed=43, converted_limit=17), "text/csv")
    model_id = _create(api, tenant)
    body = {"source": {"kind": "file", "key": "imports/few.csv", "target": "Converted", "positive_values": ["Yes"]}}
    assert api.post(f"/models/{model_id}/train", tenant.admin, body=body).status == 202

    run = _wait(api, tenant.admin, model_id)["runs"][0]
    assert run["status"] == "failed"
    assert "needs 23 more converted leads" in run["failure_reason"]
    assert api.get(f"/models/{model_id}", tenant.admin).body["versions"] == []  # nothing half-registered


def test_training_requests_that_cannot_start_are_refused(workflow: str, api: Api, make_tenant: Callable[..., Tenant]) -> None:
    tenant = make_tenant("refuse", with_model=False)
    model_id = _create(api, tenant)
    missing = {"source": {"kind": "file", "key": "imports/none.csv", "target": "Converted"}}
    assert_error(api.post(f"/models/{model_id}/train", tenant.admin, body=missing), 404, "NOT_FOUND")
    climbing = {"source": {"kind": "file", "key": "../other/leads.csv", "target": "Converted"}}
    assert api.post(f"/models/{model_id}/train", tenant.admin, body=climbing).status == 422
    assert_error(api.post("/models/no-such-model/train", tenant.admin, body={}), 404, "NOT_FOUND")
    assert api.post(f"/models/{model_id}/train", tenant.analyst, body={}).status == 403
    unknown_feature = {"name": "x", "model_type": "random_forest", "features": ["telepathy"]}
    assert api.post("/models", tenant.admin, body=unknown_feature).status == 422
    assert api.post("/models", tenant.admin, body={"name": "x", "model_type": "svm"}).status == 422
    assert_error(api.post(f"/models/{model_id}/deploy", tenant.admin, body={"version": "9"}), 404, "NOT_FOUND")
