"""A moto server with the resource spec's tables and buckets, for the length of a `with` block."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def moto_stack(environment: Mapping[str, str | None] | None = None) -> Iterator[str]:
    """Start moto, point boto3 at it and create the resources; yield its endpoint.

    `environment` is applied before boto3 is pointed at moto (None unsets a variable). On exit the server stops
    and the process environment and the cached clients and services are as they were, so later code in the
    same process never reaches a stopped server.
    """
    from leadscoring.data import aws
    from leadscoring.services import wiring
    from local_stack.aws_env import configure_environment, start_moto
    from local_stack.resources import create_resources

    saved = dict(os.environ)
    server, endpoint = start_moto()
    try:
        for name, value in (environment or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        configure_environment(endpoint)
        create_resources()
        yield endpoint
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        aws.reset()
        wiring.reset()
