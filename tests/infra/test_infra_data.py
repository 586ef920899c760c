"""The stateful stack follows leadscoring.resources: tables, indexes, buckets, encryption, retention."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra import config
from infra.constructs.buckets import ACCESS_LOGS, DASHBOARD
from leadscoring.resources import BUCKETS, TABLES, Key, TableSpec
from tests.infra.conftest import Synthesized


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _table(synthesized: Synthesized, spec: TableSpec) -> dict[str, Any]:
    tables = synthesized.resources(synthesized.stateful, "AWS::DynamoDB::Table")
    matching = [r for logical_id, r in tables.items() if logical_id.startswith(f"Tables{spec.logical_id}")]
    assert len(matching) == 1, f"{spec.logical_id}: {sorted(tables)}"
    return matching[0]


def test_one_table_per_spec(synthesized: Synthesized) -> None:
    assert len(synthesized.resources(synthesized.stateful, "AWS::DynamoDB::Table")) == len(TABLES)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.logical_id)
def test_table_follows_the_resource_spec(synthesized: Synthesized, spec: TableSpec) -> None:
    table = _table(synthesized, spec)
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "Fn::GetAtt" in props["SSESpecification"]["KMSMasterKeyId"]  # the stack's own key, not aws/dynamodb
    assert props["KeySchema"] == _key_schema(spec.partition, spec.sort)

    keys = [spec.partition, spec.sort, *(k for ix in spec.indexes for k in (ix.partition, ix.sort))]
    expected_attributes = {k.name: k.type for k in keys if k}
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == expected_attributes

    indexes = {ix["IndexName"]: ix for ix in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {ix.name for ix in spec.indexes}
    for index in spec.indexes:
        assert indexes[index.name]["KeySchema"] == _key_schema(index.partition, index.sort)
        assert indexes[index.name]["Projection"] == index.api_projection

    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if spec.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props


def test_data_key_rotates_and_is_retained(synthesized: Synthesized) -> None:
    synthesized.stateful.resource_count_is("AWS::KMS::Key", 1)
    synthesized.stateful.has_resource("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain"})


def _bucket(synthesized: Synthesized, logical_id: str) -> tuple[str, dict[str, Any]]:
    buckets = synthesized.resources(synthesized.stateful, "AWS::S3::Bucket")
    matching = [(k, r) for k, r in buckets.items() if k.startswith(f"Buckets{logical_id}")]
    assert len(matching) == 1, f"{logical_id}: {sorted(buckets)}"
    return matching[0]


ALL_BUCKETS = [*(b.logical_id for b in BUCKETS), ACCESS_LOGS, DASHBOARD]


def test_bucket_count(synthesized: Synthesized) -> None:
    synthesized.stateful.resource_count_is("AWS::S3::Bucket", len(ALL_BUCKETS))


@pytest.mark.parametrize("logical_id", ALL_BUCKETS)
def test_bucket_is_private_versioned_tls_only_and_retained(synthesized: Synthesized, logical_id: str) -> None:
    bucket_id, bucket = _bucket(synthesized, logical_id)
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in props
    name_prefix = config.BUCKET_NAMES[logical_id].split("{")[0]
    assert props["BucketName"]["Fn::Join"][1][0] == name_prefix
    synthesized.stateful.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


@pytest.mark.parametrize("logical_id", [b.logical_id for b in BUCKETS])
def test_data_buckets_use_the_data_key_and_log_access(synthesized: Synthesized, logical_id: str) -> None:
    _, bucket = _bucket(synthesized, logical_id)
    logs_id, _ = _bucket(synthesized, ACCESS_LOGS)
    props = bucket["Properties"]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "Fn::GetAtt" in sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert sse["BucketKeyEnabled"] is True
    assert props["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": f"{logical_id}/"}


def test_access_log_bucket_uses_s3_managed_keys(synthesized: Synthesized) -> None:
    # Server access logging cannot deliver to a bucket encrypted with a KMS key.
    _, bucket = _bucket(synthesized, ACCESS_LOGS)
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" not in bucket["Properties"]


def test_dashboard_bucket_is_private_and_logged(synthesized: Synthesized) -> None:
    _, bucket = _bucket(synthesized, DASHBOARD)
    logs_id, _ = _bucket(synthesized, ACCESS_LOGS)
    assert "WebsiteConfiguration" not in bucket["Properties"]
    assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
