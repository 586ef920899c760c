"""Batch throughput per core, for information (no target): a file of demo leads through the batch worker's code
path, BatchWorker.score_chunk, which is the one scoring path (ScoringService.intake and score_valid).

The rows are what Step Functions' ItemReader yields for a CSV file with a header: the demo leads are written as
one CSV file and read back with csv.DictReader (every value a string, "" when empty). The Map's ItemSelector tags
each with its index and ItemBatcher groups them by the workflow's limits (500 rows, 240 KiB: about 260 rows of
these leads); each batch is the JSON text the worker's Lambda receives. Timed per batch, as one warm worker runs
it: parsing the event (what the Lambda runtime does), then score_chunk: the API's validation per row, one ONNX
run per chunk (explanation variants included), the lead and decision items written as the text DynamoDB receives,
the results and error files. DynamoDB and S3 are in memory (the items are built as for the real writer, not
sent); the model is loaded before the clock starts.

A job's throughput comes from the Distributed Map's concurrency and the tables' write throughput, not from one
core (see the cost section's million-lead model); this figure prices a lead's Lambda time.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fakes.storage import InMemoryBatchFiles, InMemoryBatchJobs, InMemoryLeadRepository, InMemoryTenants
from leadscoring.data.audit import decision_item
from leadscoring.data.batch_jobs import JobRecord
from leadscoring.data.leads import lead_to_item
from leadscoring.data.wire_text import fields_text
from leadscoring.demo_data import generate
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.row_values import IDENTITY_COLUMNS
from leadscoring.inference.onnx_model import LoadedModel
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import ConversionStatus, Lead
from leadscoring.schemas.model import ModelType
from leadscoring.services.batch_worker import BatchWorker
from leadscoring.services.file_rows import FileRows
from leadscoring.services.scoring import ScoringService
from leadscoring.training.trainer import TrainedModel
from leadscoring.workflows.batch import CHUNK_BYTES, CHUNK_ROWS
from local_stack.distributed_map import make_batches

BATCH_LEADS, BATCH_SEED = 20_000, 99


def log(message: str) -> None:
    import sys

    print(f"[batch_throughput] {message}", file=sys.stderr, flush=True)


def item_reader_rows(count: int, seed: int) -> list[dict[str, str]]:
    """`count` distinct demo leads as one CSV file (header: identity columns, then every feature), read back as
    ItemReader reads it."""
    header = [*IDENTITY_COLUMNS, *(f.name for f in default_features())]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header)
    writer.writeheader()
    for demo in generate(count, seed=seed):
        lead = demo.lead
        row = {k: _cell(lead.get(k)) for k in IDENTITY_COLUMNS}
        for values in lead.get("attributes", {}).values():
            row.update({name: _cell(value) for name, value in values.items()})
        writer.writerow(row)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class ItemBuildingLeads(InMemoryLeadRepository):
    """In-memory leads that build each lead's and decision's item text as the real writer does (and count it)."""

    def __init__(self) -> None:
        super().__init__()
        self.written_items = 0
        self.written_bytes = 0

    def save_scored(self, scored: Sequence[tuple[Lead, AuditEvent]], seen: Mapping[str, ConversionStatus | None]) -> set[str]:
        for lead, decision in scored:
            texts = (fields_text(lead_to_item(lead)), fields_text(decision_item(lead.client_id, decision)))
            self.written_items += 2
            self.written_bytes += sum(map(len, texts))
        return super().save_scored(scored, seen)


class StageClock:
    """CPU seconds spent in each stage of a chunk, timed by wrapping the functions each stage is (a few calls per
    chunk, so the wrapping costs nothing measurable). Everything else (decisions, items, files) is the rest."""

    STAGES = {
        "validate": (ScoringService, "intake"),
        # One session.run for the chunk and, with explanations, ranking each lead's factors.
        "model_and_explanations": (LoadedModel, "predict_explained"),
        "items": (ItemBuildingLeads, "save_scored"),
    }

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.STAGES, 0.0)

    @contextmanager
    def installed(self) -> Iterator[None]:
        saved = {name: getattr(owner, attr) for name, (owner, attr) in self.STAGES.items()}
        for name, (owner, attr) in self.STAGES.items():
            setattr(owner, attr, self._timed(name, saved[name]))
        try:
            yield
        finally:
            for name, (owner, attr) in self.STAGES.items():
                setattr(owner, attr, saved[name])

    def _timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - started

        return timed


def chunk_payloads(rows: Sequence[dict[str, str]], scored_at: datetime) -> list[str]:
    """The Map's batches as the worker's Lambda receives them, JSON text: each row tagged with its index (the
    ItemSelector), grouped by the workflow's ItemBatcher limits (rows and bytes), with the job as BatchInput."""
    batcher = {
        "MaxItemsPerBatch": CHUNK_ROWS,
        "MaxInputBytesPerBatch": CHUNK_BYTES,
        "BatchInput": {"client_id": "bench", "job_id": "bench", "scored_at": scored_at.isoformat(), "key_id": None},
    }
    items = [{"index": index, "row": row} for index, row in enumerate(rows)]
    return [json.dumps(batch) for batch in make_batches(items, batcher, {})]


def score_file(rows: Sequence[dict[str, str]], trained: TrainedModel, *, explained: bool) -> dict[str, Any]:
    metadata = trained.metadata if explained else trained.metadata.model_copy(update={"baselines": None})
    leads = ItemBuildingLeads()
    tenants = InMemoryTenants(leads)
    tenants.add("bench", "m", trained.onnx_bytes, metadata, default_features())
    service = tenants.service(config_cache_seconds=3600.0)
    service.active_model("bench")  # the worker loads its model once per container: not timed
    scored_at = datetime.now(UTC)
    job = JobRecord(job_id="bench", status="running", format="csv", file_key="bench.csv", created_at=scored_at, created_by="bench")
    jobs, files = InMemoryBatchJobs(job), InMemoryBatchFiles()
    worker = BatchWorker(jobs, files, FileRows(service))
    payloads = chunk_payloads(rows, scored_at)
    clock = StageClock()
    parse, first_chunk = 0.0, 0.0
    with clock.installed():
        wall, cpu = time.perf_counter(), time.process_time()
        for k, payload in enumerate(payloads):
            started = time.process_time()
            event = json.loads(payload)  # what the Lambda runtime does with the Map's batch
            parse += time.process_time() - started
            worker.score_chunk(event["Items"], event["BatchInput"])
            if k == 0:
                first_chunk = (time.process_time() - started) / len(event["Items"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(rows)
    stages = {"parse": parse, **clock.seconds}
    stages["decisions_results_and_files"] = cpu - sum(stages.values())
    return {
        "leads_per_second": round(n / wall),
        "leads_per_cpu_second": round(n / cpu),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_microseconds_per_lead_by_stage": {name: round(s / n * 1e6, 2) for name, s in stages.items()},
        "first_chunk_cpu_microseconds_per_lead": round(first_chunk * 1e6, 1),
        "chunks": len(payloads),
        "mean_rows_per_chunk": round(n / len(payloads), 1),
        "scored": sum(c.scored for c in jobs.counted),
        "invalid_rows": sum(c.invalid for c in jobs.counted),
        "items_written": leads.written_items,
        "megabytes_written": round(leads.written_bytes / 1e6, 1),
    }


def batch_throughput(models: dict[ModelType, TrainedModel]) -> dict[str, Any]:
    log(f"{BATCH_LEADS:,} leads as CSV rows")
    rows = item_reader_rows(BATCH_LEADS, BATCH_SEED)
    results: dict[str, Any] = {}
    for model_type, trained in models.items():
        results[model_type] = {}
        for explained in (True, False):
            figures = score_file(rows, trained, explained=explained)
            results[model_type]["with_explanations" if explained else "without_explanations"] = figures
            log(f"{model_type} {'with' if explained else 'without'} explanations: {figures['leads_per_cpu_second']:,} leads per CPU second")
    return {
        "what": (
            f"{BATCH_LEADS:,} distinct demo leads as CSV rows (csv.DictReader, as ItemReader yields them), in the Map's "
            f"batches (at most {CHUNK_ROWS} rows and {CHUNK_BYTES // 1024} KiB), each from its JSON text through "
            "BatchWorker.score_chunk on one thread, one warm worker: the one scoring path (the API's validation, one ONNX "
            "run per chunk, decisions, lead and decision item text), results and error files; in-memory storage, model "
            "loaded before timing. For information: a job's throughput is the Map's concurrency times this, within the "
            "tables' write throughput (see the cost section)"
        ),
        "models": results,
    }
