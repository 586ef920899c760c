"""GET /audit/data-quality, /audit/drift and /audit/bias through the gateway, on leads scored through the API.

Two tenants with the seeded model: `steady` gets demo leads drawn as the model's training history was; `shifted`
gets leads whose email open rate, company size and industry moved away from it, and whose use of marketing
automation goes with strong or weak engagement. Figures are checked against counts made here from what was sent
and what the API answered, and the two tenants against each other.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadscoring.demo_data import generate

from .conftest import MODEL_ID, Tenant
from .support import Api, assert_error, error_fields

SHIFTED = ("email_open_rate", "country", "industry")
UNTOUCHED = ("company_size", "job_seniority", "company_stage", "growth_rate", "market_position", "previous_purchases")


def _score(api: Api, tenant: Tenant, leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reply = api.post("/batch-score", tenant.integration, body={"leads": leads})
    assert reply.status == 200, reply.body
    assert reply.body["summary"]["scored"] == len(leads), reply.body["summary"]
    return [r["lead"] for r in reply.body["results"]]


def _demo(prefix: str, count: int, seed: int) -> list[dict[str, Any]]:
    leads = []
    for k, demo in enumerate(generate(count, seed=seed)):
        lead = demo.lead
        lead["external_id"], lead["email"] = f"{prefix}-{k}", f"{prefix}-{k}@example.com"
        leads.append(lead)
    return leads


def _shift(k: int, lead: dict[str, Any]) -> dict[str, Any]:
    """Every lead from South Korea (no training lead came from there), none with an industry, and (alternately)
    strong engagement with marketing automation or none without: the open rate at 0.97 (above any training lead's) or 0."""
    attributes = lead["attributes"]
    attributes["demographic"]["country"] = "KR"
    attributes["demographic"].pop("industry", None)
    engaged = k % 2 == 0
    attributes["firmographic"]["uses_marketing_automation"] = engaged
    attributes["behavioral"].update(
        {"email_open_rate": 0.97, "email_click_rate": 0.6, "email_response_rate": 0.4, "page_views": 60, "form_submissions": 6}
        if engaged
        else {"email_open_rate": 0.0, "email_click_rate": 0.0, "email_response_rate": 0.0, "page_views": 0, "form_submissions": 0}
    )
    attributes["behavioral"].update(
        {"content_downloads": 8, "video_views": 6, "campaign_interactions": 8, "bounce_rate": 0.05}
        if engaged
        else {"content_downloads": 0, "video_views": 0, "campaign_interactions": 0, "bounce_rate": 0.99}
    )
    attributes["engagement"].update(
        {"meeting_attendance_rate": 0.95, "response_time_hours": 1.0, "content_consumption_minutes": 300.0}
        if engaged
        else {"meeting_attendance_rate": 0.0, "response_time_hours": 300.0, "content_consumption_minutes": 0.0}
    )
    return lead


# A tenant, the leads sent for it and the API's answers to them.
Sent = tuple[Tenant, list[dict[str, Any]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def steady(api: Api, make_tenant: Callable[..., Tenant]) -> Sent:
    tenant = make_tenant("steady")
    sent = _demo("steady", 200, seed=101)
    return tenant, sent, _score(api, tenant, sent)


@pytest.fixture(scope="module")
def shifted(api: Api, make_tenant: Callable[..., Tenant]) -> Sent:
    tenant = make_tenant("shifted")
    sent = [_shift(k, lead) for k, lead in enumerate(_demo("shifted", 160, seed=202))]
    return tenant, sent, _score(api, tenant, sent)


def _psi(bins: list[dict[str, Any]]) -> float:
    floor = 1e-4
    return sum(
        (max(b["live"], floor) - max(b["reference"], floor)) * math.log(max(b["live"], floor) / max(b["reference"], floor)) for b in bins
    )


# -- data quality ----------------------------------------------------------------------------------------------


def test_data_quality_counts_what_the_leads_carried(api: Api, steady: Sent, shifted: Sent) -> None:
    for tenant, sent, _ in (steady, shifted):
        reply = api.get("/audit/data-quality", tenant.analyst)
        assert reply.status == 200, reply.body
        report = reply.body
        assert report["sample"]["leads"] == len(sent) and not report["sample"]["truncated"]
        assert (report["model_id"], report["model_version"]) == (MODEL_ID, "1")
        assert sum(report["leads_per_day"].values()) == len(sent)
        assert report["hours_since_newest_lead"] < 1
        by_name = {f["feature"]: f for f in report["features"]}
        for name, row in by_name.items():
            values = [v for lead in sent for family in lead["attributes"].values() for k, v in family.items() if k == name]
            present = [v for v in values if v is not None]
            assert row["present"] == len(present), name
            assert row["completeness"] == pytest.approx(len(present) / len(sent)), name
            assert 0 <= row["training_completeness"] <= 1, name

    quiet = {f["subject"] for f in api.get("/audit/data-quality", steady[0].analyst).body["findings"] if f["severity"] != "info"}
    assert not quiet & set(SHIFTED)
    shifted_report = api.get("/audit/data-quality", shifted[0].analyst).body
    by_name = {f["feature"]: f for f in shifted_report["features"]}
    assert by_name["industry"]["completeness"] == 0 and by_name["industry"]["training_completeness"] > 0.9
    assert by_name["country"]["unseen_categories"] == 1.0  # no training lead came from South Korea
    assert by_name["email_open_rate"]["out_of_training_range"] == 0.5  # 0.97 on half: above any training open rate
    warned = {f["subject"] for f in shifted_report["findings"] if f["severity"] == "warning"}
    assert set(SHIFTED) <= warned


# -- drift -----------------------------------------------------------------------------------------------------


def test_drift_singles_out_the_features_that_moved(api: Api, steady: Sent, shifted: Sent) -> None:
    reports = {}
    for name, (tenant, sent, scored) in (("steady", steady), ("shifted", shifted)):
        reply = api.get("/audit/drift", tenant.analyst)
        assert reply.status == 200, reply.body
        report = reports[name] = reply.body
        assert (report["model_id"], report["model_version"], report["scored_leads"]) == (MODEL_ID, "1", len(sent))
        # The live score shares are the leads' own scores, binned by ten points.
        live = [sum(1 for lead in scored if min(int(lead["score"] // 10), 9) == k) / len(scored) for k in range(10)]
        assert [b["live"] for b in report["score"]["bins"]] == pytest.approx(live, abs=1e-4)
        for drift in [report["score"], *report["features"]]:
            assert drift["psi"] == pytest.approx(_psi(drift["bins"]), rel=1e-3, abs=2e-3)
            assert sum(b["reference"] for b in drift["bins"]) == pytest.approx(1, abs=1e-3)
            assert sum(b["live"] for b in drift["bins"]) == pytest.approx(1, abs=1e-3)

    steady_levels = {f["feature"]: f["level"] for f in reports["steady"]["features"]}
    assert len(steady_levels) == 26 and "significant" not in steady_levels.values()
    assert reports["steady"]["status"] in ("stable", "moderate")
    levels = {f["feature"]: f["level"] for f in reports["shifted"]["features"]}
    assert all(levels[name] == "significant" for name in SHIFTED)
    assert not {levels[name] for name in UNTOUCHED} & {"significant"}  # _shift left these as drawn
    assert reports["shifted"]["status"] == "significant"
    critical = {f["subject"] for f in reports["shifted"]["findings"] if f["severity"] == "critical"}
    assert set(SHIFTED) <= critical
    industry = next(f for f in reports["shifted"]["features"] if f["feature"] == "industry")
    assert next(b for b in industry["bins"] if b["bin"] == "(missing)")["live"] == 1.0


def test_outcomes_the_scores_rank_backwards_show_as_degraded(api: Api, make_tenant: Callable[..., Tenant]) -> None:
    tenant = make_tenant("degraded")
    scored = sorted(_score(api, tenant, _demo("degraded", 120, seed=303)), key=lambda lead: lead["score"])
    before = api.get("/audit/drift", tenant.analyst).body["performance"]
    assert before["with_outcome"] == 0 and before["status"] == "insufficient_data"
    # The 20 lowest scores convert, the 20 highest are lost: live ROC-AUC 0.
    for lead, status in [*((lead, "converted") for lead in scored[:20]), *((lead, "lost") for lead in scored[-20:])]:
        body = {"conversion_status": status, **({"revenue": 100.0} if status == "converted" else {})}
        assert api.post(f"/leads/{lead['id']}/conversion", tenant.integration, body=body).status == 200

    report = api.get("/audit/drift", tenant.analyst).body
    performance = report["performance"]
    assert (performance["with_outcome"], performance["converted"]) == (40, 20)
    assert performance["roc_auc"] == 0.0 and performance["training_roc_auc"] > 0.6
    assert performance["status"] == "degraded" and report["status"] == "degraded"
    qualified_converted = sum(lead["qualified"] for lead in scored[:20])
    assert performance["recall"] == pytest.approx(qualified_converted / 20)
    assert report["findings"][0]["severity"] == "critical" and report["findings"][0]["subject"] == "roc_auc"


def test_drift_of_a_named_version_and_what_is_refused(api: Api, steady: Sent, make_tenant: Callable[..., Tenant]) -> None:
    tenant = steady[0]
    named = api.get("/audit/drift", tenant.admin, query={"model_id": MODEL_ID, "model_version": "1"})
    assert named.status == 200 and named.body["scored_leads"] == len(steady[1])
    unknown = api.get("/audit/drift", tenant.admin, query={"model_id": "nope"})
    assert_error(unknown, 422, "VALIDATION_ERROR")
    assert error_fields(unknown) == {"model_id"}
    assert_error(api.get("/audit/drift", tenant.admin, query={"model_id": MODEL_ID, "model_version": "9"}), 422, "VALIDATION_ERROR")
    assert_error(api.get("/audit/drift", tenant.admin, query={"from": "2026-05-02", "to": "2026-05-01"}), 422, "VALIDATION_ERROR")
    odd_queries = [
        ("/audit/drift", {"model_version": "1"}),  # a version needs its model
        ("/audit/drift", {"from": "yesterday"}),
        ("/audit/data-quality", {"to": "2026-13-01"}),
        ("/audit/data-quality", {"from": "2020-01-01", "to": "2026-01-01"}),  # over 366 days
        ("/audit/bias", {"attribute": ""}),
        ("/audit/bias", {"attribute": "x" * 101}),
        ("/audit/bias", {"attribute": "source\u0000"}),
    ]
    for path, query in odd_queries:
        assert_error(api.get(path, tenant.analyst, query=query), 422)
    modelless = make_tenant("bare", with_model=False)
    assert_error(api.get("/audit/drift", modelless.admin), 409, "NO_ACTIVE_MODEL")
    # A writer's key reads no reports; another tenant sees none of these leads.
    assert api.get("/audit/drift", tenant.integration).status == 403
    assert api.get("/audit/data-quality", modelless.analyst).body["sample"]["leads"] == 0


# -- bias ------------------------------------------------------------------------------------------------------


def test_bias_compares_groups_as_counted_from_the_scores(api: Api, shifted: Sent) -> None:
    tenant, sent, scored = shifted
    reply = api.get("/audit/bias", tenant.analyst, query={"attribute": "uses_marketing_automation"})
    assert reply.status == 200, reply.body
    report = reply.body
    groups = {g["group"]: g for g in report["groups"]}
    assert set(groups) == {"true", "false"}
    rates = {}
    for flag in (True, False):
        members = [
            lead for lead, body in zip(scored, sent, strict=True) if body["attributes"]["firmographic"]["uses_marketing_automation"] is flag
        ]
        rates[flag] = sum(lead["qualified"] for lead in members) / len(members)
        g = groups["true" if flag else "false"]
        assert g["leads"] == len(members) and g["compared"]
        assert g["qualified_rate"] == pytest.approx(rates[flag])
        assert g["mean_score"] == pytest.approx(sum(lead["score"] for lead in members) / len(members))
    assert rates[True] > rates[False]  # engaged leads score higher: the data was made so
    impact = rates[False] / rates[True]
    assert groups["false"]["disparate_impact"] == pytest.approx(impact) and groups["true"]["disparate_impact"] == 1.0
    assert report["lowest_disparate_impact"] == pytest.approx(impact)
    assert impact < 0.8  # fails the four-fifths rule
    assert report["status"] == "review"
    assert [f["subject"] for f in report["findings"]] == ["false"]


def test_bias_by_source_and_what_cannot_be_grouped(api: Api, steady: Sent) -> None:
    tenant, sent, _ = steady
    report = api.get("/audit/bias", tenant.analyst).body
    assert report["attribute"] == "source"
    counts: dict[str, int] = {}
    for body in sent:
        counts[body["source"]] = counts.get(body["source"], 0) + 1
    assert {g["group"]: g["leads"] for g in report["groups"]} == counts
    assert all(g["compared"] == (g["leads"] >= report["min_group_leads"]) for g in report["groups"])
    reply = api.get("/audit/bias", tenant.analyst, query={"attribute": "no_such_feature"})
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert error_fields(reply) == {"attribute"} and reply.body["error"]["details"][0]["type"] == "unknown_attribute"

    # A number is grouped by its quartiles over the leads read: four bands of about a quarter each.
    banded = api.get("/audit/bias", tenant.analyst, query={"attribute": "company_size"}).body
    sizes = [body["attributes"]["demographic"].get("company_size") for body in sent]
    assert sum(g["leads"] for g in banded["groups"]) == len(sent)
    assert len(banded["groups"]) == 4 and all(g["compared"] for g in banded["groups"])
    lowest = next(g for g in banded["groups"] if g["group"].startswith("< "))
    edge = float(lowest["group"].removeprefix("< "))
    assert lowest["leads"] == sum(1 for v in sizes if v is not None and v < edge)


# -- on the record ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports_workflow(moto_endpoint: str) -> str:
    from local_stack.step_functions import install_reports_workflow

    return install_reports_workflow(moto_endpoint)


def _run(arn: str, payload: dict[str, Any]) -> tuple[str, Any]:
    from leadscoring.data.workflows import WorkflowStarter

    return WorkflowStarter(arn).run(f"test-{uuid.uuid4().hex[:12]}", payload, timeout_seconds=300)


def test_the_daily_workflow_puts_each_report_on_the_record_once(
    api: Api, reports_workflow: str, shifted: Sent, make_tenant: Callable[..., Tenant]
) -> None:
    """The deployed definition on moto's executor, every step in the real monitor handler, for the tenants named
    (the schedule names none: every tenant with a deployed model)."""
    tenant, quiet = shifted[0], make_tenant("quiet", with_model=False)
    at = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)
    run = {"time": at.isoformat(), "client_ids": [tenant.client_id, quiet.client_id]}

    status, output = _run(reports_workflow, run)
    assert status == "SUCCEEDED", output
    # The tenant without a model is not one to record.
    assert output["summary"] == {"at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "tenants": 1, "events_written": 3, "failed": []}
    status, again = _run(reports_workflow, run)  # a retried run writes nothing twice
    assert status == "SUCCEEDED" and again["summary"]["events_written"] == 0

    events = api.get("/audit/events", tenant.analyst, query={"type": "monitoring_report"}).body["items"]
    by_report = {e["details"]["report"]: e for e in events}
    assert len(events) == 3 and set(by_report) == {"data_quality", "drift", "bias"}
    assert all(e["actor"] == "system" and e["at"].startswith(at.date().isoformat()) for e in events)
    assert api.get("/audit/events", quiet.analyst, query={"type": "monitoring_report"}).body["items"] == []

    # Each is what the report answers for the same 30 days.
    period = {"from": (at.date() - timedelta(days=29)).isoformat(), "to": at.date().isoformat()}
    for report, path in (("data_quality", "/audit/data-quality"), ("drift", "/audit/drift"), ("bias", "/audit/bias")):
        answer = api.get(path, tenant.analyst, query=period).body
        details = by_report[report]["details"]
        assert details["status"] == answer["status"] and details["period"] == period
        assert details["leads"] == answer["sample"]["leads"] == len(shifted[1])
        assert details["findings"] == answer["findings"][:10]
    drift = by_report["drift"]
    assert (drift["model_id"], drift["model_version"]) == (MODEL_ID, "1")
    assert set(SHIFTED) <= set(drift["details"]["drifted_features"])
    assert by_report["bias"]["details"]["attribute"] == "source"


def test_a_tenant_that_fails_is_listed_and_fails_the_run(reports_workflow: str, make_tenant: Callable[..., Tenant]) -> None:
    """One tenant whose model record cannot be read: its reports fail, the run says which."""
    from leadscoring.data import aws
    from leadscoring.data.registry import artifact_prefix
    from leadscoring.settings import get_settings

    broken = make_tenant("broken")
    # The active model's record is gone from the models bucket (as if deleted by hand).
    key = artifact_prefix(broken.client_id, MODEL_ID, "1") + "metadata.json"
    aws.s3().delete_object(Bucket=get_settings().models_bucket, Key=key)
    status, output = _run(reports_workflow, {"time": "2026-12-01T05:00:00Z", "client_ids": [broken.client_id]})
    assert status == "FAILED", output
    assert broken.client_id in (output["cause"] or "")
