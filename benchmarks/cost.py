"""Cost accounting, measured: every AWS request the product makes in a scenario, priced at list prices.

On the local stack (a moto server over HTTP in this process, the tables and buckets of the resource spec, the local
API gateway calling the real authorizer and function handlers, the stream poller handing the leads table's stream
to the real aggregator, the batch workflow on moto's Step Functions executor with its Distributed Map emulated),
benchmarks.aws_meter records every AWS request at the botocore level and times every handler call. DynamoDB units
follow DynamoDB's own sizing rules (benchmarks.dynamodb_capacity) on the items as moto stores them, with the table
and index definitions read from leadscoring.resources when the run starts. Prices: benchmarks.aws_prices.

Scenarios, each priced per unit of work and shown per million:
- score_new / score_existing / score_new_with_event_id: POST /score through the gateway as a webhook sends it (a demo
  lead with the demo features; new leads, the same leads again with changed activity, new leads carrying the CRM's
  event id), each followed by the stream aggregation it causes (the aggregator invoked with that request's records).
  Target: <= $2.00 per million scores, API Gateway excluded (shown beside: REST alone is $3.50 per million).
- score_new_aggregated_in_batches: as score_new, the stream delivered once for the window's REALTIME_LEADS scores,
  as the deployed event source batches it (up to 1,000 records or 10 s, infra/config.py) at about ten scores a
  second (a million a day). Target: <= $2.00 per million scores, API Gateway excluded, as for score_new, which
  prices the same scores aggregated one record an invocation (a trickle).
- batch_file: a CSV of BATCH_LEADS demo leads uploaded to the tenant's folder, POST /batch-score with the file, the
  workflow (ChooseReader, the Distributed Map's chunks in the batch worker, Finalize), the aggregation of every
  stored lead, one GET /batch-score/{id}. Target: <= $1.50 per million leads, all in.
- conversion (POST /leads/{id}/conversion, with its aggregation) and performance (GET /performance): priced, no target.
- item_sizes: a lead item and its decision record as stored by each path, by DynamoDB's rules. Target <= 1 KB each.

How each service is counted:
- Lambda: one request and the handler's measured duration (rounded up to 1 ms; the meter's own reads inside the
  call taken off) x the function's memory_mb (infra.config.FUNCTIONS) per call, x86 price. Warm calls only: a
  warm-up runs before the windows, and cold starts (INIT is billed too) are not in the figures. API Gateway
  caches the authorizer's answer for AUTHORIZER_CACHE_SECONDS per key, so in a window only the first authorizer
  call is billed (its requests too).
- DynamoDB: benchmarks.dynamodb_capacity. Streams read by Lambda's event source mapping are free.
- Step Functions: state transitions of the parent execution from its history on moto (states entered, plus task
  retries), plus, for the Distributed Map, one transition per child execution started and one per attempt of its
  ScoreChunk state (counted by wrapping the worker the local emulator calls).
- S3: PUT/COPY/POST/LIST tier vs GET and the rest (DELETE free). EventBridge: events in 64 KB chunks.
- CloudWatch Logs: what the handlers write to stdout/stderr (Powertools JSON logs, EMF metric lines), plus
  PLATFORM_LOG_BYTES per invocation for Lambda's own start/report lines, plus the workflow's execution logs
  (level ALL, without execution data) estimated from the history events.
- Beside the totals, not in them: API Gateway (REST requests; access logs built from the stage's access log
  format; execution logs at INFO, estimated; data transfer out of the responses) and X-Ray (tracing is active:
  the marginal 5% sampling of traced entry points; the 1 request/s reservoir is a fixed monthly cost). The batch
  figure is "all in", so its API Gateway requests are added to its total.

moto is not AWS: durations are this machine's and this local stack's (DynamoDB on moto over loopback is slower
than DynamoDB), so Lambda's share is shown with what each extra millisecond costs. `run()` measures in a fresh
interpreter with the deployed environment set before anything is imported.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from benchmarks import aws_prices
from benchmarks.aws_prices import cost

if TYPE_CHECKING:
    from benchmarks.aws_meter import AwsMeter, Invocation, Request, Window

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "costbench"
REALTIME_LEADS = 100
BATCH_LEADS = 2000
CONVERSIONS = 50
PERFORMANCE_READS = 20
WARMUP_SCORES = 5
WARMUP_BATCH_LEADS = 20

TARGET_REALTIME_USD_PER_MILLION = 2.00
TARGET_BATCH_USD_PER_MILLION = 1.50
TARGET_ITEM_BYTES = 1024
# Provisioned capacity priced beside on-demand at the utilisation DynamoDB auto scaling keeps by default.
PROVISIONED_UTILIZATION = 0.7

# Lambda's own lines per invocation (JSON log format: platform.start, platform.report with the trace id): about 300 bytes.
PLATFORM_LOG_BYTES = 300
# API Gateway execution logging at INFO writes about a dozen lines per request through a Lambda authorizer and a
# proxy integration; nothing of it runs locally, so this is an estimate, shown beside.
API_EXECUTION_LOG_BYTES_ESTIMATE = 1500
# X-Ray's default sampling rule: the first request each second, then 5% of the rest.
XRAY_SAMPLED_SHARE = 0.05
GB = 2**30

# The environment of the deployed functions where it changes what is requested or logged.
ENVIRONMENT: dict[str, str | None] = {
    # Every request reads its tenant's config: at a million scores a month a warm container sees a request every
    # few seconds, past the 5 s cache; the conservative, deterministic case.
    "CONFIG_CACHE_SECONDS": "0",
    "POWERTOOLS_METRICS_DISABLED": "false",  # EMF lines are logs ingested
    "LOG_LEVEL": "INFO",  # infra.config.LOG_LEVEL
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_SERVICE_NAME": "leadscoring-score",
    "POWERTOOLS_DEV": None,
}
USER_AGENT = "HubSpot Connect 2.0 (http://dev.hubspot.com/)"

S3_TIER1_PREFIXES = ("Put", "Copy", "Post", "List", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload")


def log(message: str) -> None:
    print(f"[cost] {message}", file=sys.stderr, flush=True)


# -- pricing (pure: tested in tests/unit/test_benchmarks_cost.py) -----------------------------------


def billed_ms(duration_ms: float) -> int:
    return max(1, math.ceil(duration_ms))


def gb_seconds(duration_ms: float, memory_mb: int) -> float:
    return billed_ms(duration_ms) / 1000 * memory_mb / 1024


def transitions(history: Iterable[dict[str, Any]]) -> int:
    """Standard-workflow state transitions in an execution history: every state entered, plus every task attempt
    after a state's first (a retry is a transition too)."""
    types = [str(event["type"]) for event in history]
    entered = sum(1 for t in types if t.endswith("StateEntered"))
    task_entries = sum(1 for t in types if t == "TaskStateEntered")
    attempts = sum(1 for t in types if t in ("TaskScheduled", "LambdaFunctionScheduled"))
    return entered + max(0, attempts - task_entries)


def s3_tier(operation: str) -> str | None:
    if operation.startswith("Delete") or operation == "AbortMultipartUpload":
        return None
    return "s3_tier1_request" if operation.startswith(S3_TIER1_PREFIXES) else "s3_tier2_request"


def _per_million(usd: float, units: int) -> float:
    return round(usd / units * 1e6, 4)


def _r(value: float, digits: int = 4) -> float:
    return round(value, digits)


def price_window(
    window: Window,
    units: int,
    *,
    transitions_count: int = 0,
    workflow_log_bytes: int = 0,
    executions: int = 0,
    api_in_total: bool = False,
) -> dict[str, Any]:
    """A window's requests and calls priced, per unit of work (`units` leads, scores, reads)."""
    authorizer = [i for i in window.invocations if i.function == "authorizer"]
    cached = {id(i) for i in authorizer[1:]}  # API Gateway's authorizer cache
    invocations = [i for i in window.invocations if id(i) not in cached]
    requests = [r for r in window.requests if r.invocation is None or id(r.invocation) not in cached]

    lambda_part = _lambda(invocations, units)
    dynamodb_part = _dynamodb(requests, units)
    s3_usd = sum(cost(tier, 1) for r in requests if r.service == "s3" and (tier := s3_tier(r.operation)) and not r.error)
    events = sum(r.events for r in requests if r.service == "eventbridge")
    function_log_bytes = sum(i.log_bytes for i in invocations)
    platform_log_bytes = PLATFORM_LOG_BYTES * len(invocations)
    log_bytes = function_log_bytes + platform_log_bytes + workflow_log_bytes

    breakdown_usd = {
        "dynamodb": dynamodb_part["usd"],
        "lambda": lambda_part["usd"],
        "step_functions": cost("step_functions_standard_transition", transitions_count),
        "s3": s3_usd,
        "eventbridge": cost("eventbridge_custom_event", events),
        "cloudwatch_logs": cost("cloudwatch_logs_ingested_gb", log_bytes / GB),
    }
    counters = window.counters
    api_requests = counters.get("api_requests", 0)
    api_log_bytes = counters.get("api_access_log_bytes", 0) + API_EXECUTION_LOG_BYTES_ESTIMATE * api_requests
    aggregator_calls = sum(1 for i in invocations if i.function == "aggregator")
    traced_entries = api_requests + aggregator_calls + executions
    beside_usd = {
        "api_gateway_rest_requests": cost("api_gateway_rest_request", api_requests),
        "api_gateway_logs_estimated": cost("cloudwatch_logs_ingested_gb", api_log_bytes / GB),
        "data_transfer_out": cost("data_transfer_out_gb", counters.get("api_response_bytes", 0) / GB),
        "x_ray_estimated": cost("xray_trace_recorded", XRAY_SAMPLED_SHARE * traced_entries),
    }
    in_total = dict(breakdown_usd)
    if api_in_total:
        for name in ("api_gateway_rest_requests", "api_gateway_logs_estimated", "data_transfer_out"):
            in_total[name] = beside_usd.pop(name)
    total = sum(in_total.values())
    line_items = [
        *((f"dynamodb {name}", usd) for name, usd in dynamodb_part["usd_by_table_index"].items()),
        *((f"lambda {name}", f["usd"]) for name, f in lambda_part["by_function"].items()),
        *((name, usd) for name, usd in in_total.items() if name not in ("dynamodb", "lambda")),
    ]
    largest = sorted(line_items, key=lambda kv: -kv[1])[:6]
    unpriced = sorted({f"{r.service}.{r.operation}" for r in requests if r.costing_error})
    return {
        "units": units,
        "usd_per_million": _per_million(total, units),
        "breakdown": {name: _per_million(usd, units) for name, usd in in_total.items()},
        "beside": {name: _per_million(usd, units) for name, usd in beside_usd.items()},
        "largest": [[name, _per_million(usd, units)] for name, usd in largest],
        "dynamodb": {key: value for key, value in dynamodb_part.items() if key not in ("usd", "usd_by_table_index")},
        "lambda": {"by_function": {name: {k: v for k, v in f.items() if k != "usd"} for name, f in lambda_part["by_function"].items()}},
        "requests_per_unit": _requests_per_unit(requests, units),
        "logs_bytes_per_unit": {
            "functions": _r(function_log_bytes / units, 1),
            "lambda_platform": _r(platform_log_bytes / units, 1),
            "workflow": _r(workflow_log_bytes / units, 1),
        },
        "step_functions_transitions_per_unit": _r(transitions_count / units, 6),
        "authorizer": {"calls": len(authorizer), "billed": min(1, len(authorizer)), "cached": max(0, len(authorizer) - 1)},
        "api_requests_per_unit": _r(api_requests / units, 6),
        "requests_not_priced": unpriced,
        "queries_read_again_differently": sum(1 for r in requests if r.scanned_mismatch),
        "seconds": round(window.seconds, 1),
    }


def _lambda(invocations: list[Invocation], units: int) -> dict[str, Any]:
    by_function: dict[str, dict[str, Any]] = {}
    total = 0.0
    for name in sorted({i.function for i in invocations}):
        calls = [i for i in invocations if i.function == name]
        memory = calls[0].memory_mb
        seconds = sum(gb_seconds(i.duration_ms, memory) for i in calls)
        usd = cost("lambda_request", len(calls)) + cost("lambda_gb_second_x86", seconds)
        total += usd
        billed = [billed_ms(i.duration_ms) for i in calls]
        by_function[name] = {
            "usd": usd,
            "usd_per_million": _per_million(usd, units),
            "invocations_per_unit": _r(len(calls) / units, 6),
            "memory_mb": memory,
            "billed_ms_p50": statistics.median(billed),
            "billed_ms_mean": _r(statistics.fmean(billed), 1),
            "gb_seconds_per_unit": _r(seconds / units, 8),
            # What one more millisecond per call adds: durations here are moto's, not DynamoDB's.
            "usd_per_million_per_ms": _per_million(cost("lambda_gb_second_x86", len(calls) * memory / 1024 / 1000), units),
            "log_bytes_per_invocation": _r(statistics.fmean(i.log_bytes for i in calls), 1),
            "meter_ms_taken_off_mean": _r(statistics.fmean(i.overhead_ms() for i in calls), 1),
            "errors": sum(1 for i in calls if i.error),
        }
    return {"usd": total, "by_function": by_function}


def _dynamodb(requests: list[Request], units: int) -> dict[str, Any]:
    reads: dict[str, float] = {}
    writes: dict[str, float] = {}
    by_operation: dict[str, dict[str, float]] = {}
    for r in requests:
        if r.service != "dynamodb":
            continue
        operation = f"{r.actor or '-'} {r.operation}"
        entry = by_operation.setdefault(operation, {"requests": 0, "read_units": 0.0, "write_units": 0.0})
        entry["requests"] += 1
        for (table, index), amount in r.read.items():
            name = f"{table}/{index}" if index else table
            reads[name] = reads.get(name, 0.0) + amount
            entry["read_units"] += amount
        for (table, index), amount in r.write.items():
            name = f"{table}/{index}" if index else table
            writes[name] = writes.get(name, 0.0) + amount
            entry["write_units"] += amount
    usd_by_name = {
        name: cost("dynamodb_read_request_unit", reads.get(name, 0.0)) + cost("dynamodb_write_request_unit", writes.get(name, 0.0))
        for name in sorted(set(reads) | set(writes))
    }
    return {
        "usd": sum(usd_by_name.values()),
        "usd_by_table_index": usd_by_name,
        "by_table_index": {
            name: {
                "read_units_per_unit": _r(reads.get(name, 0.0) / units, 4),
                "write_units_per_unit": _r(writes.get(name, 0.0) / units, 4),
                "usd_per_million": _per_million(usd, units),
            }
            for name, usd in usd_by_name.items()
        },
        "by_operation": {
            name: {
                "requests_per_unit": _r(e["requests"] / units, 4),
                "read_units_per_unit": _r(e["read_units"] / units, 4),
                "write_units_per_unit": _r(e["write_units"] / units, 4),
                "usd_per_million": _per_million(
                    cost("dynamodb_read_request_unit", e["read_units"]) + cost("dynamodb_write_request_unit", e["write_units"]), units
                ),
            }
            for name, e in sorted(by_operation.items())
        },
    }


def _requests_per_unit(requests: list[Request], units: int) -> dict[str, float]:
    counts: dict[str, int] = {}
    for r in requests:
        name = f"{r.actor or '-'} {r.service}.{r.operation}"
        counts[name] = counts.get(name, 0) + 1
    return {name: _r(n / units, 4) for name, n in sorted(counts.items())}


def dynamodb_units(figures: dict[str, Any]) -> dict[str, Any]:
    """A scenario's DynamoDB units per unit of work, and what they would cost on provisioned capacity kept at
    PROVISIONED_UTILIZATION (auto scaling's usual target) instead of on demand: beside, for steady traffic."""
    tables = figures["dynamodb"]["by_table_index"].values()
    writes = sum(t["write_units_per_unit"] for t in tables)
    reads = sum(t["read_units_per_unit"] for t in tables)
    hours_per_write, hours_per_read = 1 / 3600 / PROVISIONED_UTILIZATION, 1 / 3600 / PROVISIONED_UTILIZATION
    provisioned = cost("dynamodb_provisioned_write_capacity_unit_hour", writes * hours_per_write) + cost(
        "dynamodb_provisioned_read_capacity_unit_hour", reads * hours_per_read
    )
    return {
        "write_units_per_unit": _r(writes, 3),
        "read_units_per_unit": _r(reads, 3),
        "on_demand_usd_per_million": _r(figures["breakdown"]["dynamodb"]),
        f"provisioned_at_{PROVISIONED_UTILIZATION:.0%}_usd_per_million": _r(provisioned * 1e6),
    }


def item_sizes(window: Window, table: str) -> dict[str, Any]:
    sizes = sorted(size for r in window.requests for name, size in r.written if name == table)
    if not sizes:
        return {"items": 0}
    median = statistics.median(sizes)
    return {
        "items": len(sizes),
        "median_bytes": median,
        "max_bytes": sizes[-1],
        "target": f"<= {TARGET_ITEM_BYTES} bytes",
        "meets_target": bool(median <= TARGET_ITEM_BYTES),
    }


# -- the local stack, metered -----------------------------------------------------------------------


class MapChildren:
    """The worker as the emulated Distributed Map calls it: one call per attempt of a child's ScoreChunk state."""

    def __init__(self, worker: Callable[[dict[str, Any], Any], Any]) -> None:
        self._worker = worker
        self.attempts = 0
        self.children = 0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.attempts += 1
        return self._worker(event, context)


class CountedMap:
    """The Distributed Map emulator, remembering how many child executions (batches) each run started."""

    def __init__(self, emulator: Callable[[dict[str, Any], Any], dict[str, Any]], children: MapChildren) -> None:
        self._emulator = emulator
        self._children = children

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = self._emulator(event, context)
        self._children.children += int(result.get("batches", 0))
        return result


class MeteredStack:
    def __init__(self, endpoint: str) -> None:
        import boto3
        from werkzeug.test import Client

        from benchmarks.aws_meter import AwsMeter
        from benchmarks.dynamodb_capacity import TableModel
        from infra.config import FUNCTIONS
        from leadscoring.resources import LEADS, TABLES
        from leadscoring.workflows.batch import batch_definition
        from local_stack.distributed_map import DistributedMapEmulator, local_definition
        from local_stack.gateway import LocalGateway, load_function
        from local_stack.step_functions import BATCH_WORKER_FUNCTION, MAP_EMULATOR_FUNCTION, enable, function_arn, install_batch_workflow
        from local_stack.streams import StreamPoller

        self.memory = {name: settings.memory_mb for name, settings in FUNCTIONS.items()}
        # Read when the run starts, so index projections added to the spec are priced as defined.
        self.meter: AwsMeter = AwsMeter(TableModel.from_spec(spec) for spec in TABLES)
        self.sfn = boto3.session.Session().client("stepfunctions")  # the benchmark's own: made before the hooks
        self.batch_arn = install_batch_workflow(endpoint)
        worker = self.meter.metered("batch_worker", load_function("batch_worker").lambda_handler, self.memory["batch_worker"])
        _, maps = local_definition(batch_definition(function_arn(BATCH_WORKER_FUNCTION)), function_arn(MAP_EMULATOR_FUNCTION))
        self.children = MapChildren(worker)
        emulator = CountedMap(DistributedMapEmulator(maps, {BATCH_WORKER_FUNCTION: self.children}), self.children)
        enable(endpoint, {BATCH_WORKER_FUNCTION: worker, MAP_EMULATOR_FUNCTION: self.meter.as_actor("step_functions", emulator)})

        self.meter.install()
        self.gateway = LocalGateway()
        # The gateway looks each handler up on its module at every request.
        for name, module in [*self.gateway.functions.items(), ("authorizer", self.gateway.authorizer)]:
            setattr(module, "lambda_handler", self.meter.metered(name, module.lambda_handler, self.memory[name]))  # noqa: B010
        self.client = Client(self.gateway)
        aggregator = self.meter.metered("aggregator", load_function("aggregator").lambda_handler, self.memory["aggregator"])
        self.poller = StreamPoller(LEADS.local_name, aggregator)
        from infra.constructs.api import ACCESS_LOG_FIELDS

        self.access_log_fields = ACCESS_LOG_FIELDS

    def close(self) -> None:
        self.meter.uninstall()

    def drain(self) -> int:
        with self.meter.acting_as("event_source_mapping"):
            return self.poller.drain()

    def call(
        self, window: Window | None, method: str, path: str, key: str, body: Any = None, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        from leadscoring import API_PREFIX

        url = API_PREFIX + path + ("?" + urlencode(query) if query else "")
        headers = {"x-api-key": key, "User-Agent": USER_AGENT}
        data = None if body is None else json.dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        response = self.client.open(url, method=method, data=data, headers=headers)
        payload = response.get_data()
        if window is not None:
            header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + len("HTTP/1.1 200 OK\r\n\r\n")
            latency = response.headers.get("X-Lambda-Duration-Ms", "0")
            window.count("api_requests")
            window.count("api_response_bytes", len(payload) + header_bytes)
            window.count("api_access_log_bytes", self._access_log_bytes(method, path, response.status_code, len(payload), latency))
        return response.status_code, json.loads(payload) if payload else None

    def _access_log_bytes(self, method: str, path: str, status: int, length: int, latency: str) -> int:
        """One access log line in the stage's format (infra/constructs/api.py), with this request's values."""
        from leadscoring import API_PREFIX

        values = {
            "$context.requestId": str(uuid.uuid4()),
            "$context.extendedRequestId": "Kx1aBcDEoAMFZ2Q=",
            "$context.requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "$context.identity.sourceIp": "203.0.113.24",
            "$context.identity.userAgent": USER_AGENT,
            "$context.httpMethod": method,
            "$context.resourcePath": API_PREFIX + path,
            "$context.path": "/prod" + API_PREFIX + path,
            "$context.status": str(status),
            "$context.responseLength": str(length),
            "$context.responseLatency": str(round(float(latency))),
            "$context.integrationLatency": str(round(float(latency))),
            "$context.authorizer.principalId": "a1b2c3d4e5f6a7b8",
            "$context.xrayTraceId": "1-6750b8aa-0123456789abcdef01234567",
        }
        line = {name: values.get(template, "-") for name, template in self.access_log_fields.items()}
        return len(json.dumps(line)) + 1

    # -- the batch workflow ------------------------------------------------------------------------

    def executions(self) -> list[dict[str, Any]]:
        with self.meter.unmetered():
            return list(self.sfn.list_executions(stateMachineArn=self.batch_arn)["executions"])

    def wait_for(self, known: set[str], timeout: float = 900) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [e for e in self.executions() if e["executionArn"] not in known]
            if new and all(e["status"] != "RUNNING" for e in new):
                if new[0]["status"] != "SUCCEEDED":
                    raise RuntimeError(f"the batch execution ended {new[0]['status']}")
                return str(new[0]["executionArn"])
            time.sleep(0.5)
        raise TimeoutError("the batch workflow did not finish")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        with self.meter.unmetered():
            while True:
                page = self.sfn.get_execution_history(**kwargs)
                events.extend(page["events"])
                if not page.get("nextToken"):
                    return events
                kwargs["nextToken"] = page["nextToken"]


def workflow_log_bytes(history: list[dict[str, Any]], children: int, child_attempts: int, execution_arn: str) -> int:
    """The execution's CloudWatch log events at level ALL without execution data: each history event's type, ids,
    time and small details (no input, output or parameters). A child execution of the Distributed Map logs its
    start, its task's entered / scheduled / started / succeeded / exited, and its end: 7 events, 4 more per retry,
    estimated at the parent's mean event size."""
    data_fields = {"input", "output", "parameters", "inputDetails", "outputDetails", "result", "resultDetails", "cause"}
    sizes = []
    for event in history:
        details = {k: {f: v for f, v in value.items() if f not in data_fields} for k, value in event.items() if k.endswith("EventDetails")}
        record = {
            "id": str(event.get("id")),
            "type": event.get("type"),
            "details": next(iter(details.values()), {}),
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": str(int(time.time() * 1000)),
            "execution_arn": execution_arn,
        }
        sizes.append(len(json.dumps(record, default=str)) + 1)
    if not sizes:
        return 0
    child_events = 7 * children + 4 * max(0, child_attempts - children)
    return int(sum(sizes) + child_events * statistics.fmean(sizes))


# -- scenarios --------------------------------------------------------------------------------------


def demo_bodies(count: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    from leadscoring.demo_data import generate

    bodies = []
    for n, demo in enumerate(generate(count, seed=seed)):
        body = dict(demo.lead)
        body["email"] = f"{prefix}-{n}@example.com"
        body["external_id"] = f"{prefix}-{n:06d}"  # the CRM's id, as a webhook sends it
        bodies.append(body)
    return bodies


def re_sent(body: dict[str, Any]) -> dict[str, Any]:
    """The same lead a day later: more page views, another open rate (the CRM sends it again)."""
    again = json.loads(json.dumps(body))
    behavioral = again.setdefault("attributes", {}).setdefault("behavioral", {})
    behavioral["page_views"] = int(behavioral.get("page_views") or 0) + 7
    behavioral["email_open_rate"] = round(min(1.0, float(behavioral.get("email_open_rate") or 0.2) + 0.1), 3)
    return again


def csv_file(bodies: list[dict[str, Any]]) -> bytes:
    """Leads as a batch file: identity columns, then one family.feature column per attribute (as the README shows)."""
    identity = ["email", "name", "phone", "company", "source", "external_id"]
    rows = []
    for body in bodies:
        row = {column: "" if body.get(column) is None else str(body[column]) for column in identity}
        for family, features in (body.get("attributes") or {}).items():
            for name, value in features.items():
                row[f"{family}.{name}"] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        rows.append(row)
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _score_window(
    stack: MeteredStack, name: str, bodies: list[dict[str, Any]], key: str, *, drain_each: bool = True
) -> tuple[Window, list[str]]:
    ids = []
    with stack.meter.window(name) as window:
        for body in bodies:
            status, answer = stack.call(window, "POST", "/score", key, body)
            if status != 200:
                raise RuntimeError(f"POST /score answered {status}: {answer}")
            ids.append(str(answer["id"]))
            if drain_each:
                stack.drain()
        if not drain_each:
            stack.drain()
    return window, ids


def _batch_window(stack: MeteredStack, name: str, bodies: list[dict[str, Any]], key: str) -> tuple[Window, dict[str, Any]]:
    from leadscoring.services import wiring

    relative = f"imports/{name}-{uuid.uuid4().hex[:8]}.csv"
    known = {e["executionArn"] for e in stack.executions()}
    before = (stack.children.children, stack.children.attempts)
    with stack.meter.window(name) as window:
        with stack.meter.acting_as("client"):  # the customer's upload: one PUT
            wiring.batch_files().write(CLIENT, relative, csv_file(bodies), "text/csv")
        status, started = stack.call(window, "POST", "/batch-score", key, {"file": {"key": relative, "format": "csv"}})
        if status != 202:
            raise RuntimeError(f"POST /batch-score answered {status}: {started}")
        with stack.meter.unmetered():
            execution = stack.wait_for(known)
        stack.drain()
        status, job = stack.call(window, "GET", f"/batch-score/{started['job_id']}", key)
        if status != 200 or job["status"] != "succeeded":
            raise RuntimeError(f"the batch job ended {job}")
    children = stack.children.children - before[0]
    attempts = stack.children.attempts - before[1]
    history = stack.history(execution)
    parent = transitions(history)
    return window, {
        "job": {k: job.get(k) for k in ("status", "total_rows", "succeeded_rows", "failed_rows", "rows", "counts") if k in job},
        "transitions": parent + children + attempts,
        "transitions_parent": parent,
        "map_children": children,
        "map_child_attempts": attempts,
        "workflow_log_bytes": workflow_log_bytes(history, children, attempts, execution),
    }


def measure() -> dict[str, Any]:
    from leadscoring.resources import AUDIT, LEADS
    from leadscoring.routes import Role
    from leadscoring.services import wiring
    from local_stack.moto_stack import moto_stack
    from local_stack.seed import seed_tenant

    started = time.perf_counter()
    with moto_stack(ENVIRONMENT) as endpoint:
        log("seeding a tenant (trains its model)")
        seed_tenant(CLIENT, leads=20, history=1500)
        stack = MeteredStack(endpoint)
        try:
            keys = {role: wiring.api_key_repository().create(CLIENT, role, f"cost benchmark ({role.value})") for role in Role}
            integration, analyst = keys[Role.INTEGRATION], keys[Role.ANALYST]
            stack.drain()  # the seeded leads' records: not part of any scenario

            log("warm-up (model load, first imports): not measured")
            for body in demo_bodies(WARMUP_SCORES, 3, "warm"):
                stack.call(None, "POST", "/score", integration, body)
            stack.call(None, "GET", "/performance", analyst)
            _batch_window(stack, "warmup_batch", demo_bodies(WARMUP_BATCH_LEADS, 4, "warm-batch"), integration)
            stack.drain()

            windows: dict[str, Any] = {}
            bodies = demo_bodies(REALTIME_LEADS, 11, "rt")
            log(f"POST /score x {REALTIME_LEADS}: new leads")
            windows["score_new"], ids = _score_window(stack, "score_new", bodies, integration)
            log(f"POST /score x {REALTIME_LEADS}: the same leads again")
            windows["score_existing"], _ = _score_window(stack, "score_existing", [re_sent(b) for b in bodies], integration)
            log(f"POST /score x {REALTIME_LEADS}: new leads with the CRM's event id")
            with_ids = [{**b, "event_id": f"evt-{uuid.uuid4().hex}"} for b in demo_bodies(REALTIME_LEADS, 12, "rt-evt")]
            windows["score_new_with_event_id"], _ = _score_window(stack, "score_new_with_event_id", with_ids, integration)
            log(f"POST /score x {REALTIME_LEADS}: new leads, the stream delivered once")
            windows["score_new_aggregated_in_batches"], _ = _score_window(
                stack, "score_new_aggregated_in_batches", demo_bodies(REALTIME_LEADS, 13, "rt-b"), integration, drain_each=False
            )
            log(f"POST /leads/{{id}}/conversion x {CONVERSIONS}")
            with stack.meter.window("conversion") as conversion:
                for lead_id in ids[:CONVERSIONS]:
                    status, answer = stack.call(
                        conversion, "POST", f"/leads/{lead_id}/conversion", integration, {"conversion_status": "contacted"}
                    )
                    if status != 200:
                        raise RuntimeError(f"POST /leads/{{id}}/conversion answered {status}: {answer}")
                    stack.drain()
            windows["conversion"] = conversion
            log(f"GET /performance x {PERFORMANCE_READS}")
            with stack.meter.window("performance") as performance:
                for _ in range(PERFORMANCE_READS):
                    status, answer = stack.call(performance, "GET", "/performance", analyst)
                    if status != 200:
                        raise RuntimeError(f"GET /performance answered {status}: {answer}")
            windows["performance"] = performance
            log(f"a batch file of {BATCH_LEADS} leads")
            batch_window, batch = _batch_window(stack, "batch_file", demo_bodies(BATCH_LEADS, 21, "batch"), integration)
        finally:
            stack.close()

    realtime_target = (
        f"<= ${TARGET_REALTIME_USD_PER_MILLION:.2f} per million scores, API Gateway excluded "
        "(REST requests alone add $3.50 per million: beside.api_gateway_rest_requests)"
    )
    scenarios: dict[str, Any] = {}
    for name in ("score_new_aggregated_in_batches", "score_new", "score_existing", "score_new_with_event_id"):
        figures = price_window(windows[name], REALTIME_LEADS)
        scenarios[name] = {
            **figures,
            "target": realtime_target,
            "meets_target": bool(figures["usd_per_million"] <= TARGET_REALTIME_USD_PER_MILLION),
            "usd_per_million_with_api_gateway": _r(
                figures["usd_per_million"] + sum(figures["beside"][k] for k in figures["beside"] if k.startswith(("api_", "data_")))
            ),
        }
    scenarios["score_new_aggregated_in_batches"]["note"] = (
        f"{REALTIME_LEADS} scores' stream records in one aggregator call: the deployed 10 s batching window at about ten scores "
        "a second (a million a day); score_new, score_existing and score_new_with_event_id aggregate each score alone"
    )
    batch_figures = price_window(
        batch_window,
        BATCH_LEADS,
        transitions_count=batch["transitions"],
        workflow_log_bytes=batch["workflow_log_bytes"],
        executions=1,
        api_in_total=True,
    )
    scenarios["batch_file"] = {
        **batch_figures,
        "workflow": {k: v for k, v in batch.items() if k != "workflow_log_bytes"},
        "target": f"<= ${TARGET_BATCH_USD_PER_MILLION:.2f} per million leads, all in",
        "meets_target": bool(batch_figures["usd_per_million"] <= TARGET_BATCH_USD_PER_MILLION),
    }
    scenarios["conversion"] = {**price_window(windows["conversion"], CONVERSIONS), "note": "per million conversions recorded; no target"}
    scenarios["performance"] = {**price_window(windows["performance"], PERFORMANCE_READS), "note": "per million reads; no target"}

    sizes = {
        "rule": "DynamoDB's item size: attribute names + values (benchmarks/dynamodb_capacity.py), as each path stores them",
        "realtime_lead": item_sizes(windows["score_new"], LEADS.local_name),
        "realtime_decision": item_sizes(windows["score_new"], AUDIT.local_name),
        "batch_lead": item_sizes(batch_window, LEADS.local_name),
        "batch_decision": item_sizes(batch_window, AUDIT.local_name),
    }
    for figures in scenarios.values():
        figures["dynamodb_units"] = dynamodb_units(figures)
    for name, figures in scenarios.items():
        verdict = f" (target: {'met' if figures['meets_target'] else 'not met'})" if "meets_target" in figures else ""
        largest = ", ".join(f"{item} {usd:.2f}" for item, usd in figures["largest"][:3])
        log(f"{name}: ${figures['usd_per_million']:.2f} per million{verdict}; largest: {largest}")
    targeted = [s["meets_target"] for s in scenarios.values() if "meets_target" in s]
    targeted += [v["meets_target"] for v in sizes.values() if isinstance(v, dict) and "meets_target" in v]
    return {
        "what": (
            "every AWS request of each scenario on the local stack (botocore hooks on every client), DynamoDB units by "
            "DynamoDB's sizing rules on the items as stored, Lambda by measured duration x configured memory, priced at "
            "us-east-1 on-demand list prices; figures in USD per million units of work"
        ),
        "scenarios": scenarios,
        "item_sizes": sizes,
        "assumptions": {
            "lambda": "warm calls, duration measured on moto (slower than DynamoDB), rounded up to 1 ms; x86; no cold starts",
            "authorizer": "API Gateway caches its answer per key (AUTHORIZER_CACHE_SECONDS): a window bills its first call only",
            "config_cache": "CONFIG_CACHE_SECONDS=0: every request reads its tenant's config, as at low traffic",
            "aggregation": (
                "score_new_aggregated_in_batches: one aggregator call for the window's scores (about ten a second with the "
                "deployed 10 s window); the other score_* deliver each request's records alone (a trickle)"
            ),
            "lambda_platform_logs": f"{PLATFORM_LOG_BYTES} bytes per invocation",
            "api_gateway_execution_logs": f"{API_EXECUTION_LOG_BYTES_ESTIMATE} bytes per request, estimated (INFO level), beside",
            "x_ray": f"{XRAY_SAMPLED_SHARE:.0%} of traced entry points (API requests, aggregator calls, executions), beside",
            "dynamodb": (
                "items as moto stores them, read before each write (after, for updates); a refused condition still costs "
                "the stored item's write units (at least 1); transactions double table writes, index writes count once"
            ),
            "free": "DynamoDB Streams reads by Lambda; TTL deletes; Lambda invoke and Step Functions API calls (their work is priced)",
            "not_priced": "storage (GB-months), KMS requests (DynamoDB and S3 cache their data keys), custom metric-months from EMF",
        },
        "prices": aws_prices.table(),
        "meets_target": all(targeted),
        "seconds": round(time.perf_counter() - started, 1),
    }


def run() -> dict[str, Any]:
    """The section: measured in a fresh interpreter, with the deployed environment set before any import."""
    environment = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    environment.update({k: v for k, v in ENVIRONMENT.items() if v is not None})
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cost"], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=None, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> int:
    from benchmarks.stdout_redirect import stdout_to

    with stdout_to(sys.stderr.fileno()):  # only the JSON document goes to stdout
        figures = measure()
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
