"""Data that outlives every deployment: the data key, the tables and the buckets (all RETAIN)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.buckets import DataBucketsConstruct
from infra.constructs.dashboard import grant_site_reads_to_cloudfront
from infra.constructs.encryption import DataKeyConstruct
from infra.constructs.tables import DataTablesConstruct


class StatefulStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data_key = DataKeyConstruct(self, "DataKey")
        self.tables = DataTablesConstruct(self, "Tables", key=self.data_key.key)
        self.buckets = DataBucketsConstruct(self, "Buckets", key=self.data_key.key)
        # The dashboard stack's CloudFront distribution reads the site through Origin Access Control.
        grant_site_reads_to_cloudfront(self.buckets.dashboard)
