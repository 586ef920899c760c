"""boto3 handles, created once per container. AWS_ENDPOINT_URL points them at moto locally."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


@cache
def dynamodb() -> Any:
    return boto3.resource("dynamodb", config=_CONFIG)


@cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def dynamodb_bulk_client() -> Any:
    """For batch-file writes of items already in wire format (LeadRepository.write_batch): botocore's parameter
    validation would walk every attribute of every item again, about half the CPU a chunk costs."""
    return boto3.client("dynamodb", config=_CONFIG.merge(Config(parameter_validation=False)))


@cache
def s3() -> Any:
    return boto3.client("s3", config=_CONFIG)


@cache
def stepfunctions() -> Any:
    return boto3.client("stepfunctions", config=_CONFIG)


def reset() -> None:
    """Forget cached handles (tests that move between endpoints)."""
    for factory in (dynamodb, dynamodb_client, dynamodb_bulk_client, s3, stepfunctions):
        factory.cache_clear()
