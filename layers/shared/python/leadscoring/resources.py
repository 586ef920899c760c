"""The one resource spec: tables and buckets, read by both the CDK constructs and the local bootstrap."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"  # S | N


@dataclass(frozen=True)
class Index:
    name: str
    partition: Key
    sort: Key | None = None


@dataclass(frozen=True)
class TableSpec:
    logical_id: str  # CDK construct id; also the env variable prefix
    env: str  # environment variable carrying the physical name
    local_name: str
    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    env: str
    local_name: str
    notes: str = field(default="", compare=False)


LEADS = TableSpec(
    logical_id="LeadsTable",
    env="LEADS_TABLE",
    local_name="leadscoring-leads",
    partition=Key("client_id"),
    sort=Key("id"),
    indexes=(
        Index("by_created", Key("client_id"), Key("created_at")),
        Index("by_score", Key("client_id"), Key("score", "N")),
        Index("by_external_id", Key("client_external_key")),
    ),
    stream=True,
)

AUDIT = TableSpec(
    logical_id="AuditTable",
    env="AUDIT_TABLE",
    local_name="leadscoring-audit",
    partition=Key("client_id"),
    sort=Key("event_key"),  # "<iso time>#<uuid>": time-ordered within a tenant
    indexes=(Index("by_lead", Key("lead_key"), Key("event_key")),),
)

REGISTRY = TableSpec(
    logical_id="RegistryTable",
    env="REGISTRY_TABLE",
    local_name="leadscoring-registry",
    partition=Key("client_id"),
    sort=Key("item"),  # CONFIG | FEATURE#<name> | MODEL#<id> | MODEL#<id>#V#<version>
)

API_KEYS = TableSpec(
    logical_id="ApiKeysTable",
    env="API_KEYS_TABLE",
    local_name="leadscoring-api-keys",
    partition=Key("key_hash"),
)

IDEMPOTENCY = TableSpec(
    logical_id="IdempotencyTable",
    env="IDEMPOTENCY_TABLE",
    local_name="leadscoring-idempotency",
    partition=Key("id"),
    ttl_attribute="expiration",
)

# Analytics counters kept by the aggregator from the leads stream: series "<client>|<source>|<model>" x bucket "<day>",
# plus one applied-record marker per stream record (bucket "applied"), expiring once no redelivery can reach it.
AGGREGATES = TableSpec(
    logical_id="AggregatesTable",
    env="AGGREGATES_TABLE",
    local_name="leadscoring-aggregates",
    partition=Key("series"),
    sort=Key("bucket"),
    ttl_attribute="expires_at",
)

TABLES: tuple[TableSpec, ...] = (LEADS, AUDIT, REGISTRY, API_KEYS, IDEMPOTENCY, AGGREGATES)

MODELS_BUCKET = BucketSpec("ModelsBucket", "MODELS_BUCKET", "leadscoring-models", "ONNX models: <client>/<model>/<version>/")
BATCH_BUCKET = BucketSpec("BatchBucket", "BATCH_BUCKET", "leadscoring-batch", "batch inputs and results: <client>/<job>/")

BUCKETS: tuple[BucketSpec, ...] = (MODELS_BUCKET, BATCH_BUCKET)


LOCAL_REGION = "us-east-1"


def local_environment(endpoint: str) -> dict[str, str]:
    """Environment for reaching the local stack at `endpoint` exactly as CDK's env vars reach AWS."""
    env = {t.env: t.local_name for t in TABLES}
    env.update({b.env: b.local_name for b in BUCKETS})
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any credentials
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
        }
    )
    return env
