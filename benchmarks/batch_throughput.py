"""Batch throughput: a file of 100,000 leads through the batch worker's code path, BatchWorker.score_chunk.

The rows are what Step Functions' ItemReader yields for a CSV file with a header: the demo leads are written as
one CSV file and read back with csv.DictReader (every value a string, "" when empty). The Map's ItemSelector tags
each with its index and ItemBatcher groups them by the workflow's limits (500 rows, 240 KiB: about 260 rows of
these leads); each batch is the JSON text the worker's Lambda receives. Timed per batch, as one warm worker runs
it: parsing the event (what the Lambda runtime does), then score_chunk: validation, features, one ONNX run
(explanation variants included), the lead and decision items as the BatchWriteItem bodies' text, the per-row
results file and error file. Storage is in memory (the DynamoDB and S3 calls are not timed, what they are given
is); the model is loaded before the clock starts.

Reported per model type, with explanations (models that record training baselines, the product's default) and
without: leads/s of wall time and of process CPU time (the machine is shared; CPU time is what one core spent),
microseconds per lead by stage, and the first batch alone (cold caches). Beside it, the per-lead path the worker
replaced, on fewer leads: LeadInput per JSON line, validate_attributes, flatten, model_inputs + session.run,
a JSON result line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import botocore.session
from boto3.dynamodb.types import TypeSerializer
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator
from pydantic import ValidationError

from benchmarks.in_memory_storage import InMemoryBatchFiles, InMemoryBatchJobs, InMemoryLeadRepository, InMemoryTenants
from leadscoring.data.batch_jobs import JobRecord
from leadscoring.data.batch_write import ITEMS_PER_BATCH_WRITE, request_body
from leadscoring.data.wire_text import item_from_text
from leadscoring.demo_data import generate
from leadscoring.domain.batch_files import csv_lines
from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import completeness, flatten, model_inputs, validate_attributes
from leadscoring.domain.row_values import IDENTITY_COLUMNS
from leadscoring.domain.scoring import score_from_probability
from leadscoring.inference.onnx_model import LoadedModel
from leadscoring.schemas.lead import LeadInput
from leadscoring.schemas.model import ModelType, Thresholds
from leadscoring.services import row_scoring
from leadscoring.services.batch_worker import BatchWorker
from leadscoring.services.row_scoring import RowScoring
from leadscoring.training.trainer import TrainedModel
from leadscoring.workflows.batch import CHUNK_BYTES, CHUNK_ROWS
from local_stack.distributed_map import make_batches

BATCH_LEADS, BATCH_SEED = 100_000, 99
REFERENCE_LEADS = 20_000
SERIALIZATION_LEADS = 2_000
FLOOR_LEADS = 30_000
TARGET_LEADS_PER_SECOND = 50_000
TARGET_MODEL: ModelType = "logistic_regression"


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


class StageClock:
    """Seconds spent in each stage of score_rows, timed by wrapping the functions each stage is (a few calls per
    chunk, so the wrapping costs nothing measurable). Everything else (items, results) is the rest."""

    STAGES = {
        "validate": (RowScoring, "_accept"),
        "features": (row_scoring._Chunk, "inputs"),
        # One session.run for the chunk and, with explanations, ranking each lead's factors.
        "model_and_explanations": (LoadedModel, "explained"),
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
    metadata = trained.metadata if explained else {k: v for k, v in trained.metadata.items() if k != "baselines"}
    leads = InMemoryLeadRepository()
    tenants = InMemoryTenants(leads)
    tenants.add("bench", "m", trained.onnx_bytes, metadata, default_features())
    scoring = RowScoring(tenants.service(config_cache_seconds=3600.0), leads)
    scoring._scoring.active_model("bench")  # the worker loads its model once per container: not timed
    scored_at = datetime.now(UTC)
    job = JobRecord(job_id="bench", status="running", format="csv", file_key="bench.csv", created_at=scored_at, created_by="bench")
    jobs, files = InMemoryBatchJobs(job), InMemoryBatchFiles()
    worker = BatchWorker(jobs, files, leads, scoring)
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
    stages["items_results_and_files"] = cpu - sum(stages.values())
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


def reference_per_lead_path(rows: Sequence[dict[str, str]], trained: TrainedModel) -> dict[str, Any]:
    """The path this replaced, on the same leads as JSON lines: one LeadInput per line, validate_attributes,
    flatten, then per chunk model_inputs + session.run (no explanations) and one JSON result line per lead."""
    from leadscoring.inference.onnx_model import load_model

    model = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    lines = [json.dumps(_nested(row)).encode() for row in rows]
    features, thresholds = default_features(), Thresholds()
    wall, cpu = time.perf_counter(), time.process_time()
    written = 0
    for start in range(0, len(lines), CHUNK_ROWS):
        leads = []
        for line in lines[start : start + CHUNK_ROWS]:
            try:
                lead = LeadInput.model_validate_json(line)
                validate_attributes(lead.attributes, features)
            except (ValidationError, InvalidInput):
                continue
            leads.append(lead)
        flats = [flatten(lead.attributes) for lead in leads]
        probabilities = model.session.run([model.probability_output], model_inputs(flats, model.schema))[0][:, 1]
        for lead, flat, p in zip(leads, flats, probabilities.tolist(), strict=True):
            outcome = score_from_probability(p, completeness(flat, model.schema), thresholds)
            written += len(json.dumps({"external_id": lead.external_id, "score": outcome.score, "grade": outcome.grade}))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"leads": len(lines), "leads_per_second": round(len(lines) / wall), "leads_per_cpu_second": round(len(lines) / cpu)}


def _nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the API's JSON body (types by feature), for the reference path."""
    by_name = {f.name: f for f in default_features()}
    body: dict[str, Any] = {k: row[k] for k in IDENTITY_COLUMNS if row.get(k)}
    attributes: dict[str, dict[str, Any]] = {}
    for name, text in row.items():
        feature = by_name.get(name)
        if feature is None or text == "":
            continue
        if feature.type == "boolean":
            value: Any = text == "true"
        elif feature.type == "numerical":
            value = float(text) if any(c in text for c in ".eE") else int(text)
        else:
            value = text
        attributes.setdefault(feature.family.value, {})[name] = value
    body["attributes"] = attributes
    return body


def item_serialization(rows: Sequence[dict[str, str]], trained: TrainedModel) -> dict[str, Any]:
    """CPU per lead to turn a batch's items (lead + decision, explained) into BatchWriteItem requests: the worker's
    (the items' text joined into the body, data/batch_write.request_body) beside boto3's standard path for the same
    items as dicts (TypeSerializer per attribute, then botocore's parameter validation and request serialisation:
    what a default client or Table.batch_writer does). The items are made by the worker, untimed."""
    leads = InMemoryLeadRepository()
    tenants = InMemoryTenants(leads)
    tenants.add("bench", "m", trained.onnx_bytes, trained.metadata, default_features())
    scoring = RowScoring(tenants.service(config_cache_seconds=3600.0), leads)
    texts: list[str] = []
    for start in range(0, len(rows), 250):
        out = scoring.score_rows(
            "bench", rows[start : start + 250], first_row=start + 1, job_id="bench", scored_at=datetime.now(UTC), key_id=None
        )
        texts += [*out.lead_items, *out.decision_items]
    groups = [texts[start : start + ITEMS_PER_BATCH_WRITE] for start in range(0, len(texts), ITEMS_PER_BATCH_WRITE)]
    dict_groups = [[item_from_text(text) for text in group] for group in groups]
    operation = botocore.session.get_session().get_service_model("dynamodb").operation_model("BatchWriteItem")
    shape = operation.input_shape
    assert shape is not None
    validator, serializer, to_wire = ParamValidator(), create_serializer("json"), TypeSerializer().serialize

    def boto3_path() -> None:
        for group in dict_groups:
            params = {"RequestItems": {"t": [{"PutRequest": {"Item": {k: to_wire(v) for k, v in item.items()}}} for item in group]}}
            report = validator.validate(params, shape)
            assert not report.has_errors(), report.generate_report()
            serializer.serialize_to_request(params, operation)

    def worker_path() -> None:
        for group in groups:
            request_body("t", group)

    n = len(rows)
    worker = min(_cpu_seconds(worker_path) for _ in range(3)) / n * 1e6
    boto3 = min(_cpu_seconds(boto3_path) for _ in range(2)) / n * 1e6
    return {
        "what": "CPU per lead to make the BatchWriteItem requests for its lead and decision items (explained)",
        "leads": n,
        "worker_request_body_microseconds": round(worker, 2),
        "boto3_type_serializer_and_request_microseconds": round(boto3, 1),
        "boto3_over_worker": round(boto3 / worker),
    }


def per_lead_floor(rows: Sequence[dict[str, str]], trained: TrainedModel) -> dict[str, Any]:
    """CPU per lead of the steps no Python worker can make cheaper, each already one C call per batch or per lead:
    parsing the Map's batches (json.loads, what the Lambda runtime does), the lead id (one SHA-1, as uuid5), the
    input hash (one SHA-256 hexdigest of the canonical features), one session.run per batch (the leads alone: a
    warm additive model needs no variants) and the results file (csv.writer). Their inputs are made untimed. What
    the 50,000 leads/s budget leaves after them is all there is for validating every column, the model's inputs,
    explanations and the two items of each lead."""
    from leadscoring.inference.onnx_model import load_model

    scored_at = datetime.now(UTC)
    payloads = chunk_payloads(rows, scored_at)
    model = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    leads = [_nested(row) for row in rows]
    flats = [{name: value for family in lead["attributes"].values() for name, value in family.items()} for lead in leads]
    feats = [{name: flat.get(name) for name, _ in model.schema} for flat in flats]
    canonical = [json.dumps({"model": "m", "version": "1", "features": f}, sort_keys=True, separators=(",", ":")).encode() for f in feats]
    identities = [(row.get("external_id") or None, row["email"]) for row in rows]
    inputs = [model.inputs(flats[start : start + CHUNK_ROWS], scored_at) for start in range(0, len(flats), CHUNK_ROWS)]
    results = [(k + 1, "00000000-0000-5000-8000-000000000000", x, 50.0, True, "medium", "B") for k, (x, _) in enumerate(identities)]

    def parse() -> None:
        for payload in payloads:
            json.loads(payload)

    def lead_ids() -> None:
        for external_id, email in identities:
            row_scoring.lead_id_of("bench", external_id, email)

    def input_hashes() -> None:
        for text in canonical:
            hashlib.sha256(text).hexdigest()

    def onnx_runs() -> None:
        for chunk in inputs:
            model.run(chunk)

    def results_file() -> None:
        for start in range(0, len(results), CHUNK_ROWS):
            csv_lines(results[start : start + CHUNK_ROWS])

    n = len(rows)
    steps = {"parse": parse, "lead_ids": lead_ids, "input_hashes": input_hashes, "onnx_runs": onnx_runs, "results_file": results_file}
    micros = {name: round(min(_cpu_seconds(step) for _ in range(3)) / n * 1e6, 2) for name, step in steps.items()}
    budget = 1e6 / TARGET_LEADS_PER_SECOND
    floor = sum(micros.values())
    return {
        "what": (
            "CPU per lead of the steps that are already one C call per batch or per lead: json.loads of the Map's batches, "
            "the lead id (SHA-1 as uuid5), the input hash (SHA-256), session.run per batch (leads alone), the results CSV; "
            "the budget is one core's second over the target"
        ),
        "leads": n,
        "model": TARGET_MODEL,
        "cpu_microseconds_per_lead": micros,
        "floor_cpu_microseconds_per_lead": round(floor, 2),
        "target_budget_cpu_microseconds_per_lead": round(budget, 2),
        "left_for_everything_else_microseconds": round(budget - floor, 2),
        "floor_share_of_budget": round(floor / budget, 3),
    }


def _cpu_seconds(work: Callable[[], None]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def batch_throughput(models: dict[ModelType, TrainedModel]) -> dict[str, Any]:
    log(f"{BATCH_LEADS:,} leads as CSV rows")
    rows = item_reader_rows(BATCH_LEADS, BATCH_SEED)
    results: dict[str, Any] = {}
    for model_type, trained in models.items():
        results[model_type] = {}
        for explained in (True, False):
            figures = score_file(rows, trained, explained=explained)
            results[model_type]["with_explanations" if explained else "without_explanations"] = figures
            log(f"{model_type} {'with' if explained else 'without'} explanations: {figures['leads_per_second']:,} leads/s")
    reference = reference_per_lead_path(rows[:REFERENCE_LEADS], models[TARGET_MODEL])
    serialization = item_serialization(rows[:SERIALIZATION_LEADS], models[TARGET_MODEL])
    floor = per_lead_floor(rows[:FLOOR_LEADS], models[TARGET_MODEL])
    log(
        f"per-lead floor ({TARGET_MODEL}): {floor['floor_cpu_microseconds_per_lead']} us of CPU of the "
        f"{floor['target_budget_cpu_microseconds_per_lead']} us budget"
    )
    log(
        f"BatchWriteItem requests, CPU per lead: {serialization['worker_request_body_microseconds']} us (worker) vs "
        f"{serialization['boto3_type_serializer_and_request_microseconds']} us (boto3's standard path)"
    )
    log(f"reference per-lead path ({TARGET_MODEL}, no explanations): {reference['leads_per_second']:,} leads/s")
    explained_figure = results[TARGET_MODEL]["with_explanations"]["leads_per_second"]
    plain_figure = results[TARGET_MODEL]["without_explanations"]["leads_per_second"]
    return {
        "what": (
            f"{BATCH_LEADS:,} distinct demo leads as CSV rows (csv.DictReader, as ItemReader yields them), in the Map's "
            f"batches (at most {CHUNK_ROWS} rows and {CHUNK_BYTES // 1024} KiB), each from its JSON text through "
            "BatchWorker.score_chunk on one thread, one warm worker: parse, validation, features, one ONNX run per batch, "
            "lead + decision items as BatchWriteItem body text, results and error files; in-memory storage, model loaded "
            "before timing"
        ),
        "models": results,
        "reference_per_lead_path": {
            "what": f"{TARGET_MODEL}, the per-lead path the worker replaced (LeadInput per JSON line ... session.run per chunk of "
            f"{CHUNK_ROWS}, a JSON result line per lead), no explanations",
            **reference,
        },
        "item_serialization": serialization,
        "per_lead_floor": floor,
        "speedup_over_reference_without_explanations": round(plain_figure / reference["leads_per_second"], 1),
        "target": f">= {TARGET_LEADS_PER_SECOND:,} leads/s for {TARGET_MODEL}",
        "figure_leads_per_second": explained_figure,
        "figure_leads_per_second_without_explanations": plain_figure,
        "figure_leads_per_cpu_second": results[TARGET_MODEL]["with_explanations"]["leads_per_cpu_second"],
        "meets_target": bool(explained_figure >= TARGET_LEADS_PER_SECOND),
        "meets_target_without_explanations": bool(plain_figure >= TARGET_LEADS_PER_SECOND),
    }
