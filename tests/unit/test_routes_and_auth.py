import fnmatch

from leadscoring import routes
from leadscoring.domain.auth import allowed_resources, hash_api_key, key_id, new_api_key
from leadscoring.routes import ROUTES, Role, Route, find, match

SPEC_ENDPOINTS = {
    ("GET", "/leads"),
    ("POST", "/score"),
    ("GET", "/performance"),
    ("GET", "/analytics"),
    ("POST", "/batch-score"),
    ("GET", "/models"),
    ("POST", "/models"),
    ("PUT", "/models/{id}"),
    ("POST", "/models/{id}/train"),
    ("POST", "/models/{id}/deploy"),
    ("GET", "/models/{id}/performance"),
    ("GET", "/config"),
    ("PUT", "/config"),
    ("GET", "/features"),
    ("POST", "/features"),
    ("PUT", "/features/{id}"),
}
ARN = "arn:aws:execute-api:us-east-1:123:api/v1/POST/api/v1/leadscoring/score"


def test_route_table_holds_every_spec_endpoint_once() -> None:
    pairs = [(r.method, r.path) for r in ROUTES]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) >= SPEC_ENDPOINTS


def test_every_entry_the_routers_may_name_is_in_the_table() -> None:
    assert [value for value in vars(routes).values() if isinstance(value, Route)] == list(ROUTES)


def test_match_and_find() -> None:
    matched = match("GET", "/api/v1/leadscoring/models/m1/performance")
    assert matched is not None
    route, params = matched
    assert route.path == "/models/{id}/performance" and params == {"id": "m1"}
    assert match("DELETE", "/api/v1/leadscoring/models/m1") is None
    assert match("GET", "/api/v1/leadscoring/leads/a/b") is None
    found = find("GET", "/api/v1/leadscoring/leads/{id}")
    assert found is not None and found.function == "score"


def test_admin_may_call_everything() -> None:
    assert all(r.allows(Role.ADMIN) for r in ROUTES)


def test_policy_resources_follow_the_role() -> None:
    def allowed(role: Role, method: str, path: str) -> bool:
        arn = f"arn:aws:execute-api:us-east-1:123:api/v1/{method}{path}"
        return any(fnmatch.fnmatchcase(arn, r) for r in allowed_resources(role, ARN))

    assert allowed(Role.INTEGRATION, "POST", "/api/v1/leadscoring/score")
    assert not allowed(Role.INTEGRATION, "GET", "/api/v1/leadscoring/models")
    assert allowed(Role.ANALYST, "GET", "/api/v1/leadscoring/leads/abc")
    assert not allowed(Role.ANALYST, "POST", "/api/v1/leadscoring/score")
    assert not allowed(Role.ANALYST, "PUT", "/api/v1/leadscoring/config")


def test_keys_are_random_and_hashed() -> None:
    a, b = new_api_key(), new_api_key()
    assert a != b and len(a) > 40
    assert hash_api_key(a) != a and len(hash_api_key(a)) == 64
    assert a not in key_id(hash_api_key(a))


def test_the_idempotency_key_header_is_read_in_any_case_and_bounded() -> None:
    import pytest

    from leadscoring.api.context import idempotency_key_of
    from leadscoring.domain.errors import InvalidInput

    assert idempotency_key_of({"headers": {"idempotency-KEY": "abc"}}) == "abc"
    assert idempotency_key_of({"headers": {"Other": "x"}}) is None and idempotency_key_of({"headers": None}) is None
    assert idempotency_key_of({"headers": {"Idempotency-Key": "k" * 200}}) == "k" * 200
    for bad, kind in (("k" * 201, "string_too_long"), ("", "string_too_short")):
        with pytest.raises(InvalidInput) as raised:
            idempotency_key_of({"headers": {"Idempotency-Key": bad}})
        assert raised.value.details == [{"field": "Idempotency-Key", "message": raised.value.details[0]["message"], "type": kind}]


def test_the_openapi_document_declares_the_idempotency_key_header_and_event_id_of_post_score() -> None:
    from leadscoring.api.openapi import build_openapi

    document = build_openapi()
    operation = document["paths"]["/api/v1/leadscoring/score"]["post"]
    [parameter] = operation["parameters"]
    assert (parameter["name"], parameter["in"], parameter["schema"]["maxLength"]) == ("Idempotency-Key", "header", 200)
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ScoreRequest"}
    body = document["components"]["schemas"]["ScoreRequest"]["properties"]
    assert {"email", "name", "source", "attributes", "event_id"} <= set(body)
