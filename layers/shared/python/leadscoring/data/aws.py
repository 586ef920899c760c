"""boto3 handles, created once per container. AWS_ENDPOINT_URL points them at moto locally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    """For scored leads' writes, whose request body is already written (data/item_writes.py): botocore would walk
    every attribute of every item to validate and serialize it again, several times the cost of scoring a lead.
    The body goes in after botocore has built its request and before it is signed."""
    client = boto3.client("dynamodb", config=_CONFIG.merge(Config(parameter_validation=False)))
    client.meta.events.register("before-call.dynamodb.BatchWriteItem", _written_body)
    client.meta.events.register("before-call.dynamodb.PutItem", _written_body)
    return client


_BODY: ContextVar[bytes | None] = ContextVar("dynamodb_written_body", default=None)


@contextmanager
def written_body(body: bytes) -> Iterator[None]:
    """Calls to dynamodb_bulk_client().batch_write_item or put_item in this block send `body` instead of their
    parameters."""
    token = _BODY.set(body)
    try:
        yield
    finally:
        _BODY.reset(token)


def _written_body(params: dict[str, Any], **_: Any) -> None:
    body = _BODY.get()
    if body is not None:
        params["body"] = body


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
