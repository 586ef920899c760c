"""The local stack's single-lead speed: `POST /score` through `python -m local_stack` (what `make run` starts), over HTTP.

A fresh stack is started in a subprocess (its own port, its own state folder), as `make run` starts it: moto in
server mode, the demo tenant trained and seeded, the local API Gateway. Then, for the leads table as seeded and
again after growing it to LARGE_TABLE_LEADS items:
- sequential: SEQUENTIAL_LEADS demo leads one at a time (the handler time of one local score, nothing queued);
- concurrent: CONCURRENT_LEADS demo leads from CONCURRENCY clients at once (throughput, and the handler time when
  eight requests share the stack's one interpreter).
The handler time is the gateway's `X-Lambda-Duration-Ms` (the score function's handler, its DynamoDB calls to moto
included); CPU is the stack process's (every thread: gateway, handlers, moto, the stream poller), per lead scored.

The table is grown with BatchWriteItem copies of a scored demo lead (new ids, the demo tenant), then the benchmark
waits for the stack to go idle (the stream poller hands every new record to the aggregator) before scoring again.
Beside it, a second fresh stack with CONFIG_CACHE_SECONDS=0 (each tenant's config and features read for every
lead, as make run did before it took the deployed 5 s) scores the same way against its seeded tables.
moto is not DynamoDB: these are the local stack's figures, not AWS's.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from leadscoring import API_PREFIX
from leadscoring.demo_data import generate
from leadscoring.resources import AUDIT, LEADS

ROOT = Path(__file__).resolve().parent.parent
SEQUENTIAL_LEADS, CONCURRENT_LEADS, CONCURRENCY = 200, 1000, 8
LARGE_TABLE_LEADS = 20_000
STARTUP_SECONDS = 900  # training and seeding take about a minute alone; on a shared machine, several
IDLE_CPU_SHARE, IDLE_WINDOW_SECONDS, IDLE_WAIT_SECONDS = 0.15, 3.0, 600
WRITE_BATCH, WRITERS = 25, 4  # BatchWriteItem's limit; writer threads growing the table
LEAD_SEED = 8100  # demo leads scored (new leads in every phase, never the seeded ones): seeds LEAD_SEED + 0, 1, ...

TARGET_HANDLER_P50_MS = 20.0
TARGET_SCORES_PER_SECOND = 50.0


def log(message: str) -> None:
    print(f"[scoring_speed] {message}", file=sys.stderr, flush=True)


class LocalStack:
    """`python -m local_stack` in a subprocess, until stop()."""

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.api_key = f"bench-{secrets.token_hex(16)}"
        self._state_dir = tempfile.TemporaryDirectory(prefix="local-stack-bench-")
        self._log = tempfile.NamedTemporaryFile(prefix="local-stack-bench-", suffix=".log", delete=False)  # noqa: SIM115
        env = {
            **os.environ,
            **(environment or {}),
            "PORT": str(self.port),
            "MOTO_PORT": "0",
            "LEADSCORING_API_KEY": self.api_key,
            "LEADSCORING_STATE_DIR": self._state_dir.name,
            "PYTHONUNBUFFERED": "1",
        }
        started = time.perf_counter()
        self.process = subprocess.Popen(  # this interpreter, the project's own module
            [sys.executable, "-m", "local_stack"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # SIGINT is how stop() asks the stack to shut down; a shell's background job ignores it, and a child
            # would inherit that.
            preexec_fn=_interruptible,
        )
        state = Path(self._state_dir.name) / f"stack-{self.port}.json"
        while not state.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the local stack exited with {self.process.returncode}:\n{self.output_tail()}")
            if time.perf_counter() - started > STARTUP_SECONDS:
                self.stop()
                raise RuntimeError(f"the local stack did not start in {STARTUP_SECONDS} s:\n{self.output_tail()}")
            time.sleep(0.5)
        self.startup_seconds = time.perf_counter() - started
        self.moto_endpoint = str(json.loads(state.read_text())["moto_endpoint"])

    def output_tail(self, lines: int = 40) -> str:
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU of the stack process, every thread (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def dynamodb(self) -> Any:
        import boto3

        return boto3.session.Session().client(
            "dynamodb",
            endpoint_url=self.moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106  # moto accepts any credentials
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the stack's own shutdown (KeyboardInterrupt)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
        self._state_dir.cleanup()


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def score_leads(stack: LocalStack, bodies: Sequence[str], concurrency: int) -> dict[str, Any]:
    """POST /score each body, `concurrency` at a time (one connection per client); every answer must be a 200."""
    local = threading.local()

    def one(body: str) -> tuple[float, float]:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
        started = time.perf_counter()
        connection.request(
            "POST", f"{API_PREFIX}/score", body=body, headers={"Content-Type": "application/json", "x-api-key": stack.api_key}
        )
        response = connection.getresponse()
        payload = response.read()
        wall = time.perf_counter() - started
        if response.status != 200:
            raise AssertionError(f"POST /score answered {response.status}: {payload[:300]!r}")
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            local.connection = None
        return float(response.getheader("X-Lambda-Duration-Ms") or "nan"), wall * 1000

    cpu_started, started = stack.cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        timings = list(pool.map(one, bodies))
    seconds = time.perf_counter() - started
    cpu = stack.cpu_seconds() - cpu_started
    handler = [h for h, _ in timings]
    wall = [w for _, w in timings]
    return {
        "leads": len(bodies),
        "concurrency": concurrency,
        "handler_ms": _percentiles(handler),
        "request_ms": _percentiles(wall),
        "scores_per_second": round(len(bodies) / seconds, 1),
        "stack_cpu_ms_per_score": round(cpu / len(bodies) * 1000, 2),
        "seconds": round(seconds, 1),
    }


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(statistics.median(ordered), 2), "p95": round(pick(0.95), 2), "max": round(ordered[-1], 2)}


def table_sizes(stack: LocalStack) -> dict[str, int]:
    client = stack.dynamodb()
    return {spec.local_name: int(client.describe_table(TableName=spec.local_name)["Table"]["ItemCount"]) for spec in (LEADS, AUDIT)}


def grow_leads_table(stack: LocalStack, to_items: int) -> dict[str, Any]:
    """Copies of one scored demo lead (new id, email and external id, the demo tenant) until the leads table holds
    `to_items` items; then wait for the stack to go idle (the aggregator has had every new stream record)."""
    client = stack.dynamodb()
    template = client.scan(TableName=LEADS.local_name, Limit=1)["Items"][0]
    missing = to_items - table_sizes(stack)[LEADS.local_name]
    started = time.perf_counter()

    def item(n: int) -> dict[str, Any]:
        copy = dict(template)
        copy["id"] = {"S": str(uuid.uuid4())}
        copy["email"] = {"S": f"bulk{n}@example.com"}
        if "external_id" in copy:
            copy["external_id"] = {"S": f"bulk-{n}"}
            copy["client_external_key"] = {"S": f"{template['client_id']['S']}#bulk-{n}"}
        return copy

    def write(first: int) -> None:
        request = {LEADS.local_name: [{"PutRequest": {"Item": item(n)}} for n in range(first, min(first + WRITE_BATCH, missing))]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(0, max(missing, 0), WRITE_BATCH)))
    written = time.perf_counter() - started
    idle_after = wait_until_idle(stack)
    return {"items_written": max(missing, 0), "write_seconds": round(written, 1), "stream_drained_seconds": idle_after}


def wait_until_idle(stack: LocalStack) -> float:
    """Seconds until the stack used under IDLE_CPU_SHARE of a core over IDLE_WINDOW_SECONDS (its stream poller has
    caught up); raises after IDLE_WAIT_SECONDS."""
    started = time.perf_counter()
    while time.perf_counter() - started < IDLE_WAIT_SECONDS:
        cpu = stack.cpu_seconds()
        time.sleep(IDLE_WINDOW_SECONDS)
        if (stack.cpu_seconds() - cpu) / IDLE_WINDOW_SECONDS < IDLE_CPU_SHARE:
            return round(time.perf_counter() - started, 1)
    raise RuntimeError(f"the local stack was still busy after {IDLE_WAIT_SECONDS} s")


def _bodies(seed: int, count: int) -> list[str]:
    """Demo leads, each a lead the stack has not stored yet (demo leads of any seed share external ids by index)."""
    bodies = []
    for n, demo in enumerate(generate(count, seed=seed)):
        bodies.append(json.dumps({**demo.lead, "external_id": f"bench-{seed}-{n}"}))
    return bodies


def _phase(stack: LocalStack, phase: int) -> dict[str, Any]:
    """New leads, one at a time and then CONCURRENCY at once, with the table sizes before and after."""
    sequential = _bodies(LEAD_SEED + 2 * phase, SEQUENTIAL_LEADS)
    concurrent = _bodies(LEAD_SEED + 2 * phase + 1, CONCURRENT_LEADS)
    before = table_sizes(stack)
    one = score_leads(stack, sequential, 1)
    many = score_leads(stack, concurrent, CONCURRENCY)
    return {"table_items_before": before, "sequential": one, "concurrent": many, "table_items_after": table_sizes(stack)}


def local_stack_speed() -> dict[str, Any]:
    stack = LocalStack()
    try:
        log(f"local stack up in {stack.startup_seconds:.0f} s; scoring against the seeded tables")
        seeded = _phase(stack, 0)
        log(f"seeded tables: {_summary(seeded)}; growing the leads table to {LARGE_TABLE_LEADS}")
        grown = grow_leads_table(stack, LARGE_TABLE_LEADS)
        large = _phase(stack, 1)
        log(f"{LARGE_TABLE_LEADS} leads: {_summary(large)}")
    except Exception:
        log(f"the local stack's output ended with:\n{stack.output_tail()}")
        raise
    finally:
        stack.stop()
    uncached = LocalStack({"CONFIG_CACHE_SECONDS": "0"})
    try:
        config_read_every_lead = _phase(uncached, 2)
        log(f"CONFIG_CACHE_SECONDS=0: {_summary(config_read_every_lead)}")
    except Exception:
        log(f"the local stack's output ended with:\n{uncached.output_tail()}")
        raise
    finally:
        uncached.stop()
    handler_p50 = seeded["sequential"]["handler_ms"]["p50"]
    throughput = seeded["concurrent"]["scores_per_second"]
    return {
        "what": (
            "POST /score through `python -m local_stack` (make run's stack, in a subprocess) over HTTP: "
            f"{SEQUENTIAL_LEADS} demo leads one at a time, then {CONCURRENT_LEADS} from {CONCURRENCY} clients at once; "
            "handler_ms = the gateway's X-Lambda-Duration-Ms (the score handler with its DynamoDB calls to moto), "
            "request_ms = the client's whole request, stack_cpu_ms = the stack process's CPU (every thread) per lead; "
            f"first with the tables as seeded, then with the leads table grown to {LARGE_TABLE_LEADS} items"
        ),
        "startup_seconds": round(stack.startup_seconds, 1),
        "seeded_tables": seeded,
        "grow_leads_table": grown,
        "large_leads_table": large,
        "config_read_for_every_lead": {
            "what": "a second fresh stack with CONFIG_CACHE_SECONDS=0: every lead's score reads its tenant's config and features",
            **config_read_every_lead,
        },
        "target": f"handler p50 <= {TARGET_HANDLER_P50_MS:g} ms for one local score; >= {TARGET_SCORES_PER_SECOND:g} scores/s "
        f"at concurrency {CONCURRENCY}",
        "figure_handler_p50_ms": handler_p50,
        "figure_scores_per_second": throughput,
        "meets_target": bool(handler_p50 <= TARGET_HANDLER_P50_MS and throughput >= TARGET_SCORES_PER_SECOND),
    }


def _summary(phase: dict[str, Any]) -> str:
    one, many = phase["sequential"], phase["concurrent"]
    return (
        f"one at a time handler p50 {one['handler_ms']['p50']:.1f} ms (p95 {one['handler_ms']['p95']:.1f}); "
        f"{CONCURRENCY} at once {many['scores_per_second']:.1f} scores/s, handler p50 {many['handler_ms']['p50']:.1f} ms, "
        f"{many['stack_cpu_ms_per_score']:.1f} ms of the stack's CPU per lead"
    )
