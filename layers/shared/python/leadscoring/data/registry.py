"""ModelRegistry and ConfigRepository: a tenant's models, features and scoring configuration.

Model artifacts are immutable objects in S3 (<client>/<model>/<version>/model.onnx + metadata.json);
DynamoDB indexes them and holds the tenant's config, including which version is active.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.codec import from_item, to_item
from leadscoring.domain.errors import Conflict, VersionExists
from leadscoring.schemas.model import ModelDefinition, ScoringConfig, ScoringFeature, ScoringModel, TrainingRun
from leadscoring.schemas.model_metadata import ModelMetadata

CONFIG_ITEM = "CONFIG"
DEFINITION_PREFIX = "DEF#"
RUN_PREFIX = "RUN#"
FEATURE_PREFIX = "FEATURE#"
MODEL_PREFIX = "MODEL#"


def model_item(model_id: str, version: str) -> str:
    return f"{MODEL_PREFIX}{model_id}#V#{version}"


def artifact_prefix(client_id: str, model_id: str, version: str) -> str:
    return f"{client_id}/{model_id}/{version}/"


class ModelRegistry:
    def __init__(self, table: str, bucket: str) -> None:
        self._table = table
        self._bucket = bucket

    def register(self, client_id: str, model: ScoringModel, onnx_bytes: bytes, metadata: ModelMetadata) -> None:
        """Store the artifact first, then index it: an indexed version always has its artifact.

        Versions are immutable: the S3 writes are conditional (If-None-Match), so registering an existing
        version again fails before anything is overwritten.
        """
        prefix = artifact_prefix(client_id, model.id, model.version)
        objects = {
            "model.onnx": (onnx_bytes, "application/octet-stream"),
            "metadata.json": (metadata.to_json(), "application/json"),
        }
        try:
            for name, (body, content_type) in objects.items():
                self._put_once(prefix + name, body, content_type)
            item = to_item(model.model_dump(mode="json"))
            item.update({"client_id": client_id, "item": model_item(model.id, model.version), "artifact_prefix": prefix})
            aws.dynamodb().Table(self._table).put_item(
                Item=item, ConditionExpression="attribute_not_exists(#i)", ExpressionAttributeNames={"#i": "item"}
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict", "ConditionalCheckFailedException"):
                raise VersionExists(f"Model {model.id} version {model.version} already exists; versions are immutable") from exc
            raise

    def _put_once(self, key: str, body: bytes, content_type: str) -> None:
        """Write an object that must never change. The very same bytes already there count as written, so a
        registration that stored its artifact but failed to index it can simply be retried."""
        s3 = aws.s3()
        try:
            s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            existing = s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            if existing != body:
                raise

    def list_versions(self, client_id: str, model_id: str | None = None) -> list[ScoringModel]:
        prefix = MODEL_PREFIX if model_id is None else f"{MODEL_PREFIX}{model_id}#V#"
        items = _query_all(self._table, Key("client_id").eq(client_id) & Key("item").begins_with(prefix))
        return [ScoringModel.model_validate(from_item(i)) for i in items]

    def load_metadata(self, client_id: str, model_id: str, version: str) -> ModelMetadata:
        key = artifact_prefix(client_id, model_id, version) + "metadata.json"
        return ModelMetadata.from_json(aws.s3().get_object(Bucket=self._bucket, Key=key)["Body"].read())

    # -- model definitions: what to train ---------------------------------------------------------------
    def create_definition(self, client_id: str, definition: ModelDefinition) -> None:
        item = _item(client_id, DEFINITION_PREFIX + definition.id, definition.model_dump(mode="json"))
        try:
            aws.dynamodb().Table(self._table).put_item(
                Item=item, ConditionExpression="attribute_not_exists(#i)", ExpressionAttributeNames={"#i": "item"}
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"A model with id {definition.id} already exists") from exc
            raise

    def save_definition(self, client_id: str, definition: ModelDefinition) -> None:
        aws.dynamodb().Table(self._table).put_item(
            Item=_item(client_id, DEFINITION_PREFIX + definition.id, definition.model_dump(mode="json"))
        )

    def get_definition(self, client_id: str, model_id: str) -> ModelDefinition | None:
        item = aws.dynamodb().Table(self._table).get_item(Key={"client_id": client_id, "item": DEFINITION_PREFIX + model_id}).get("Item")
        return ModelDefinition.model_validate(from_item(item)) if item else None

    def list_definitions(self, client_id: str) -> list[ModelDefinition]:
        items = _query_all(self._table, Key("client_id").eq(client_id) & Key("item").begins_with(DEFINITION_PREFIX))
        return [ModelDefinition.model_validate(from_item(i)) for i in items]

    # -- training runs: one per version, created before the workflow starts ------------------------------
    def create_run(self, client_id: str, run: TrainingRun) -> bool:
        """Claim the run's version; False when that version is already taken."""
        item = _item(client_id, f"{RUN_PREFIX}{run.model_id}#{run.version}", run.model_dump(mode="json"))
        try:
            aws.dynamodb().Table(self._table).put_item(
                Item=item, ConditionExpression="attribute_not_exists(#i)", ExpressionAttributeNames={"#i": "item"}
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save_run(self, client_id: str, run: TrainingRun) -> None:
        aws.dynamodb().Table(self._table).put_item(
            Item=_item(client_id, f"{RUN_PREFIX}{run.model_id}#{run.version}", run.model_dump(mode="json"))
        )

    def get_run(self, client_id: str, model_id: str, version: str) -> TrainingRun | None:
        key = {"client_id": client_id, "item": f"{RUN_PREFIX}{model_id}#{version}"}
        item = aws.dynamodb().Table(self._table).get_item(Key=key, ConsistentRead=True).get("Item")
        return TrainingRun.model_validate(from_item(item)) if item else None

    def list_runs(self, client_id: str, model_id: str) -> list[TrainingRun]:
        items = _query_all(self._table, Key("client_id").eq(client_id) & Key("item").begins_with(f"{RUN_PREFIX}{model_id}#"))
        return [TrainingRun.model_validate(from_item(i)) for i in items]

    def get_version(self, client_id: str, model_id: str, version: str) -> ScoringModel | None:
        item = aws.dynamodb().Table(self._table).get_item(Key={"client_id": client_id, "item": model_item(model_id, version)}).get("Item")
        return ScoringModel.model_validate(from_item(item)) if item else None

    def load_artifact(self, client_id: str, model_id: str, version: str) -> tuple[bytes, ModelMetadata]:
        prefix = artifact_prefix(client_id, model_id, version)
        s3 = aws.s3()
        onnx_bytes: bytes = s3.get_object(Bucket=self._bucket, Key=prefix + "model.onnx")["Body"].read()
        return onnx_bytes, self.load_metadata(client_id, model_id, version)


class ConfigRepository:
    def __init__(self, table: str) -> None:
        self._table = table

    def get_config(self, client_id: str) -> ScoringConfig:
        item = aws.dynamodb().Table(self._table).get_item(Key={"client_id": client_id, "item": CONFIG_ITEM}).get("Item")
        return ScoringConfig.model_validate(from_item(item)) if item else ScoringConfig()

    def clients_with_active_model(self) -> list[str]:
        """Every tenant with a deployed model (a scan: for the daily reports, not for requests)."""
        table = aws.dynamodb().Table(self._table)
        kwargs: dict[str, Any] = {
            "FilterExpression": Attr("item").eq(CONFIG_ITEM) & Attr("active_model").exists(),
            "ProjectionExpression": "client_id",
        }
        clients: list[str] = []
        while True:
            page = table.scan(**kwargs)
            clients.extend(str(i["client_id"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(clients)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_config(self, client_id: str, config: ScoringConfig) -> None:
        item = to_item(config.model_dump(mode="json"))
        item.update({"client_id": client_id, "item": CONFIG_ITEM})
        aws.dynamodb().Table(self._table).put_item(Item={k: v for k, v in item.items() if v is not None})

    def get_features(self, client_id: str) -> list[ScoringFeature] | None:
        """The tenant's feature definitions, or None when it has never defined any."""
        items = _query_all(self._table, Key("client_id").eq(client_id) & Key("item").begins_with(FEATURE_PREFIX))
        if not items:
            return None
        return [ScoringFeature.model_validate({k: v for k, v in from_item(i).items() if k not in ("client_id", "item")}) for i in items]

    def put_feature(self, client_id: str, feature: ScoringFeature, *, new: bool) -> bool:
        """Write one definition: a new one only if the name is free, a changed one only if it is there.
        False when that condition did not hold (nothing written)."""
        item = _item(client_id, FEATURE_PREFIX + feature.name, feature.model_dump(mode="json", exclude_none=True))
        condition = "attribute_not_exists(#i)" if new else "attribute_exists(#i)"
        try:
            aws.dynamodb().Table(self._table).put_item(Item=item, ConditionExpression=condition, ExpressionAttributeNames={"#i": "item"})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_features(self, client_id: str, features: list[ScoringFeature]) -> None:
        with aws.dynamodb().Table(self._table).batch_writer() as batch:
            for feature in features:
                item = to_item(feature.model_dump(mode="json", exclude_none=True))
                item.update({"client_id": client_id, "item": FEATURE_PREFIX + feature.name})
                batch.put_item(Item=item)


def _item(client_id: str, item_key: str, body: dict[str, Any]) -> dict[str, Any]:
    item = to_item(body)
    item.update({"client_id": client_id, "item": item_key})
    return {k: v for k, v in item.items() if v is not None}


def _query_all(table_name: str, condition: Any) -> list[dict[str, Any]]:
    table = aws.dynamodb().Table(table_name)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
    while True:
        page = table.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
