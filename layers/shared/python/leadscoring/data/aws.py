"""boto3 handles, created once per container. AWS_ENDPOINT_URL points them at moto locally.

Every handle keeps to the time limit of the block it is called in (`time_limit`, `lambda_time_limit`): a handler
answers DEPENDENCY_TIMEOUT in time instead of waiting on retries until Lambda stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from leadscoring.domain.errors import DependencyTimeout
from leadscoring.settings import get_settings

CONNECT_TIMEOUT = 3
# What a handler keeps back from the time Lambda gives it: a connection still being opened when the limit comes
# (CONNECT_TIMEOUT), then a second to answer.
ANSWER_SECONDS = CONNECT_TIMEOUT + 1
# The longest botocore's standard retry mode waits before a retry (throttling: 1 s doubled per attempt, at most 20).
MAX_BACKOFF = 20
_THROTTLED = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "SlowDown"})

_DEADLINE: ContextVar[float | None] = ContextVar("aws_deadline", default=None)


@cache
def read_timeout() -> float:
    """How long one attempt waits for its answer (Settings.aws_read_timeout_seconds)."""
    return get_settings().aws_read_timeout_seconds


def _config(**more: Any) -> Config:
    return Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=CONNECT_TIMEOUT, read_timeout=read_timeout(), **more)


class time_limit:  # a context manager, named as a function (a class: a few µs less than @contextmanager per request)
    """AWS calls made in this block (through these handles) are over within `seconds` of its start, retries
    included, or raise DependencyTimeout: no attempt starts after the limit, an attempt reads for no longer than
    what is left, and no retry waits past it. Only opening a connection may overrun, by CONNECT_TIMEOUT at most.
    None: no limit. A limit inside another keeps the earlier of the two."""

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._token: Token[float | None] | None = None

    def __enter__(self) -> None:
        if self._seconds is not None:
            outer, deadline = _DEADLINE.get(), time.monotonic() + self._seconds
            self._token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _DEADLINE.reset(self._token)
            self._token = None


def lambda_time_limit(context: Any) -> time_limit:
    """time_limit for a Lambda handler: the time its invocation has left (the context's), less ANSWER_SECONDS to
    answer with; no limit for a context that does not say."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return time_limit(remaining() / 1000 - ANSWER_SECONDS if callable(remaining) else None)


def _within_limit(request: Any, **_: Any) -> None:
    """botocore's before-send, for each attempt: refused once the limit has passed, else read for what is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise DependencyTimeout()
    # botocore's per-request read timeout (the connection pool keeps CONNECT_TIMEOUT); the context is this call's.
    request.context["read_timeout"] = min(read_timeout(), left)


def _retry_in_time(attempts: int, response: Any = None, caught_exception: Exception | None = None, **_: Any) -> None:
    """botocore's needs-retry, after each attempt: an attempt that failed in a way the standard mode retries (an
    exception, a 5xx, throttling) is not retried when the longest wait before the retry would end past the limit."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return
    if caught_exception is None:
        http, parsed = response if response is not None else (None, {})
        code = (parsed or {}).get("Error", {}).get("Code")
        if http is None or (http.status_code < 500 and code not in _THROTTLED):
            return
    if time.monotonic() + min(MAX_BACKOFF, 2 ** (attempts - 1)) >= deadline:
        raise DependencyTimeout() from caught_exception


def _limited(client: Any) -> Any:
    client.meta.events.register("before-send", _within_limit)
    client.meta.events.register("needs-retry", _retry_in_time)
    return client


_per_thread = threading.local()
_creating = threading.Lock()
_generation = 0  # reset() starts a new one: every thread's resource is built again


def dynamodb() -> Any:
    """The DynamoDB resource of this thread. A resource is not thread-safe: the condition-expression builder it
    injects into its client keeps its placeholder counters on itself, so two threads building Key or Attr
    conditions at once can swap each other's names (moto then answers "Query condition missed key schema
    element"). A Lambda container runs one request at a time; the local stack runs handlers in several threads."""
    found = getattr(_per_thread, "dynamodb", None)
    if found is not None and found[0] == _generation:
        return found[1]
    with _creating:  # boto3's default session is not safe to create resources from at once either
        resource = boto3.resource("dynamodb", config=_config())
    _limited(resource.meta.client)
    _per_thread.dynamodb = (_generation, resource)
    return resource


@cache
def dynamodb_client() -> Any:
    return _limited(boto3.client("dynamodb", config=_config()))


@cache
def dynamodb_bulk_client() -> Any:
    """For scored leads' writes, whose request body is already written (data/item_writes.py): botocore would walk
    every attribute of every item to validate and serialize it again, several times the cost of scoring a lead.
    The body goes in after botocore has built its request and before it is signed."""
    client = _limited(boto3.client("dynamodb", config=_config(parameter_validation=False)))
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
    return _limited(boto3.client("s3", config=_config()))


@cache
def stepfunctions() -> Any:
    return _limited(boto3.client("stepfunctions", config=_config()))


@cache
def secretsmanager() -> Any:
    return _limited(boto3.client("secretsmanager", config=_config()))


def reset() -> None:
    """Forget cached handles (tests that move between endpoints)."""
    global _generation
    _generation += 1
    for factory in (dynamodb_client, dynamodb_bulk_client, s3, stepfunctions, secretsmanager, read_timeout):
        factory.cache_clear()
