"""DynamoDB tables, one per leadscoring.resources.TABLES entry (the same spec the local stack creates)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import config
from leadscoring.resources import TABLES, Key, TableSpec

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class DataTablesConstruct(Construct):
    """On-demand, point-in-time-recoverable, CMK-encrypted tables that outlive the stack."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[TableSpec, dynamodb.Table] = {spec: self._table(spec, key) for spec in TABLES}

    def _table(self, spec: TableSpec, key: kms.IKey) -> dynamodb.Table:
        # aws_dynamodb.Table, not TableV2: cdk-nag's DynamoDB rules only inspect AWS::DynamoDB::Table.
        table = dynamodb.Table(
            self,
            spec.logical_id,
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True),
            time_to_live_attribute=spec.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            removal_policy=RemovalPolicy.RETAIN,
            warm_throughput=_warm(spec),
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition),
                sort_key=_attribute(index.sort) if index.sort else None,
                projection_type=dynamodb.ProjectionType.INCLUDE if index.include else dynamodb.ProjectionType.KEYS_ONLY,
                non_key_attributes=list(index.include) or None,
                warm_throughput=_warm(spec),
            )
        return table


def _warm(spec: TableSpec) -> dynamodb.WarmThroughput | None:
    units = config.WARM_WRITE_UNITS_PER_SECOND.get(spec)
    return None if units is None else dynamodb.WarmThroughput(write_units_per_second=units)
