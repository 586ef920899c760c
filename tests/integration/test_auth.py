"""API keys and roles: the authorizer's policy (from the route table) and the functions' own check."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from leadscoring import API_PREFIX
from leadscoring.domain.auth import hash_api_key
from leadscoring.resources import API_KEYS
from leadscoring.routes import ROUTES, Role, Route
from local_stack.lambda_context import LocalLambdaContext

from .conftest import Tenant
from .support import Api, Tables, assert_error, lead_body


def _concrete(route: Route) -> str:
    return re.sub(r"\{\w+\}", "some-id", route.path)


def _call(api: Api, route: Route, key: str | None, headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"raw": "{}"} if route.method in ("POST", "PUT") else {}
    return api.call(route.method, _concrete(route), key, headers=headers, **body)


@pytest.fixture(scope="module")
def authz_tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """Its own tenant: an admin's PUT /config with an empty body must not touch anyone else's configuration."""
    return make_tenant("authz")


ROUTE_IDS = [f"{r.method} {r.path}" for r in ROUTES]
KEYED = [r for r in ROUTES if not r.public]
PUBLIC = [r for r in ROUTES if r.public]


@pytest.mark.parametrize("route", KEYED, ids=[f"{r.method} {r.path}" for r in KEYED])
def test_no_key_is_401(api: Api, route: Route) -> None:
    assert_error(_call(api, route, None), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("route", KEYED, ids=[f"{r.method} {r.path}" for r in KEYED])
def test_an_unknown_key_is_401(api: Api, route: Route) -> None:
    assert_error(_call(api, route, "lsk_" + uuid.uuid4().hex), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("route", PUBLIC, ids=[f"{r.method} {r.path}" for r in PUBLIC])
def test_a_public_route_answers_without_a_key_whatever_key_is_sent(api: Api, route: Route) -> None:
    # As API Gateway does for a method with authorization NONE: no authorizer runs, the header is ignored.
    assert _call(api, route, None).status == 200
    assert _call(api, route, "lsk_" + uuid.uuid4().hex).status == 200


def test_a_key_counts_only_in_the_x_api_key_header(api: Api, tenant: Tenant) -> None:
    assert_error(api.get("/leads", headers={"x-api-key": ""}), 401, "UNAUTHORIZED")
    assert_error(api.get("/leads", headers={"Authorization": tenant.admin}), 401, "UNAUTHORIZED")
    assert_error(api.get("/leads", headers={"Authorization": f"Bearer {tenant.admin}"}), 401, "UNAUTHORIZED")
    assert_error(api.get("/leads", query={"x-api-key": tenant.admin}), 401, "UNAUTHORIZED")


def test_the_key_header_name_is_case_insensitive(api: Api, tenant: Tenant) -> None:
    assert api.get("/leads", headers={"X-API-KEY": tenant.analyst}).status == 200


def test_a_revoked_key_is_401(api: Api, make_tenant: Callable[..., Tenant]) -> None:
    revoked = make_tenant("revoked", with_model=False)
    assert api.get("/leads", revoked.analyst).status == 200
    boto3.resource("dynamodb").Table(API_KEYS.local_name).update_item(
        Key={"key_hash": hash_api_key(revoked.analyst)}, UpdateExpression="SET revoked = :t", ExpressionAttributeValues={":t": True}
    )
    assert_error(api.get("/leads", revoked.analyst), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_route_answers_each_role_as_the_route_table_says(api: Api, authz_tenant: Tenant, route: Route, role: str) -> None:
    reply = _call(api, route, authz_tenant.key(role))
    if route.allows(Role(role)):
        assert reply.status not in (401, 403), reply.body
        assert reply.status < 500, reply.body
    else:
        assert_error(reply, 403, "FORBIDDEN")


def test_the_roles_in_the_issue(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    before = tables.counts()
    assert_error(api.post("/score", tenant.analyst, body=lead_body(f"analyst.{unique}@example.com")), 403, "FORBIDDEN")
    assert_error(api.get("/models", tenant.integration), 403, "FORBIDDEN")
    assert tables.counts() == before

    assert api.post("/score", tenant.integration, body=lead_body(f"integration.{unique}@example.com")).status == 200
    assert api.get("/models", tenant.analyst).status == 200
    for path in ("/leads", "/models", "/config", "/features", "/audit/events"):
        reply = api.get(path, tenant.admin)
        assert reply.status == 200, (path, reply.body)
    assert api.post("/score", tenant.admin, body=lead_body(f"admin.{unique}@example.com")).status == 200


def _direct_event(method: str, path: str, authorizer: dict[str, Any] | None, body: Any = None) -> dict[str, Any]:
    """A REST proxy event as API Gateway sends it, for calling a function handler without the gateway."""
    return {
        "resource": API_PREFIX + path,
        "path": API_PREFIX + path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": API_PREFIX + path,
            "httpMethod": method,
            "path": "/v1" + API_PREFIX + path,
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "accountId": "000000000000",
            "apiId": "local",
            "identity": {"sourceIp": "127.0.0.1"},
            **({"authorizer": authorizer} if authorizer is not None else {}),
        },
    }


def test_functions_check_the_role_themselves(gateway: Any, tenant: Tenant, tables: Tables, unique: str) -> None:
    """Defence in depth: a function called with a policy that let a wrong role through still refuses it."""
    score = gateway.functions["score"].lambda_handler
    before = tables.counts()
    body = lead_body(f"direct.{unique}@example.com")

    as_analyst = score(
        _direct_event("POST", "/score", {"client_id": tenant.client_id, "role": "analyst", "key_id": "key_x"}, body),
        LocalLambdaContext("score"),
    )
    assert as_analyst["statusCode"] == 403
    assert json.loads(as_analyst["body"])["error"]["code"] == "FORBIDDEN"

    for authorizer in ({}, {"client_id": tenant.client_id, "role": "superuser"}, {"role": "admin"}, None):
        anonymous = score(_direct_event("POST", "/score", authorizer, body), LocalLambdaContext("score"))
        assert anonymous["statusCode"] == 401, authorizer
        assert json.loads(anonymous["body"])["error"]["code"] == "UNAUTHORIZED"
    assert tables.counts() == before

    as_integration = score(
        _direct_event("POST", "/score", {"client_id": tenant.client_id, "role": "integration", "key_id": "key_x"}, body),
        LocalLambdaContext("score"),
    )
    assert as_integration["statusCode"] == 200, as_integration["body"]
    assert json.loads(as_integration["body"])["client_id"] == tenant.client_id


def test_the_tenant_comes_from_the_key_never_the_request(api: Api, tenant: Tenant, other_tenant: Tenant, unique: str) -> None:
    reply = api.post(
        "/score", tenant.integration, body=lead_body(f"tenant.{unique}@example.com"), headers={"x-client-id": other_tenant.client_id}
    )
    assert reply.status == 200 and reply.body["client_id"] == tenant.client_id
    refused = api.post(
        "/score", tenant.integration, body={**lead_body(f"tenant2.{unique}@example.com"), "client_id": other_tenant.client_id}
    )
    assert_error(refused, 422, "VALIDATION_ERROR")
