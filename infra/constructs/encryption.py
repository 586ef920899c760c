"""The customer-managed key that encrypts the lead data at rest (tables and data buckets)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import config


class DataKeyConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Lead scoring data at rest: DynamoDB tables and S3 data buckets",
            alias=f"alias/{config.RESOURCE_PREFIX}-data",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
