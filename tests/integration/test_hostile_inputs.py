"""Issue 18, item 6 ("No 5xx on any input"): what a hostile client sent that was answered with a 500, through the
gateway. Each is a clear 4xx (or a 503 that says to retry) and writes nothing.

- JSON nested 10,000 deep (json.loads: RecursionError) and an integer of 4,301 digits (int(): ValueError), in any
  body: 400 MALFORMED_REQUEST, checked before anything parses the body (api/json_limits.py).
- A cursor with the right tenant around start-key fields of the wrong types (DynamoDB refused them: a 500):
  cursors are signed, so any cursor the API did not issue is a 400 INVALID_CURSOR (domain/cursor.py).
- A dependency too slow to answer (the audit reports' reads timed out five times, then a 500 after ~61 s):
  a 503 DEPENDENCY_TIMEOUT with Retry-After, within the time the invocation has (data/aws.py).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from leadscoring.api.json_limits import MAX_DEPTH, MAX_DIGITS

from .conftest import Tenant
from .support import Api, Reply, Tables, assert_error, lead_body

DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
BODY_ROUTES = [("POST", "/score", "integration"), ("POST", "/batch-score", "integration"), ("PUT", "/config", "admin")]


def _send(api: Api, method: str, path: str, key: str, raw: str) -> Reply:
    return api.call(method, path, key, raw=raw)


def _config(api: Api, tenant: Tenant) -> Any:
    return api.get("/config", tenant.admin).body


# -- nesting ---------------------------------------------------------------------------------------------------


def _deep_bodies(unique: str) -> dict[str, list[str]]:
    """Per route: a body that is nothing but nesting, and a valid-looking body with one deeply nested value."""
    lead = lead_body(f"deep.{unique}@example.com")
    deep_value = '{"a": ' * 10_000 + "1" + "}" * 10_000
    return {
        "/score": [DEEP_ARRAY, json.dumps({**lead, "attributes": {"behavioral": {}}})[:-2] + '"page_views": ' + deep_value + "}}"],
        "/batch-score": [DEEP_ARRAY, '{"leads": [' + json.dumps(lead)[:-1] + ', "extra": ' + deep_value + "}]}"],
        "/config": [DEEP_ARRAY, '{"currency": "EUR", "cost_per_lead": ' + deep_value + "}"],
    }


@pytest.mark.parametrize(("method", "path", "role"), BODY_ROUTES)
def test_json_nested_ten_thousand_deep_is_a_400_and_writes_nothing(
    api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str, method: str, path: str, role: str
) -> None:
    tenant = make_tenant("deep")
    before, config = tables.counts(), _config(api, tenant)
    for body in _deep_bodies(unique)[path]:
        error = assert_error(_send(api, method, path, tenant.key(role), body), 400, "MALFORMED_REQUEST")
        assert error["details"] == [{"field": "body", "message": f"nested more than {MAX_DEPTH} levels deep", "type": "json_too_deep"}]
        assert f"{MAX_DEPTH} levels" in error["message"]
    assert tables.counts() == before and _config(api, tenant) == config


def test_the_role_is_checked_before_the_body(api: Api, tenant: Tenant) -> None:
    assert_error(_send(api, "PUT", "/config", tenant.analyst, DEEP_ARRAY), 403, "FORBIDDEN")


def test_nesting_inside_strings_and_up_to_the_bound_is_fine(api: Api, make_tenant: Callable[..., Tenant], unique: str) -> None:
    tenant = make_tenant("brackets")
    scored = api.post("/score", tenant.integration, body=lead_body(f"b.{unique}@example.com", name="[[{{" * 40 + "]"))
    assert scored.status == 200, scored.body
    # As deep as the bound allows is parsed (and refused by the schema, as any odd value is).
    nested = "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2)
    refused = _send(api, "POST", "/score", tenant.integration, '{"email": "x@example.com", "name": ' + nested + ', "source": "web"}')
    assert_error(refused, 422, "VALIDATION_ERROR")


# -- long numbers ----------------------------------------------------------------------------------------------


LONG = "1" * (MAX_DIGITS + 1)


def _long_number_bodies(unique: str) -> dict[str, list[str]]:
    lead = json.dumps(lead_body(f"long.{unique}@example.com"))
    return {
        "/score": [
            lead[:-1] + ', "attributes": {"behavioral": {"page_views": ' + LONG + "}}}",
            lead[:-1] + ', "surprise": -' + LONG + "}",  # a field no model has: still never parsed
        ],
        "/batch-score": ['{"leads": [' + lead[:-1] + ', "attributes": {"firmographic": {"company_size": ' + LONG + "}}}]}"],
        "/config": ['{"cost_per_lead": {"default": ' + LONG + ', "by_source": {}}}', '{"thresholds": [' + LONG + "]}"],
    }


@pytest.mark.parametrize(("method", "path", "role"), BODY_ROUTES)
def test_an_integer_of_4301_digits_is_a_400_and_writes_nothing(
    api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str, method: str, path: str, role: str
) -> None:
    tenant = make_tenant("long")
    before, config = tables.counts(), _config(api, tenant)
    for body in _long_number_bodies(unique)[path]:
        error = assert_error(_send(api, method, path, tenant.key(role), body), 400, "MALFORMED_REQUEST")
        assert error["details"] == [{"field": "body", "message": f"a number of more than {MAX_DIGITS} digits", "type": "number_too_long"}]
        assert f"more than {MAX_DIGITS} digits" in error["message"]
    assert tables.counts() == before and _config(api, tenant) == config


def test_a_number_python_can_read_is_the_fields_own_422(api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str) -> None:
    tenant = make_tenant("digits")
    before = tables.counts()
    lead = json.dumps(lead_body(f"d.{unique}@example.com"))
    longest = lead[:-1] + ', "attributes": {"behavioral": {"page_views": ' + "9" * MAX_DIGITS + "}}}"
    reply = _send(api, "POST", "/score", tenant.integration, longest)
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert reply.body["error"]["details"][0]["field"] == "attributes.behavioral.page_views"
    reply = _send(api, "PUT", "/config", tenant.admin, '{"cost_per_lead": {"default": ' + "9" * MAX_DIGITS + ', "by_source": {}}}')
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert tables.counts() == before


# -- cursors ---------------------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _retyped(value: Any, name: str = "") -> Any:
    """Every start-key field of a cursor's key given the wrong type; the tenant left as it is."""
    if name == "client_id":
        return value
    if isinstance(value, dict):
        return {k: _retyped(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_retyped(v) for v in value]
    if isinstance(value, str):
        return 12345
    if isinstance(value, int | float):
        return {"M": {"x": 1}}
    return ["not", "a", "key"]


def _forged(cursor: str) -> list[str]:
    """The cursor's body with every key field retyped: as the old unsigned cursors were, under the real tag, and
    under a made-up one."""
    payload, _, tag = cursor.partition(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    retyped = _b64(json.dumps({**body, "k": _retyped(body["k"])}, sort_keys=True).encode())
    return [retyped, f"{retyped}.{tag}", f"{retyped}.{_b64(b'0' * 32)}"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/leads", {"limit": 1}),
        ("/leads", {"limit": 1, "min_score": 0}),
        ("/audit/events", {"limit": 1}),
        ("/audit/events", {"limit": 1, "type": "decision"}),
    ],
)
def test_a_cursor_with_the_right_tenant_and_wrongly_typed_key_fields_is_a_400(
    api: Api, make_tenant: Callable[..., Tenant], unique: str, path: str, query: dict[str, Any]
) -> None:
    tenant = make_tenant("cursor")
    for n in range(3):
        assert api.post("/score", tenant.integration, body=lead_body(f"c{n}.{unique}@example.com")).status == 200
    first = api.get(path, tenant.analyst, query=query)
    assert first.status == 200 and first.body["next_cursor"], first.body
    cursor = first.body["next_cursor"]
    for forged in _forged(cursor):
        error = assert_error(api.get(path, tenant.analyst, query={**query, "cursor": forged}), 400, "INVALID_CURSOR")
        assert error["details"][0]["field"] == "cursor" and error["details"][0]["type"] == "invalid_cursor"
    # The genuine one still pages on.
    second = api.get(path, tenant.analyst, query={**query, "cursor": cursor})
    assert second.status == 200 and second.body["items"]


# -- a dependency that does not answer --------------------------------------------------------------------------


@contextmanager
def _queries_unanswered() -> Iterator[None]:
    """moto answers no DynamoDB Query in this block (it runs in this process); other calls as usual. A query it
    held goes on when the block ends, to a client that has stopped waiting."""
    from moto.dynamodb.responses import DynamoHandler

    released = threading.Event()
    original = DynamoHandler.query

    def query(handler: Any) -> Any:
        released.wait(120)
        return original(handler)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DynamoHandler, "query", query)
        try:
            yield
        finally:
            released.set()


INVOCATION_SECONDS = 8.0  # what the local Lambda context says each invocation has


@pytest.mark.parametrize(
    ("path", "query"), [("/audit/data-quality", {}), ("/audit/drift", {}), ("/audit/bias", {}), ("/leads", {}), ("/audit/events", {})]
)
def test_a_dependency_that_does_not_answer_is_a_503_with_retry_after_in_time(
    api: Api,
    make_tenant: Callable[..., Tenant],
    tables: Tables,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    query: dict[str, Any],
) -> None:
    tenant = make_tenant("slow")
    before = tables.counts()
    monkeypatch.setenv("LOCAL_LAMBDA_TIMEOUT_SECONDS", str(INVOCATION_SECONDS))
    with _queries_unanswered():
        started = time.monotonic()
        reply = api.get(path, tenant.analyst, query=query)
        elapsed = time.monotonic() - started
    error = assert_error(reply, 503, "DEPENDENCY_TIMEOUT")
    assert "retry" in error["message"].lower()
    assert reply.headers["Retry-After"] == "5"
    # Answered within the invocation's time (it was a 500 after ~61 s of retries), not at once either: it waited.
    assert 1.0 < elapsed < INVOCATION_SECONDS, elapsed
    assert tables.counts() == before
