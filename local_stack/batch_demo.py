"""`python -m local_stack.batch_demo [--rows 100000] [--rerun]`: a large batch file, end to end, verified.

Brings up the local stack (moto over HTTP, the resources, the batch workflow, the gateway on a free port), gives
a tenant a trained model and an integration key, writes a CSV of `--rows` demo leads with one bad row in every
thousand (a wrong type, a missing email, a repeated identity, an out-of-range number, in turn), then runs it as
a caller would, over HTTP: POST /batch-score {"upload"}, PUT the file to the presigned URL, POST .../start, poll
GET /batch-score/{job_id}. It then checks, from the tables and the job's files:
- the job succeeded with rows = scored + invalid and exactly the injected rows invalid (a repeated identity is
  a row error within a chunk; across a chunk boundary the later row updates the lead, as POST /score would);
- the error file lists exactly those rows, with the column and the kind of problem;
- the results file lists every good row once, and each of its leads is stored, once, with that score;
- one decision record per scored row for this job;
- with --rerun, the same file again creates no lead and counts the same.
Prints one JSON document (wall times, leads per second) and exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from leadscoring.demo_data import generate

IDENTITY = ("email", "name", "phone", "company", "source", "external_id")
BAD_EVERY = 1000
# Injected problems, in turn: (what is done to the row, the error file's field, its type or None for "the API's").
PROBLEMS = (
    ("wrong_type", "behavioral.page_views", None),
    ("missing_email", "email", None),
    ("duplicate", "external_id", "duplicate_in_batch"),
    ("out_of_range", "behavioral.page_views", None),
)


@dataclass
class DemoFile:
    body: bytes
    rows: int
    bad: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # row -> (field, type)
    external_ids: dict[int, str] = field(default_factory=dict)  # row -> its lead's external id (bad rows excepted)
    duplicates: dict[int, int] = field(default_factory=dict)  # row -> the earlier row it repeats


@dataclass
class Expected:
    """What the job must report, given where its chunks began: a repeated identity is a row error within a
    chunk; across a chunk boundary the later row updates the same lead, as a second POST /score would."""

    invalid: dict[int, tuple[str, str | None]]
    scored: dict[int, str]  # row -> external id


def demo_file(rows: int, prefix: str, seed: int = 17) -> DemoFile:
    """A CSV of demo leads, one column per `family.feature`, with a known bad row in every BAD_EVERY."""
    out = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    made = DemoFile(b"", rows)
    previous: dict[str, str] = {}
    for index, demo in enumerate(generate(rows, seed=seed)):
        number = index + 1
        lead = demo.lead
        row = {column: "" if lead.get(column) is None else str(lead[column]) for column in IDENTITY}
        row["external_id"], row["email"] = f"{prefix}-{number:07d}", f"{prefix}-{number}@example.com"
        for family, features in (lead.get("attributes") or {}).items():
            for name, value in features.items():
                row[f"{family}.{name}"] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        if number % BAD_EVERY == BAD_EVERY // 2:
            problem, column, kind = PROBLEMS[(number // BAD_EVERY) % len(PROBLEMS)]
            if problem == "wrong_type":
                row["behavioral.page_views"] = "lots"
            elif problem == "missing_email":
                row["email"] = ""
            elif problem == "duplicate":
                row = {**previous, "name": "Same lead again"}
                made.duplicates[number] = number - 1
            else:
                row["behavioral.page_views"] = "-5"
            made.bad[number] = (column, kind)
        made.external_ids[number] = row["external_id"]
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
        previous = row
    made.body = out.getvalue().encode()
    return made


class Caller:
    """The API over HTTP, as an integration would call it."""

    def __init__(self, base: str, key: str) -> None:
        self._base = base.rstrip("/") + "/api/v1/leadscoring"
        self._session = requests.Session()
        self._session.headers["x-api-key"] = key

    def call(self, method: str, path: str, expect: int, body: Any = None) -> dict[str, Any]:
        response = self._session.request(method, self._base + path, json=body, timeout=60)
        if response.status_code != expect:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        result: dict[str, Any] = response.json()
        return result


def run_job(caller: Caller, body: bytes, poll_seconds: float = 2.0, timeout_seconds: float = 4 * 3600) -> tuple[dict[str, Any], float]:
    """Upload and start a job, wait for it to end; (the job, seconds from start to the end)."""
    created = caller.call("POST", "/batch-score", 201, {"upload": {"format": "csv"}})
    put = requests.put(created["upload"]["url"], data=body, timeout=300)
    put.raise_for_status()
    began = time.monotonic()
    job = caller.call("POST", f"/batch-score/{created['job_id']}/start", 202)
    last = 0.0
    while job["status"] in ("pending", "running"):
        if time.monotonic() - began > timeout_seconds:
            raise AssertionError(f"job {job['job_id']} still {job['status']} after {timeout_seconds} s")
        time.sleep(poll_seconds)
        job = caller.call("GET", f"/batch-score/{job['job_id']}", 200)
        if time.monotonic() - last > 30:
            last = time.monotonic()
            print(f"  {job['status']}: {job['counts']['rows']} rows, progress {job['progress']:.0%}", file=sys.stderr, flush=True)
    return job, time.monotonic() - began


def download(url: str) -> list[dict[str, str]]:
    response = requests.get(url, timeout=300)
    response.raise_for_status()
    return list(csv.DictReader(io.StringIO(response.text)))


def expected_outcome(made: DemoFile, chunk_starts: list[int]) -> Expected:
    def chunk_of(row: int) -> int:
        return bisect.bisect_right(chunk_starts, row)

    invalid = {
        row: problem for row, problem in made.bad.items() if row not in made.duplicates or chunk_of(made.duplicates[row]) == chunk_of(row)
    }
    scored = {row: external for row, external in made.external_ids.items() if row not in invalid}
    return Expected(invalid, scored)


def stored_items(table: str, client_id: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The tenant's items of a table (the named top-level attributes, as plain values), read from moto's store in
    this process. Paging 100,000 leads through moto's Query or BatchGetItem deep-copies every item and takes
    the better part of an hour; this reads the very same stored items in seconds."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from leadscoring.resources import LOCAL_REGION

    found = []
    for item in dynamodb_backends[DEFAULT_ACCOUNT_ID][LOCAL_REGION].get_table(table).all_items():
        attrs = item.attrs
        if attrs["client_id"].value == client_id:
            found.append({name: _plain(attrs[name]) for name in names if name in attrs})
    return found


def _plain(value: Any) -> Any:
    """A moto DynamoType as a plain value (strings, numbers as float, maps)."""
    if value.type == "N":
        return float(value.value)
    if value.type == "M":
        return {k: _plain(v) for k, v in value.value.items()}
    return value.value


def verify(client_id: str, made: DemoFile, job: dict[str, Any], known_leads: set[str]) -> list[str]:
    """Every check the module docstring lists, against the tables and files; the failures (empty: all good).
    `known_leads` are the tenant's lead ids before the job."""
    from leadscoring.services import wiring
    from leadscoring.settings import get_settings

    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    chunks = wiring.batch_job_repository().chunks(client_id, job["job_id"])
    expected = expected_outcome(made, [c.first_row for c in chunks])
    counts = {"rows": made.rows, "scored": len(expected.scored), "invalid": len(expected.invalid), "failed": 0}
    check(job["status"] == "succeeded", f"job status {job['status']} ({job.get('failure_reason')})")
    check(job["counts"] == counts, f"counts {job['counts']}, expected {counts}")
    if job["status"] != "succeeded":
        return problems
    errors = download(job["errors_url"])
    check([int(e["row"]) for e in errors] == sorted(expected.invalid), "the error file lists exactly the bad rows, once each")
    for error in errors:
        column, kind = expected.invalid.get(int(error["row"]), ("?", None))
        check(error["field"] == column and (kind is None or error["type"] == kind) and bool(error["message"]), f"error row {error}")
    results = download(job["results_url"])
    check([int(r["row"]) for r in results] == sorted(expected.scored), "the results file lists every scored row once, in order")

    # Every result's lead is stored under the row's identity with the row's score (the last row of a repeated
    # identity wins, as a second POST /score would), and the tenant has no other new lead.
    settings = get_settings()
    stored = {str(i["id"]): i for i in stored_items(settings.leads_table, client_id, ("id", "external_id", "score"))}
    last = {r["lead_id"]: r for r in results}
    check(set(stored) == known_leads | set(last), f"{len(stored)} leads stored; {len(known_leads | set(last))} expected")
    check(len({i.get("external_id") for i in stored.values()}) == len(stored), "no two stored leads share an external id")
    wrong = [r for r in results if r["lead_id"] in stored and stored[r["lead_id"]].get("external_id") != expected.scored[int(r["row"])]]
    check(not wrong, f"{len(wrong)} result rows point at another identity's lead")
    mismatched = [r for r in last.values() if r["lead_id"] in stored and stored[r["lead_id"]].get("score") != float(r["score"])]
    check(not mismatched, f"{len(mismatched)} stored scores differ from the results file")
    decisions = [
        d
        for d in stored_items(settings.audit_table, client_id, ("event_key", "lead_id", "details"))
        if (d.get("details") or {}).get("job_id") == job["job_id"]
    ]
    check(len(decisions) == len(expected.scored), f"{len(decisions)} decision records for {len(expected.scored)} scored rows")
    check(sorted(int(d["details"]["row"]) for d in decisions) == sorted(expected.scored), "one decision record per scored row")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rerun", action="store_true", help="run the same file again and check nothing new is created")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one line per chunk is noise here

    from werkzeug.serving import make_server

    from local_stack.aws_env import configure_environment, start_moto
    from local_stack.resources import create_resources
    from local_stack.step_functions import install_batch_workflow

    moto, endpoint = start_moto()
    try:
        configure_environment(endpoint)
        create_resources()
        install_batch_workflow(endpoint)
        from leadscoring.routes import Role
        from leadscoring.services import wiring
        from leadscoring.settings import get_settings
        from local_stack.gateway import LocalGateway
        from local_stack.seed import seed_tenant

        client_id = "batch-demo"
        print("Training the tenant's model...", file=sys.stderr, flush=True)
        seed_tenant(client_id, leads=0)
        key = wiring.api_key_repository().create(client_id, Role.INTEGRATION, "batch demo")
        server = make_server("127.0.0.1", 0, LocalGateway(), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        caller = Caller(f"http://127.0.0.1:{server.server_port}", key)

        generated = time.monotonic()
        made = demo_file(args.rows, "demo")
        print(f"{args.rows} rows, {len(made.body) / 2**20:.1f} MiB, made in {time.monotonic() - generated:.1f} s", file=sys.stderr)
        job, seconds = run_job(caller, made.body)
        problems = verify(client_id, made, job, set())
        report: dict[str, Any] = {
            "rows": args.rows,
            "file_mib": round(len(made.body) / 2**20, 1),
            "injected_bad_rows": len(made.bad),
            "job": {k: job[k] for k in ("job_id", "status", "counts", "started_at", "finished_at")},
            "wall_seconds": round(seconds, 1),
            "rows_per_second": round(args.rows / seconds, 1),
        }
        if args.rerun and not problems:
            known = {r["lead_id"] for r in download(job["results_url"])}
            again, seconds_again = run_job(caller, made.body)
            problems += [f"rerun: {p}" for p in verify(client_id, made, again, known)]
            report["rerun"] = {
                "leads_before": len(known),
                "leads_after": len(stored_items(get_settings().leads_table, client_id, ("id",))),
                "counts": again["counts"],
                "wall_seconds": round(seconds_again, 1),
            }
        report["checks_failed"] = problems
        print(json.dumps(report, indent=2))
        server.shutdown()
        return 1 if problems else 0
    finally:
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
