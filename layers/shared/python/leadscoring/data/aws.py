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
def s3() -> Any:
    return boto3.client("s3", config=_CONFIG)


@cache
def stepfunctions() -> Any:
    return boto3.client("stepfunctions", config=_CONFIG)


def reset() -> None:
    """Forget cached handles (tests that move between endpoints)."""
    for factory in (dynamodb, dynamodb_client, s3, stepfunctions):
        factory.cache_clear()
