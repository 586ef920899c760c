"""S3 buckets: the data buckets of leadscoring.resources.BUCKETS, their access-log bucket and the dashboard site."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import config
from leadscoring.resources import BUCKETS, BucketSpec

ACCESS_LOGS = "AccessLogsBucket"
DASHBOARD = "DashboardBucket"


def bucket_name(logical_id: str) -> str:
    """The physical name; the pseudo parameters resolve in whichever stack uses it, so no export is needed."""
    return config.BUCKET_NAMES[logical_id].format(account=Aws.ACCOUNT_ID, region=Aws.REGION)


def bucket_objects_arn(logical_id: str) -> str:
    return f"arn:{Aws.PARTITION}:s3:::{bucket_name(logical_id)}/*"


def bucket_objects_nag_resource(logical_id: str) -> str:
    """How cdk-nag spells bucket_objects_arn() in an IAM5 finding (pseudo parameters become <AWS::...>)."""
    name = config.BUCKET_NAMES[logical_id].format(account="<AWS::AccountId>", region="<AWS::Region>")
    return f"arn:<AWS::Partition>:s3:::{name}/*"


class DataBucketsConstruct(Construct):
    """Private, versioned, TLS-only buckets that log access and outlive the stack."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        # Server access logging cannot deliver to a KMS-encrypted bucket, hence S3-managed keys here.
        self.access_logs = self._bucket(
            ACCESS_LOGS,
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))],
        )
        self.buckets: dict[BucketSpec, s3.Bucket] = {
            spec: self._bucket(
                spec.logical_id,
                encryption=s3.BucketEncryption.KMS,
                encryption_key=key,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{spec.logical_id}/",
                lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(90))],
            )
            for spec in BUCKETS
        }
        # The static admin site (deployed later, served through CloudFront): no lead data, S3-managed keys
        # keep it readable by a CloudFront origin access control without a key-policy grant.
        self.dashboard = self._bucket(
            DASHBOARD,
            encryption=s3.BucketEncryption.S3_MANAGED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{DASHBOARD}/",
        )

    def _bucket(
        self,
        logical_id: str,
        *,
        encryption: s3.BucketEncryption,
        encryption_key: kms.IKey | None = None,
        server_access_logs_bucket: s3.IBucket | None = None,
        server_access_logs_prefix: str | None = None,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
    ) -> s3.Bucket:
        return s3.Bucket(
            self,
            logical_id,
            bucket_name=bucket_name(logical_id),
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            encryption=encryption,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption == s3.BucketEncryption.KMS else None,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix=server_access_logs_prefix,
            lifecycle_rules=lifecycle_rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
