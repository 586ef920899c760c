"""How long a 1,000,000-row file takes on AWS, worked out from what one chunk costs and the limits that bind.

Measured here, in this run: the CPU one warm worker spends per lead on the one scoring path (BatchWorker.score_chunk
over demo CSV rows in the Map's chunks, in-memory storage: batch_throughput.score_file) and the chunks' size in rows
(the ItemBatcher's 240 KiB byte limit binds before its row limit). Counted from the code: the requests one chunk
makes (reads of the stored leads, the decision records' BatchWriteItem calls, one conditional PutItem per lead,
PARALLEL_PUTS at a time, the job's records, the chunk's files). Taken from AWS's documentation, each named in the
output: request latencies, a partition's write throughput, on-demand tables' default warm throughput, Lambda's
default concurrency. Settings: infra/config.py (BATCH_MAX_CONCURRENCY, WARM_WRITE_UNITS_PER_SECOND, the batch
worker's memory) and leadscoring.resources (WRITE_SHARDS, the indexes).

The job's rate is the least of: what MaxConcurrency workers score; what each table and index takes in write units
a second (each lead writes one unit to the leads table, to each of its indexes, to the audit table and to its
index: items and entries under 1 KB, see the cost section); a partition's 1,000 units a second times the write
shards. Its wall time adds the Map's start and Finalize joining the chunk files.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from benchmarks.batch_throughput import item_reader_rows, score_file
from leadscoring.data.batch_files import PARALLEL_READS
from leadscoring.data.item_writes import ITEMS_PER_BATCH_WRITE, PARALLEL_PUTS
from leadscoring.demo_data import generate
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.resources import AUDIT, LEADS, WRITE_SHARDS
from leadscoring.schemas.lead import LeadInput
from leadscoring.training.trainer import train_model

FILE_ROWS = 1_000_000
MEASURED_ROWS = 6_000
TARGET_SECONDS = 300
# AWS's documented figures, as of 2026-12 (the sources are named in the output).
DYNAMODB_REQUEST_SECONDS = 0.006  # "single-digit millisecond" in-region latency; a write round trip taken as 6 ms
S3_REQUEST_SECONDS = 0.03  # a small object's PUT or GET from Lambda in the same region, first byte
PARTITION_WRITE_UNITS = 1_000  # per partition, per second
ON_DEMAND_DEFAULT_WRITE_UNITS = 4_000  # a new on-demand table or index, before it has scaled or been warmed
LAMBDA_DEFAULT_CONCURRENCY = 1_000  # per account and region
MAP_START_SECONDS = 5.0  # ItemReader listing the file and the first child executions starting
KEYS_PER_BATCH_GET = 100
SOURCES = {
    "DYNAMODB_REQUEST_SECONDS": "DynamoDB Developer Guide, 'What is Amazon DynamoDB?' (single-digit millisecond performance)",
    "PARTITION_WRITE_UNITS": "DynamoDB Developer Guide, 'Understanding DynamoDB warm throughput' (1,000 write units per partition)",
    "ON_DEMAND_DEFAULT_WRITE_UNITS": "DynamoDB Developer Guide, 'Pre-warming a table for on-demand capacity mode' (4,000 writes/s)",
    "LAMBDA_DEFAULT_CONCURRENCY": "Lambda Developer Guide, 'Lambda quotas' (1,000 concurrent executions)",
    "S3_REQUEST_SECONDS": "S3 User Guide, 'Performance guidelines' (first-byte latency of small objects, tens of ms)",
}


def log(message: str) -> None:
    print(f"[batch_wall_time] {message}", file=sys.stderr, flush=True)


def chunk_requests(rows: float) -> dict[str, float]:
    """The round trips one chunk of `rows` new leads waits for, in sequence (parallel ones counted once a round)."""
    return {
        "job_record_read": 1,
        "stored_leads_batch_get": math.ceil(rows / KEYS_PER_BATCH_GET),
        "decisions_batch_write": math.ceil(rows / ITEMS_PER_BATCH_WRITE),
        "leads_conditional_put_rounds": math.ceil(rows / PARALLEL_PUTS),
        "chunk_count_transaction": 1,
    }


def model(cpu_seconds_per_lead: float, rows_per_chunk: float) -> dict[str, Any]:
    """The million-row job under the deployed settings: per-worker rate, every bound, the binding one, wall time."""
    from infra import config

    requests = chunk_requests(rows_per_chunk)
    dynamodb_seconds = sum(requests.values()) * DYNAMODB_REQUEST_SECONDS
    s3_seconds = 2 * S3_REQUEST_SECONDS  # the chunk's results and error files
    memory = config.FUNCTIONS[config.BATCH_WORKER_FUNCTION].memory_mb
    cpu_share = min(1.0, memory / 1769)  # Lambda gives a full vCPU at 1,769 MB
    cpu_seconds = rows_per_chunk * cpu_seconds_per_lead / cpu_share
    chunk_seconds = cpu_seconds + dynamodb_seconds + s3_seconds
    per_worker = rows_per_chunk / chunk_seconds
    concurrency = min(config.BATCH_MAX_CONCURRENCY, LAMBDA_DEFAULT_CONCURRENCY)

    writes_per_lead = {LEADS.logical_id: 1, **{f"{LEADS.logical_id}.{i.name}": 1 for i in LEADS.indexes}}
    writes_per_lead.update({AUDIT.logical_id: 1, **{f"{AUDIT.logical_id}.{i.name}": 1 for i in AUDIT.indexes}})
    warm = {
        LEADS.logical_id: config.WARM_WRITE_UNITS_PER_SECOND.get(LEADS),
        AUDIT.logical_id: config.WARM_WRITE_UNITS_PER_SECOND.get(AUDIT),
    }
    table_units = {name: (warm[name.split(".")[0]] or ON_DEMAND_DEFAULT_WRITE_UNITS) for name in writes_per_lead}
    bounds = {
        "workers": concurrency * per_worker,
        **{f"write_throughput:{name}": table_units[name] / units for name, units in writes_per_lead.items()},
        # The index partitions keyed by write shard (and the audit table's own), whatever the table's warm throughput.
        "partitions": WRITE_SHARDS * PARTITION_WRITE_UNITS,
    }
    binding = min(bounds, key=lambda name: bounds[name])
    rate = bounds[binding]
    chunks = math.ceil(FILE_ROWS / rows_per_chunk)
    finalize = math.ceil(chunks / PARALLEL_READS) * S3_REQUEST_SECONDS + 2 * S3_REQUEST_SECONDS
    seconds = MAP_START_SECONDS + FILE_ROWS / rate + finalize
    # Above the tables' capacity, writes are throttled: each backs off and is retried (botocore, then the Map's
    # retry of the chunk), so nothing is lost, but a storm of retries slows every worker.
    headroom = bounds["workers"] / min(v for k, v in bounds.items() if k != "workers")
    return {
        "rows": FILE_ROWS,
        "rows_per_chunk": round(rows_per_chunk, 1),
        "chunks": chunks,
        "chunk_seconds": {"cpu": round(cpu_seconds, 3), "dynamodb": round(dynamodb_seconds, 3), "s3": round(s3_seconds, 3)},
        "chunk_round_trips": requests,
        "leads_per_second_per_worker": round(per_worker),
        "max_concurrency": config.BATCH_MAX_CONCURRENCY,
        "warm_write_units_per_second": {k: v for k, v in table_units.items()},
        "write_shards": WRITE_SHARDS,
        "bounds_leads_per_second": {k: round(v) for k, v in bounds.items()},
        "binding_limit": binding,
        "leads_per_second": round(rate),
        "workers_over_write_capacity": round(headroom, 2),
        "finalize_seconds": round(finalize, 1),
        "seconds": round(seconds, 1),
        "target_seconds": TARGET_SECONDS,
        "meets_target": seconds <= TARGET_SECONDS and headroom <= 1.5,
        "assumptions": {
            "DYNAMODB_REQUEST_SECONDS": DYNAMODB_REQUEST_SECONDS,
            "S3_REQUEST_SECONDS": S3_REQUEST_SECONDS,
            "PARTITION_WRITE_UNITS": PARTITION_WRITE_UNITS,
            "ON_DEMAND_DEFAULT_WRITE_UNITS": ON_DEMAND_DEFAULT_WRITE_UNITS,
            "LAMBDA_DEFAULT_CONCURRENCY": LAMBDA_DEFAULT_CONCURRENCY,
            "MAP_START_SECONDS": MAP_START_SECONDS,
            "lambda_cpu": f"{memory} MB is {cpu_share:.2f} of a vCPU; this machine's core taken as one vCPU",
            "sources": SOURCES,
        },
    }


def run() -> dict[str, Any]:
    leads = generate(2000, seed=71)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    trained = train_model(rows, [d.converted for d in leads], default_features(), "m", "1", "n", created_by="bench", time_budget_seconds=0)
    log(f"one worker, {MEASURED_ROWS:,} rows (logistic regression, explained)")
    measured = score_file(item_reader_rows(MEASURED_ROWS, seed=72), trained, explained=True)
    cpu_per_lead = measured["cpu_seconds"] / MEASURED_ROWS
    figures = model(cpu_per_lead, measured["mean_rows_per_chunk"])
    log(f"1,000,000 rows: {figures['seconds']} s, bound by {figures['binding_limit']} at {figures['leads_per_second']:,} leads/s")
    return {
        "what": (
            "A 1,000,000-row CSV on AWS, worked out from this run's CPU per lead on the one scoring path (one warm worker, "
            "in-memory storage), the round trips a chunk makes, the deployed settings and AWS's documented limits"
        ),
        "measured": {
            "cpu_microseconds_per_lead": round(cpu_per_lead * 1e6, 1),
            "leads_per_cpu_second_one_worker": measured["leads_per_cpu_second"],
            "by_stage": measured["cpu_microseconds_per_lead_by_stage"],
        },
        **figures,
    }
