"""The one resource spec: tables and buckets, read by both the CDK constructs and the local bootstrap."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"  # S | N


@dataclass(frozen=True)
class Index:
    """A global secondary index. Its entries hold the keys and `include` only (INCLUDE, or KEYS_ONLY when empty):
    an index write costs what its queries need, and a write that changes none of them costs the index nothing."""

    name: str
    partition: Key
    sort: Key | None = None
    include: tuple[str, ...] = ()

    @property
    def projection(self) -> str:
        return "INCLUDE" if self.include else "KEYS_ONLY"

    @property
    def api_projection(self) -> dict[str, object]:
        """As DynamoDB's API writes it (what the local bootstrap sends and CloudFormation holds)."""
        return {"ProjectionType": self.projection, **({"NonKeyAttributes": list(self.include)} if self.include else {})}


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


# One tenant's writes are spread over this many partition key values ("<client>#<n>") wherever its keys would
# otherwise share one: an index partition takes about 1,000 write units a second, so a big file is not capped by
# one. A listing reads every shard and merges them (data/pages.py).
WRITE_SHARDS = 16

# The lists' filters (qualified, status, source) read index entries only: those attributes are in both indexes.
_LIST_FILTERS = ("qualified", "conversion_status", "source")

LEADS = TableSpec(
    logical_id="LeadsTable",
    env="LEADS_TABLE",
    local_name="leadscoring-leads",
    partition=Key("shard"),  # "<client>#<n>", n from the lead id (WRITE_SHARDS)
    sort=Key("id"),
    indexes=(
        # Newest first; a re-score changes none of its attributes, so it costs this index nothing.
        Index("by_created", Key("shard"), Key("created_at"), include=_LIST_FILTERS),
        Index("by_score", Key("shard"), Key("score", "N"), include=(*_LIST_FILTERS, "created_at")),
    ),
    stream=True,
)

AUDIT = TableSpec(
    logical_id="AuditTable",
    env="AUDIT_TABLE",
    local_name="leadscoring-audit",
    partition=Key("shard"),  # "<client>#<n>", n from the event key (WRITE_SHARDS)
    sort=Key("event_key"),  # "<iso time>#<uuid>" (or "#<job>#<row>"): time-ordered within a shard
    indexes=(Index("by_lead", Key("lead_key"), Key("event_key"), include=("type",)),),
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

# The key that signs pagination cursors (Settings.cursor_key): deployed, a generated Secrets Manager secret whose ARN
# CDK passes in CURSOR_KEY_SECRET_ENV; locally, in CURSOR_KEY_ENV, a key made for this process (a local stack's cursors
# never outlive it).
CURSOR_KEY_SECRET_ENV = "CURSOR_KEY_SECRET_ARN"  # noqa: S105 - the name of a variable, not a secret
CURSOR_KEY_ENV = "CURSOR_KEY"
_LOCAL_CURSOR_KEY = secrets.token_urlsafe(32)


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
            CURSOR_KEY_ENV: _LOCAL_CURSOR_KEY,
        }
    )
    return env
