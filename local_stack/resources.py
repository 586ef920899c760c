"""Create the local tables and buckets from the same resource spec the CDK constructs read."""

from __future__ import annotations

from typing import Any

import boto3

from leadscoring.resources import BUCKETS, TABLES, TableSpec


def table_definition(spec: TableSpec) -> dict[str, Any]:
    keys = [spec.partition] + ([spec.sort] if spec.sort else [])
    attributes = {k.name: k.type for k in keys}
    schema = [{"AttributeName": spec.partition.name, "KeyType": "HASH"}]
    if spec.sort:
        schema.append({"AttributeName": spec.sort.name, "KeyType": "RANGE"})
    indexes = []
    for index in spec.indexes:
        index_schema = [{"AttributeName": index.partition.name, "KeyType": "HASH"}]
        attributes[index.partition.name] = index.partition.type
        if index.sort:
            index_schema.append({"AttributeName": index.sort.name, "KeyType": "RANGE"})
            attributes[index.sort.name] = index.sort.type
        indexes.append({"IndexName": index.name, "KeySchema": index_schema, "Projection": index.api_projection})
    definition: dict[str, Any] = {
        "TableName": spec.local_name,
        "KeySchema": schema,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    if spec.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return definition


def create_resources() -> None:
    dynamodb = boto3.client("dynamodb")
    existing = set(dynamodb.list_tables()["TableNames"])
    for spec in TABLES:
        if spec.local_name not in existing:
            dynamodb.create_table(**table_definition(spec))
            if spec.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=spec.local_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
                )
    s3 = boto3.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket.local_name not in buckets:
            s3.create_bucket(Bucket=bucket.local_name)
            s3.put_bucket_versioning(Bucket=bucket.local_name, VersioningConfiguration={"Status": "Enabled"})
