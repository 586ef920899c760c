"""Unit tests run with sockets disabled (make test-unit passes --disable-socket): pure logic only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment a function's Settings read (the local stack's, at a port nothing listens on), with the
    settings and the services built from them forgotten before and after."""
    from leadscoring.data import aws
    from leadscoring.resources import local_environment
    from leadscoring.services import wiring

    environment = local_environment("http://127.0.0.1:9")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CURSOR_KEY_SECRET_ARN", raising=False)
    wiring.reset()
    aws.reset()
    yield environment
    wiring.reset()
    aws.reset()
