"""The one route table against what the functions really serve, and what the gateway does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from leadscoring.api.gateway_responses import (
    ACCESS_DENIED,
    GATEWAY_MAX_BODY,
    GATEWAY_RESPONSES,
    NO_SUCH_ENDPOINT,
    REQUEST_TOO_LARGE,
    UNAUTHORIZED,
    GatewayResponse,
)
from leadscoring.routes import FUNCTIONS, ROUTES, routes_of
from local_stack.gateway import load_function

from .conftest import Tenant
from .support import Api, Reply, assert_error

ROOT = Path(__file__).resolve().parents[2]


def _registered(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route a Powertools resolver serves, with <param> written as the table's {param}."""
    return {(route.method.upper(), re.sub(r"<(\w+)>", r"{\1}", route.path)) for route in app._static_routes + app._dynamic_routes}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_serves_exactly_its_routes_in_the_table(moto_endpoint: str, function: str) -> None:
    module = load_function(function)
    expected = {(r.method, r.full_path) for r in routes_of(function)}
    assert expected, f"{function} has no route in the table"
    assert _registered(module.app) == expected


def test_every_function_folder_with_a_resolver_is_in_the_table(moto_endpoint: str) -> None:
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert set(FUNCTIONS) <= folders
    for name in folders - set(FUNCTIONS):
        assert not hasattr(load_function(name), "app"), f"functions/{name} serves HTTP routes the table does not list"


def test_the_openapi_document_is_served_without_a_key_and_matches_the_table(api: Api) -> None:
    reply = api.get("/openapi.json")  # the route the deployed API serves too, by the config function
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    document = reply.body
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented == {(r.method, r.full_path) for r in ROUTES}


def test_an_unknown_api_path_is_404_json(api: Api, tenant: Tenant) -> None:
    reply = api.get("/no-such-thing", tenant.admin)
    assert_error(reply, 404, "NOT_FOUND")
    assert reply.headers["Content-Type"].startswith("application/json")
    assert_error(api.get("/leads/a/b", tenant.admin), 404, "NOT_FOUND")


def _gateway_answered(reply: Reply, answer: GatewayResponse) -> None:
    assert (reply.status, reply.body) == (answer.status, answer.body()), (reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith("application/json")


def test_the_local_gateway_answers_what_the_cdk_gateway_answers(api: Api, tenant: Tenant) -> None:
    """Each of API Gateway's own answers, from the one table the CDK app configures (tests/infra checks that side)."""
    assert {a.response_type for a in GATEWAY_RESPONSES} == {
        "MISSING_AUTHENTICATION_TOKEN",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "REQUEST_TOO_LARGE",
    }
    # An unknown path, and an unknown method on a known path (before any authorizer: with or without a key).
    _gateway_answered(api.get("/no-such-thing", tenant.admin), NO_SUCH_ENDPOINT)
    _gateway_answered(api.call("DELETE", "/leads", tenant.admin), NO_SUCH_ENDPOINT)
    _gateway_answered(api.call("PATCH", "/config", None), NO_SUCH_ENDPOINT)
    # No key, an unknown key, a role the route does not allow.
    _gateway_answered(api.get("/leads"), UNAUTHORIZED)
    _gateway_answered(api.get("/leads", "lsk_not_a_key"), UNAUTHORIZED)
    _gateway_answered(api.post("/score", tenant.analyst, body={}), ACCESS_DENIED)
    # A body over API Gateway's own limit, refused before the authorizer.
    _gateway_answered(api.post("/score", None, raw="x" * (GATEWAY_MAX_BODY + 1)), REQUEST_TOO_LARGE)
