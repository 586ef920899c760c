"""Batch file jobs through the API and the batch workflow on moto (its Distributed Map emulated, see
local_stack.distributed_map), with the real batch_worker handler storing leads in the moto tables."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from leadscoring.data import aws
from leadscoring.data.keys import lead_item_key
from leadscoring.data.leads import LeadRepository
from leadscoring.demo_data import generate
from leadscoring.resources import AUDIT, LEADS, REGISTRY
from leadscoring.services import wiring

from .conftest import Tenant
from .support import Api, Tables, assert_error, error_fields

IDENTITY = ["email", "name", "phone", "company", "source", "external_id"]


@pytest.fixture(scope="module")
def workflow(moto_endpoint: str) -> str:
    from local_stack.step_functions import install_batch_workflow

    return install_batch_workflow(moto_endpoint)


@pytest.fixture(scope="module")
def batch_tenant(workflow: str, make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("batch")


def demo_leads(count: int, prefix: str, seed: int = 7) -> list[dict[str, Any]]:
    """Demo leads (the API's nested shape) with identities unique to `prefix`."""
    leads = []
    for i, demo in enumerate(generate(count, seed=seed)):
        lead = dict(demo.lead)
        lead["external_id"] = f"{prefix}-{i:06d}"
        lead["email"] = f"{prefix}-{i}@example.com"
        leads.append(lead)
    return leads


def flat_row(lead: dict[str, Any]) -> dict[str, str]:
    """A lead as a CSV row: identity columns, then one `family.feature` column per attribute ("" when missing)."""
    row = {column: "" if lead.get(column) is None else str(lead[column]) for column in IDENTITY}
    for family, features in (lead.get("attributes") or {}).items():
        for name, value in features.items():
            row[f"{family}.{name}"] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    return row


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def jsonl_file(objects: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objects).encode()


def put(tenant: Tenant, key: str, body: bytes) -> None:
    wiring.batch_files().write(tenant.client_id, key, body, "text/plain")


def wait(api: Api, tenant: Tenant, job_id: str, seconds: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reply = api.get(f"/batch-score/{job_id}", tenant.analyst)
        assert reply.status == 200, reply.body
        if reply.body["status"] in ("succeeded", "failed"):
            return dict(reply.body)
        time.sleep(0.3)
    raise AssertionError(f"batch job {job_id} did not finish in {seconds} s")


def run_file(api: Api, tenant: Tenant, key: str, file_format: str) -> dict[str, Any]:
    started = api.post("/batch-score", tenant.integration, body={"file": {"key": key, "format": file_format}})
    assert started.status == 202, started.body
    assert started.body["status"] == "running" and started.body["file_key"] == key
    return wait(api, tenant, started.body["job_id"])


def download(url: str) -> list[dict[str, str]]:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return list(csv.DictReader(io.StringIO(response.text)))


def job_records(client_id: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    table = aws.dynamodb().Table(REGISTRY.local_name)
    page = table.query(KeyConditionExpression=Key("client_id").eq(client_id) & Key("item").begins_with("BATCHJOB#"))
    return list(page["Items"])


def decisions_of(tables: Tables, client_id: str, job_id: str) -> list[dict[str, Any]]:
    return [e for e in tables.audit(client_id) if (e.get("details") or {}).get("job_id") == job_id]


def api_messages(api: Api, tenant: Tenant, lead: dict[str, Any]) -> list[str]:
    """What POST /score says about the same lead: the file's error file must say the same."""
    reply = api.post("/score", tenant.integration, body=lead)
    assert reply.status == 422, reply.body
    return [d["message"] for d in reply.body["error"]["details"]]


# -- whole jobs ----------------------------------------------------------------------------------------------
def test_a_csv_file_with_bad_rows_stores_every_good_lead_once_and_lists_every_bad_row(
    api: Api, batch_tenant: Tenant, tables: Tables
) -> None:
    prefix = f"csv-{uuid.uuid4().hex[:6]}"
    leads = demo_leads(1203, prefix)  # several chunks (at most 500 rows and 240 KiB each)
    rows = [flat_row(lead) for lead in leads]
    rows[4]["behavioral.page_views"] = "lots"  # row 5: wrong type
    rows[8]["email"] = ""  # row 9: a required value missing
    rows[12] = {**flat_row(leads[1]), "name": "Same person again"}  # row 13: the identity of row 2
    rows[700]["behavioral.page_views"] = "-5"  # row 701, second chunk: out of range
    put(batch_tenant, "imports/leads.csv", csv_file(rows))
    leads_before = len(tables.leads(batch_tenant.client_id))

    job = run_file(api, batch_tenant, "imports/leads.csv", "csv")

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 1203, "scored": 1199, "invalid": 4, "failed": 0}
    assert job["progress"] == 1.0 and job["finished_at"] and job["failure_reason"] is None

    errors = download(job["errors_url"])
    wrong_type = {
        **leads[4],
        "attributes": {**leads[4]["attributes"], "behavioral": {**leads[4]["attributes"]["behavioral"], "page_views": "lots"}},
    }
    negative = {
        **leads[700],
        "attributes": {**leads[700]["attributes"], "behavioral": {**leads[700]["attributes"]["behavioral"], "page_views": -5}},
    }
    expected = [
        {
            "row": "5",
            "field": "behavioral.page_views",
            "message": api_messages(api, batch_tenant, wrong_type)[0],
            "type": errors[0]["type"],
        },
        {"row": "9", "field": "email", "message": errors[1]["message"], "type": errors[1]["type"]},
        {
            "row": "13",
            "field": "external_id",
            "message": "the same lead as row 2 (same external_id or email)",
            "type": "duplicate_in_batch",
        },
        {
            "row": "701",
            "field": "behavioral.page_views",
            "message": api_messages(api, batch_tenant, negative)[0],
            "type": errors[3]["type"],
        },
    ]
    assert errors == expected
    assert errors[1]["type"] in ("missing", "string_too_short", "value_error") and errors[1]["message"]

    results = download(job["results_url"])
    bad = {5, 9, 13, 701}
    assert [int(r["row"]) for r in results] == [n for n in range(1, 1204) if n not in bad]
    stored = {lead["id"]: lead for lead in tables.leads(batch_tenant.client_id)}
    assert len(stored) == leads_before + 1199
    for result in results:
        lead = stored[result["lead_id"]]
        assert lead["external_id"] == leads[int(result["row"]) - 1]["external_id"]
        assert float(lead["score"]) == float(result["score"]) and lead["grade"] == result["grade"]
    # One decision record per scored row, keyed by (job, row).
    decisions = decisions_of(tables, batch_tenant.client_id, job["job_id"])
    assert sorted(int(d["details"]["row"]) for d in decisions) == [int(r["row"]) for r in results]


def test_a_jsonl_file_in_the_apis_nested_shape_scores_as_post_score_does(api: Api, batch_tenant: Tenant, tables: Tables) -> None:
    prefix = f"jsonl-{uuid.uuid4().hex[:6]}"
    leads = demo_leads(40, prefix, seed=11)
    put(batch_tenant, "imports/leads.jsonl", jsonl_file(leads))

    job = run_file(api, batch_tenant, "imports/leads.jsonl", "jsonl")

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 40, "scored": 40, "invalid": 0, "failed": 0}
    assert download(job["errors_url"]) == []
    results = download(job["results_url"])
    # Same lead, same model: the same score as POST /score gives (which then updates the same lead).
    single = api.post("/score", batch_tenant.integration, body=leads[3]).body
    assert single["id"] == results[3]["lead_id"] and single["score"] == float(results[3]["score"])
    ids = {lead["id"] for lead in tables.leads(batch_tenant.client_id)}
    assert {r["lead_id"] for r in results} <= ids


def test_a_lead_stored_from_a_file_is_the_item_post_score_stores(api: Api, batch_tenant: Tenant, tables: Tables) -> None:
    """One scoring path: the same lead sent to POST /score and in a file row is the same lead item and the same
    decision record, but for the scoring time and what brought it (a delivery, or the job and row)."""
    prefix = f"same-{uuid.uuid4().hex[:6]}"
    lead = demo_leads(1, prefix, seed=13)[0]
    scored = api.post("/score", batch_tenant.integration, body=lead)
    assert scored.status == 200, scored.body
    [from_api] = [i for i in tables.leads(batch_tenant.client_id) if i["id"] == scored.body["id"]]
    [api_decision] = [e for e in tables.audit(batch_tenant.client_id) if e.get("lead_id") == from_api["id"]]

    put(batch_tenant, "imports/same.csv", csv_file([flat_row(lead)]))
    job = run_file(api, batch_tenant, "imports/same.csv", "csv")
    assert job["status"] == "succeeded", job
    [from_file] = [i for i in tables.leads(batch_tenant.client_id) if i["id"] == scored.body["id"]]
    [file_decision] = decisions_of(tables, batch_tenant.client_id, job["job_id"])

    # onnxruntime's float32 output can differ in its last bit between a run of one lead and a run of a chunk (or a
    # run that also probes new values), so the model's numbers are compared to that; everything else exactly.
    noise = {"score", "score_confidence"}
    own = {"updated_at", "scored_at", "decision_key"}  # when, and the decision record each points at
    assert {k: v for k, v in from_file.items() if k not in own | noise} == {k: v for k, v in from_api.items() if k not in own | noise}
    assert all(abs(from_file[k] - from_api[k]) <= Decimal("0.01") for k in noise)
    assert from_file["scored_at"] != from_api["scored_at"]
    own = {"event_id", "event_key", "shard", "at", "actor"}
    details = {"updated_existing", "job_id", "row", "delivery"}
    model_numbers = {"score", "score_confidence", "probability"}
    assert {k: v for k, v in file_decision.items() if k not in own | {"details"} | model_numbers} == {
        k: v for k, v in api_decision.items() if k not in own | {"details"} | model_numbers
    }
    assert {k: v for k, v in file_decision["details"].items() if k not in details | model_numbers} == {
        k: v for k, v in api_decision["details"].items() if k not in details | model_numbers
    }
    assert abs(file_decision["details"]["probability"] - api_decision["details"]["probability"]) <= Decimal("0.000002")
    assert (file_decision["details"]["job_id"], file_decision["details"]["row"]) == (job["job_id"], 1)


def test_a_file_with_no_feature_columns_is_scored(api: Api, batch_tenant: Tenant) -> None:
    prefix = f"bare-{uuid.uuid4().hex[:6]}"
    rows = [{"email": f"{prefix}-{i}@example.com", "name": f"Bare {i}", "source": "web"} for i in range(3)]
    put(batch_tenant, "imports/bare.csv", csv_file(rows))

    job = run_file(api, batch_tenant, "imports/bare.csv", "csv")

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 3, "scored": 3, "invalid": 0, "failed": 0}


def test_the_same_file_twice_creates_no_new_lead_and_keeps_each_leads_history(api: Api, batch_tenant: Tenant, tables: Tables) -> None:
    prefix = f"rerun-{uuid.uuid4().hex[:6]}"
    put(batch_tenant, "imports/rerun.csv", csv_file([flat_row(lead) for lead in demo_leads(250, prefix, seed=5)]))
    first = run_file(api, batch_tenant, "imports/rerun.csv", "csv")
    assert first["status"] == "succeeded", first
    mine = {lead["id"]: lead for lead in tables.leads(batch_tenant.client_id) if str(lead.get("external_id", "")).startswith(prefix)}
    assert len(mine) == 250
    converted = next(iter(mine))
    wiring.lead_repository().set_outcome(batch_tenant.client_id, converted, "converted", "2026-01-02T00:00:00+00:00", 1200.0)
    total_before = len(tables.leads(batch_tenant.client_id))

    second = run_file(api, batch_tenant, "imports/rerun.csv", "csv")

    assert second["status"] == "succeeded", second
    assert second["job_id"] != first["job_id"]
    assert second["counts"] == first["counts"] == {"rows": 250, "scored": 250, "invalid": 0, "failed": 0}
    after = {lead["id"]: lead for lead in tables.leads(batch_tenant.client_id)}
    assert len(after) == total_before
    for lead_id, lead in mine.items():
        assert after[lead_id]["created_at"] == lead["created_at"]
        assert after[lead_id]["scored_at"] != lead["scored_at"]  # rescored by the second job
    assert after[converted]["conversion_status"] == "converted" and float(after[converted]["revenue"]) == 1200.0
    assert len(decisions_of(tables, batch_tenant.client_id, second["job_id"])) == 250


def test_a_conversion_recorded_while_a_rerun_writes_its_chunk_is_kept(
    api: Api, batch_tenant: Tenant, tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run reads a lead, a conversion lands, then the run writes: the conversion stays, the lead is
    still re-scored, and nothing is duplicated."""
    prefix = f"race-{uuid.uuid4().hex[:6]}"
    put(batch_tenant, "imports/race.csv", csv_file([flat_row(lead) for lead in demo_leads(60, prefix, seed=9)]))
    first = run_file(api, batch_tenant, "imports/race.csv", "csv")
    assert first["status"] == "succeeded", first
    mine = {lead["id"]: lead for lead in tables.leads(batch_tenant.client_id) if str(lead.get("external_id", "")).startswith(prefix)}
    raced = sorted(mine)[len(mine) // 2]
    total_before = len(tables.leads(batch_tenant.client_id))

    original = LeadRepository.get_many
    landed: list[str] = []

    def get_many(self: LeadRepository, client_id: str, lead_ids: Any, explained: bool = False) -> Any:
        found = original(self, client_id, lead_ids, explained)
        if raced in lead_ids and not landed:  # the worker has read the lead: a conversion lands before its write
            landed.append(found[raced].conversion_status)
            wiring.lead_repository().set_outcome(client_id, raced, "converted", "2026-01-02T00:00:00+00:00", 1500.0)
        return found

    monkeypatch.setattr(LeadRepository, "get_many", get_many)
    second = run_file(api, batch_tenant, "imports/race.csv", "csv")

    assert landed == ["new"]
    assert second["status"] == "succeeded", second
    assert second["counts"] == {"rows": 60, "scored": 60, "invalid": 0, "failed": 0}
    after = {lead["id"]: lead for lead in tables.leads(batch_tenant.client_id)}
    assert len(after) == total_before
    assert after[raced]["conversion_status"] == "converted" and float(after[raced]["revenue"]) == 1500.0
    for lead_id, lead in mine.items():
        assert after[lead_id]["scored_at"] != lead["scored_at"] and after[lead_id]["created_at"] == lead["created_at"]
    assert len(decisions_of(tables, batch_tenant.client_id, second["job_id"])) == 60


@contextlib.contextmanager
def dynamodb_answering(answer: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Iterator[None]:
    """BatchWriteItem calls of the batch worker's client see `answer` first, with the request it would send
    ({"RequestItems": ...}): a dict it returns is DynamoDB's reply (nothing is sent), None sends the request."""
    client = aws.dynamodb_bulk_client()

    def intercept(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        reply = answer(json.loads(params["body"]))
        return None if reply is None else (AWSResponse("", 200, HTTPHeaders(), None), reply)

    client.meta.events.register("before-call.dynamodb.BatchWriteItem", intercept)
    try:
        yield
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", intercept)


def test_a_chunk_retried_after_a_failed_write_duplicates_nothing(
    api: Api, batch_tenant: Tenant, tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB refuses the decision records of the second chunk half way through; the Map retries the chunk."""
    from leadscoring.data import item_writes

    calls = {"leads": 0, "refused": 0}

    def flaky(request: dict[str, Any]) -> dict[str, Any] | None:
        if AUDIT.local_name in request["RequestItems"]:
            calls["leads"] += 1
            # Calls 13.. fall in the middle of the second chunk (25 decisions a call; chunks hold about 200 rows).
            if calls["leads"] > 12 and calls["refused"] < item_writes.BATCH_WRITE_ATTEMPTS:
                calls["refused"] += 1
                return {"UnprocessedItems": request["RequestItems"]}
        return None

    monkeypatch.setattr(item_writes.time, "sleep", lambda _: None)  # the worker's own backoff, not the Map's retry
    prefix = f"retry-{uuid.uuid4().hex[:6]}"
    put(batch_tenant, "imports/retry.csv", csv_file([flat_row(lead) for lead in demo_leads(450, prefix, seed=3)]))
    before = len(tables.leads(batch_tenant.client_id))

    with dynamodb_answering(flaky):
        job = run_file(api, batch_tenant, "imports/retry.csv", "csv")

    assert calls["refused"] == item_writes.BATCH_WRITE_ATTEMPTS  # the chunk did fail once, then was retried
    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 450, "scored": 450, "invalid": 0, "failed": 0}
    assert len(tables.leads(batch_tenant.client_id)) == before + 450
    decisions = decisions_of(tables, batch_tenant.client_id, job["job_id"])
    assert len(decisions) == 450 and len({d["event_key"] for d in decisions}) == 450
    assert len(download(job["results_url"])) == 450
    # Each chunk counted once: the chunks' rows tile the file exactly.
    chunks = sorted(
        (int(c["first_row"]), int(c["rows"]))
        for c in job_records(batch_tenant.client_id)
        if c["item"].startswith(f"BATCHJOB#{job['job_id']}#CHUNK#")
    )
    assert chunks[0][0] == 1 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(chunks))
    assert sum(n for _, n in chunks) == 450


def test_a_write_that_keeps_failing_fails_the_job_loudly_and_running_the_file_again_completes_it(
    api: Api, batch_tenant: Tenant, tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscoring.data import item_writes
    from local_stack import distributed_map

    calls = {"leads": 0}

    def refusing(request: dict[str, Any]) -> dict[str, Any] | None:
        if AUDIT.local_name in request["RequestItems"]:
            calls["leads"] += 1
            if calls["leads"] > 12:  # the first chunk is stored; from the middle of the second on, DynamoDB refuses
                return {"UnprocessedItems": request["RequestItems"]}
        return None

    monkeypatch.setattr(item_writes.time, "sleep", lambda _: None)  # the worker's backoff
    monkeypatch.setattr(distributed_map.time, "sleep", lambda _: None)  # the Map's retry intervals
    prefix = f"down-{uuid.uuid4().hex[:6]}"
    put(batch_tenant, "imports/down.csv", csv_file([flat_row(lead) for lead in demo_leads(450, prefix, seed=9)]))

    with dynamodb_answering(refusing):
        failed = run_file(api, batch_tenant, "imports/down.csv", "csv")

    assert failed["status"] == "failed", failed
    assert "StorageError" in failed["failure_reason"] and "unprocessed" in failed["failure_reason"]
    assert failed["results_url"] is None and failed["errors_url"] is None
    counts = failed["counts"]
    assert counts["rows"] == counts["scored"] > 0 and counts["invalid"] == 0  # the first chunk, counted
    assert 0 < counts["failed"] <= 450 - counts["rows"]  # the chunk that kept failing
    mine = [lead for lead in tables.leads(batch_tenant.client_id) if str(lead.get("external_id", "")).startswith(prefix)]
    assert counts["scored"] <= len(mine) < 450

    again = run_file(api, batch_tenant, "imports/down.csv", "csv")

    assert again["status"] == "succeeded", again
    assert again["counts"] == {"rows": 450, "scored": 450, "invalid": 0, "failed": 0}
    mine = [lead for lead in tables.leads(batch_tenant.client_id) if str(lead.get("external_id", "")).startswith(prefix)]
    assert len(mine) == len({lead["id"] for lead in mine}) == 450


def test_a_job_that_cannot_score_fails_with_its_reason(api: Api, workflow: str, make_tenant: Callable[..., Tenant]) -> None:
    bare = make_tenant("batch-bare", with_model=False)
    put(bare, "imports/leads.csv", csv_file([flat_row(lead) for lead in demo_leads(3, "bare")]))

    job = run_file(api, bare, "imports/leads.csv", "csv")

    assert job["status"] == "failed", job
    assert "NoActiveModel" in job["failure_reason"] and job["results_url"] is None
    assert job["counts"]["scored"] == 0


def test_upload_then_start_runs_the_job_once(api: Api, batch_tenant: Tenant) -> None:
    created = api.post("/batch-score", batch_tenant.integration, body={"upload": {"format": "csv"}})
    assert created.status == 201, created.body
    job_id = created.body["job_id"]
    assert created.body["status"] == "pending" and created.body["file_key"] == f"batch-jobs/{job_id}/input.csv"
    assert created.body["upload"]["method"] == "PUT" and created.body["links"]["start"].endswith(f"/batch-score/{job_id}/start")

    assert_error(api.post(f"/batch-score/{job_id}/start", batch_tenant.integration), 404, "NOT_FOUND")  # nothing uploaded yet
    body = csv_file([flat_row(lead) for lead in demo_leads(25, f"up-{job_id[:6]}")])
    assert requests.put(created.body["upload"]["url"], data=body, timeout=30).status_code == 200

    started = api.post(f"/batch-score/{job_id}/start", batch_tenant.integration)
    assert started.status == 202, started.body
    assert_error(api.post(f"/batch-score/{job_id}/start", batch_tenant.integration), 409, "CONFLICT")
    job = wait(api, batch_tenant, job_id)
    assert job["status"] == "succeeded" and job["counts"]["scored"] == 25
    executions = aws.stepfunctions().list_executions(stateMachineArn=os.environ["BATCH_STATE_MACHINE_ARN"])["executions"]
    assert [e["name"] for e in executions].count(job_id) == 1


# -- refused before anything exists ------------------------------------------------------------------------
@pytest.fixture
def files(batch_tenant: Tenant) -> Iterator[None]:
    rows = [flat_row(lead) for lead in demo_leads(3, "refuse")]
    put(batch_tenant, "refuse/good.csv", csv_file(rows))
    put(batch_tenant, "refuse/no-email.csv", csv_file([{k: v for k, v in r.items() if k != "email"} for r in rows]))
    put(batch_tenant, "refuse/binary.csv", bytes(range(256)) * 4)
    put(batch_tenant, "refuse/table.jsonl", csv_file(rows))
    yield


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"file": {"key": "refuse/good.csv", "format": "xlsx"}}, 422, "file.format"),
        ({"file": {"key": "refuse/binary.csv", "format": "csv"}}, 422, "file.format"),
        ({"file": {"key": "refuse/table.jsonl", "format": "jsonl"}}, 422, "file.format"),
        ({"file": {"key": "refuse/no-email.csv", "format": "csv"}}, 422, "email"),
        ({"file": {"key": "refuse/missing.csv", "format": "csv"}}, 404, "file.key"),
        ({"file": {"key": "../acme/refuse/good.csv", "format": "csv"}}, 422, "file.key"),
        ({"file": {"key": "/refuse/good.csv", "format": "csv"}}, 422, "file.key"),
        ({"file": {"key": "refuse/good.csv", "format": "csv"}, "leads": [{"email": "a@example.com"}]}, 422, None),
        ({"upload": {"format": "parquet"}}, 422, "upload.format"),
    ],
    ids=[
        "not-csv-or-jsonl",
        "binary",
        "csv-called-jsonl",
        "missing-column",
        "missing-file",
        "dot-dot",
        "absolute",
        "two-kinds",
        "upload-format",
    ],
)
def test_bad_files_are_refused_and_create_nothing(
    api: Api, batch_tenant: Tenant, tables: Tables, files: None, body: dict[str, Any], status: int, field: str | None
) -> None:
    jobs_before = len(job_records(batch_tenant.client_id))
    counts_before = tables.counts()

    reply = api.post("/batch-score", batch_tenant.integration, body=body)

    assert_error(reply, status)
    if field is not None:
        assert field in error_fields(reply), reply.body
    assert len(job_records(batch_tenant.client_id)) == jobs_before
    assert tables.counts() == counts_before


def test_jobs_are_private_to_their_tenant_and_analysts_cannot_start_them(
    api: Api, batch_tenant: Tenant, other_tenant: Tenant, files: None
) -> None:
    created = api.post("/batch-score", batch_tenant.integration, body={"upload": {"format": "jsonl"}})
    job_id = created.body["job_id"]
    assert_error(api.get(f"/batch-score/{job_id}", other_tenant.admin), 404, "NOT_FOUND")
    assert_error(api.post(f"/batch-score/{job_id}/start", other_tenant.admin), 404, "NOT_FOUND")
    assert_error(api.get(f"/batch-score/{'0' * 32}", batch_tenant.admin), 404, "NOT_FOUND")
    assert_error(api.get("/batch-score/not-a-job", batch_tenant.admin), 422, "VALIDATION_ERROR")
    jobs_before = len(job_records(batch_tenant.client_id))
    assert_error(api.post("/batch-score", batch_tenant.analyst, body={"file": {"key": "refuse/good.csv", "format": "csv"}}), 403)
    assert_error(api.post(f"/batch-score/{job_id}/start", batch_tenant.analyst), 403)
    assert len(job_records(batch_tenant.client_id)) == jobs_before
    assert api.get(f"/batch-score/{job_id}", batch_tenant.analyst).body["status"] == "pending"


def test_a_multi_chunk_file_over_http_stores_every_good_lead_once(workflow: str, gateway: Any, make_tenant: Callable[..., Tenant]) -> None:
    """The large-file demo's run and checks (python -m local_stack.batch_demo), at 3,000 rows (several chunks), over real HTTP."""
    from werkzeug.serving import make_server

    from local_stack.batch_demo import Caller, demo_file, run_job, verify

    tenant = make_tenant("batch10k")
    server = make_server("127.0.0.1", 0, gateway, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        made = demo_file(3_000, f"k{uuid.uuid4().hex[:6]}")
        assert len(made.bad) == 3
        job, _ = run_job(Caller(f"http://127.0.0.1:{server.server_port}", tenant.integration), made.body, poll_seconds=1)
        assert verify(tenant.client_id, made, job, set()) == []
        # The checks have teeth: a lead gone missing is noticed.
        lead_id = download(job["results_url"])[0]["lead_id"]
        aws.dynamodb().Table(LEADS.local_name).delete_item(Key=lead_item_key(tenant.client_id, lead_id))
        assert verify(tenant.client_id, made, job, set()) != []
    finally:
        server.shutdown()
