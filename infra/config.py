"""Deployment settings read by the CDK app and by the infra tests (one place, no literals in constructs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from aws_cdk import aws_logs as logs

from leadscoring import routes
from leadscoring.resources import (
    AGGREGATES,
    API_KEYS,
    AUDIT,
    BATCH_BUCKET,
    IDEMPOTENCY,
    LEADS,
    MODELS_BUCKET,
    REGISTRY,
    BucketSpec,
    TableSpec,
)

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_LAYER_DIR = ROOT / "layers" / "shared"
DEPS_LAYER_DIR = ROOT / "build" / "layers" / "deps"  # built by `make layer`
TRAIN_DOCKERFILE = "functions/train/Dockerfile"  # relative to ROOT, the training image's build context

# The Lambda Python runtime. The Makefile's LAMBDA_PYTHON builds the dependency layer for the same version
# (a test checks they agree). 3.14 is what cdk-nag's AwsSolutions-L1 / Serverless-LambdaLatestVersion call
# "latest" in aws-cdk-lib 2.275.
LAMBDA_PYTHON = "3.14"

STATEFUL_STACK = "LeadScoringStateful"
STATELESS_STACK = "LeadScoringStateless"
RESOURCE_PREFIX = "leadscoring"

# Physical bucket names, with {account} and {region} filled from the stack's pseudo parameters. Fixed names
# let the stateless stack address objects without a cross-stack export inside IAM resource strings.
BUCKET_NAMES: dict[str, str] = {
    MODELS_BUCKET.logical_id: RESOURCE_PREFIX + "-models-{account}-{region}",
    BATCH_BUCKET.logical_id: RESOURCE_PREFIX + "-batch-{account}-{region}",
    "AccessLogsBucket": RESOURCE_PREFIX + "-access-logs-{account}-{region}",
    "DashboardBucket": RESOURCE_PREFIX + "-dashboard-{account}-{region}",
}

# Feature flags the app needs whether it is run by the CDK CLI or directly (`python infra/app.py`, the
# tests). cdk.json's context is merged over these.
CONTEXT: dict[str, object] = {
    # Access-log delivery through a bucket policy, not the LogDeliveryWrite ACL (ACLs are disabled).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    # Stateless imports the tables and the key through CloudFormation exports, which protect the producer.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}

# Observability and protection defaults.
POWERTOOLS_METRICS_NAMESPACE = "LeadScoring"
LOG_LEVEL = "INFO"
FUNCTION_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
API_ACCESS_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
API_STAGE = "prod"
API_THROTTLE_RATE = 100  # requests per second, steady state, whole stage
API_THROTTLE_BURST = 200
AUTHORIZER_CACHE_SECONDS = 60
API_KEY_HEADER = "x-api-key"

# The training workflow (Step Functions). Its steps run in TRAIN_FUNCTION, a function no route reaches;
# TRAINING_STARTER (POST /models/{id}/train) starts executions. A run is five Lambda steps of at most
# 15 minutes each, plus retries: two hours bounds a stuck run without cutting off a slow one.
TRAIN_FUNCTION = "train"
TRAINING_STARTER = "models"
TRAINING_WORKFLOW_TIMEOUT_MINUTES = 120
WORKFLOW_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS

# Batch file jobs (Step Functions, Distributed Map). BATCH_WORKER_FUNCTION scores the Map's chunks and runs
# Finalize / RecordFailure, and no route reaches it; BATCH_STARTER (POST /batch-score) starts executions. A job
# of a few million rows at MAX_CONCURRENCY chunks at a time takes well under an hour; a day bounds a stuck one.
BATCH_WORKER_FUNCTION = "batch_worker"
BATCH_STARTER = "batch_score"
BATCH_WORKFLOW_TIMEOUT_HOURS = 24

# A big file's throughput is the Map's concurrency within the tables' write throughput (the batch_wall_time
# benchmark works out a million-lead file from both). Chunks in flight at once: enough workers to keep the
# tables at their warm throughput, few enough that writes are not throttled in a storm (each write that is
# throttled backs off and is retried: nothing is lost, but the job slows).
BATCH_MAX_CONCURRENCY = 16
# Write units a second the leads and audit tables, and each of their indexes, serve from the start (warm
# throughput): a new on-demand table or index serves 4,000 and only doubles its previous peak within 30 minutes.
# Every scored lead writes one unit to each (items and index entries stay under 1 KB).
WARM_WRITE_UNITS_PER_SECOND: dict[TableSpec, int] = {LEADS: 10_000, AUDIT: 10_000}

# Analytics aggregates: AGGREGATOR_FUNCTION consumes the leads table's stream (infra/constructs/analytics.py).
# A batch's records are applied in groups, each one transaction rewriting the counter items its records touch
# (most of a day's records touch a few) with one marker: the more records a batch holds, the fewer writes a
# record costs, so batches wait up to 10 s for up to 1,000 records (the figures lag the leads by that much). A
# failing record is retried from where it failed (reported item failures, never bisected) for at most a day,
# then its batch's description goes to a dead-letter queue.
AGGREGATOR_FUNCTION = "aggregator"
AGGREGATOR_BATCH_SIZE = 1000
AGGREGATOR_BATCH_WINDOW_SECONDS = 10
AGGREGATOR_RETRY_ATTEMPTS = 20
AGGREGATOR_MAX_RECORD_AGE_HOURS = 24

# The audit reports on the record: an EventBridge schedule starts the reports workflow once a day (UTC), whose
# steps run in MONITOR_FUNCTION: every tenant's data-quality, drift and bias reports appended to its audit trail
# (infra/constructs/reports.py, leadscoring.workflows.reports).
MONITOR_FUNCTION = "monitor"
MONITOR_SCHEDULE_HOUR_UTC = 5

# The routes whose pages carry signed cursors: their functions, and only those, read the cursor key
# (infra/constructs/cursor_key.py).
CURSOR_ROUTES = (routes.LIST_LEADS, routes.LIST_AUDIT_EVENTS)
CURSOR_KEY_READERS = frozenset(route.function for route in CURSOR_ROUTES)


class Access(Enum):
    READ = "read"
    APPEND = "append"  # PutItem only: the audit trail is never updated or deleted
    # PutItem and BatchWriteItem: decision records of every scoring path (LeadRepository.save_scored). IAM cannot
    # tell a batch's puts from its deletes; the functions granted this only put, with keys they derive.
    APPEND_BATCH = "append_batch"
    # Reads, PutItem and BatchWriteItem (puts only, as APPEND_BATCH): conversion history is read back, and still
    # never updated or deleted.
    READ_APPEND = "read_append"
    # PutItem and UpdateItem: the aggregator's markers and counter ADDs, nothing else.
    COUNT = "count"
    READ_WRITE = "read_write"


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_seconds: int
    description: str
    tables: dict[TableSpec, Access] = field(default_factory=dict)
    buckets: dict[BucketSpec, Access] = field(default_factory=dict)
    container: bool = False  # a Docker image instead of a zip + layers
    ephemeral_storage_mb: int = 512


# Every deployed function: the routed ones (leadscoring.routes.FUNCTIONS), the authorizer, the training
# workflow's TRAIN_FUNCTION, the batch workflow's BATCH_WORKER_FUNCTION, the AGGREGATOR_FUNCTION and the
# MONITOR_FUNCTION.
# Least privilege: each function gets exactly the tables and buckets listed here (and the data key).
FUNCTIONS: dict[str, FunctionSettings] = {
    "authorizer": FunctionSettings(512, 5, "API key authorizer", tables={API_KEYS: Access.READ}),
    "score": FunctionSettings(
        1024,
        10,
        "Real-time lead scoring (onnxruntime)",
        # AUDIT read too: a lead's conversion history (GET /leads/{id}/conversions).
        tables={LEADS: Access.READ_WRITE, AUDIT: Access.READ_APPEND, REGISTRY: Access.READ, IDEMPOTENCY: Access.READ_WRITE},
        buckets={MODELS_BUCKET: Access.READ},
    ),
    "batch_score": FunctionSettings(
        1024,
        60,
        "Batch scoring: up to 1,000 leads synchronously; batch file jobs (create, start, status)",
        # REGISTRY read-write: batch job records. BATCH_BUCKET: checks a job's file, signs its upload / download URLs.
        tables={LEADS: Access.READ_WRITE, AUDIT: Access.APPEND_BATCH, REGISTRY: Access.READ_WRITE},
        buckets={MODELS_BUCKET: Access.READ, BATCH_BUCKET: Access.READ_WRITE},
    ),
    "batch_worker": FunctionSettings(
        # 1,769 MB is one full vCPU: a chunk is CPU-bound scoring between DynamoDB and S3 round trips.
        1769,
        900,
        "Batch file jobs: score a chunk of rows, finalize or record the failure of a job",
        # AUDIT: decision records, appended in batches. REGISTRY: active model and config, the job's counters.
        tables={LEADS: Access.READ_WRITE, AUDIT: Access.APPEND_BATCH, REGISTRY: Access.READ_WRITE},
        buckets={MODELS_BUCKET: Access.READ, BATCH_BUCKET: Access.READ_WRITE},
    ),
    "models": FunctionSettings(
        512,
        15,
        "Model registry",
        tables={REGISTRY: Access.READ_WRITE, AUDIT: Access.APPEND},
        # BATCH_BUCKET: starting a training run checks that its training file exists (HeadObject needs s3:GetObject).
        buckets={MODELS_BUCKET: Access.READ_WRITE, BATCH_BUCKET: Access.READ},
    ),
    "config": FunctionSettings(
        256,
        10,
        "Scoring configuration and features",
        tables={REGISTRY: Access.READ_WRITE, AUDIT: Access.APPEND},
        buckets={MODELS_BUCKET: Access.READ_WRITE},
    ),
    # Never the leads: reports are read from the aggregates; REGISTRY for thresholds, costs and model filters.
    "analytics": FunctionSettings(512, 29, "Performance and analytics", tables={AGGREGATES: Access.READ, REGISTRY: Access.READ}),
    "aggregator": FunctionSettings(512, 60, "Leads stream -> analytics aggregates (exactly once)", tables={AGGREGATES: Access.COUNT}),
    "audit": FunctionSettings(
        1024,
        29,
        "Audit trail; data-quality, drift and bias reports",
        # The reports read up to 5,000 leads of a period (no contact details), the active model and its training
        # record (REGISTRY, MODELS_BUCKET metadata) and the tenant's features.
        tables={AUDIT: Access.READ, LEADS: Access.READ, REGISTRY: Access.READ},
        buckets={MODELS_BUCKET: Access.READ},
    ),
    "monitor": FunctionSettings(
        1024,
        300,
        "Daily audit reports workflow steps: list the tenants, record one tenant's reports, summarize",
        tables={REGISTRY: Access.READ, LEADS: Access.READ, AUDIT: Access.APPEND},
        buckets={MODELS_BUCKET: Access.READ},
    ),
    "train": FunctionSettings(
        3008,
        900,
        "Model training workflow steps (scikit-learn -> ONNX)",
        tables={REGISTRY: Access.READ_WRITE, LEADS: Access.READ, AUDIT: Access.APPEND},
        # BATCH_BUCKET: reads the training file, stages run artifacts under <client>/training-runs/.
        buckets={MODELS_BUCKET: Access.READ_WRITE, BATCH_BUCKET: Access.READ_WRITE},
        container=True,
        ephemeral_storage_mb=2048,
    ),
}
