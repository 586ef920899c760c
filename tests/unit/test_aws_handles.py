"""boto3 handles: the DynamoDB resource is per thread (its injected condition builder is not thread-safe)."""

import threading
from typing import Any

import pytest

from leadscoring.data import aws
from leadscoring.resources import local_environment
from leadscoring.settings import get_settings


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in local_environment("http://127.0.0.1:9").items():  # never reached: nothing is sent
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    aws.reset()
    yield
    get_settings.cache_clear()
    aws.reset()


def test_each_thread_gets_its_own_resource_and_keeps_it() -> None:
    mine = aws.dynamodb()
    assert aws.dynamodb() is mine
    theirs: list[Any] = []
    worker = threading.Thread(target=lambda: theirs.extend([aws.dynamodb(), aws.dynamodb()]))
    worker.start()
    worker.join()
    assert theirs[0] is theirs[1] and theirs[0] is not mine


def test_reset_builds_every_threads_resource_again() -> None:
    before = aws.dynamodb()
    aws.reset()
    assert aws.dynamodb() is not before
