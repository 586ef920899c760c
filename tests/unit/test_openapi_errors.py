"""The OpenAPI document lists the error answers each operation can give, all with the one ErrorBody schema."""

from __future__ import annotations

from typing import Any

import pytest

from leadscoring import API_PREFIX
from leadscoring.api.openapi import ROUTE_ERRORS, build_openapi
from leadscoring.routes import ROUTES, find

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def error_schema(operation: dict[str, Any], status: int) -> dict[str, Any]:
    response = operation["responses"][str(status)]
    assert response["description"]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def test_the_error_body_schema_has_the_shape_the_api_answers_with(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    body = schemas["ErrorBody"]
    assert body["required"] == ["error"]
    info = schemas[body["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(info["properties"]) == {"code", "message", "details"}
    detail = schemas[info["properties"]["details"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(detail["properties"]) == {"field", "message", "type"}


def test_every_operation_documents_401_403_and_500_with_the_error_body(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        route = find(method, path)
        assert route is not None
        for status in (500,) if route.public else (401, 403, 500):
            assert error_schema(operation, status) == ERROR_REF, (method, path, status)


def test_a_public_operation_needs_no_key_and_every_other_one_does(document: dict[str, Any]) -> None:
    assert document["security"] == [{"apiKey": []}]
    public = [(m, p, op) for m, p, op in operations(document) if find(m, p).public]  # type: ignore[union-attr]
    assert [(m, p) for m, p, _ in public] == [("GET", f"{API_PREFIX}/openapi.json")]
    for _, _, operation in public:
        assert operation["security"] == []  # no apiKey: callable without x-api-key
        assert not {"401", "403"} & set(operation["responses"])
    assert all("security" not in op for m, p, op in operations(document) if not find(m, p).public)  # type: ignore[union-attr]


def test_every_operation_keeps_its_answer_and_documents_422_as_the_api_answers_it(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        assert {"200", "201", "202"} & set(operation["responses"]), (method, path)
        assert error_schema(operation, 422) == ERROR_REF, (method, path)  # not Powertools' {"detail": [...]}


def test_every_operation_is_a_route_and_every_route_is_documented(document: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == {(r.method, r.full_path) for r in ROUTES}


def test_every_operation_has_the_route_tables_summary(document: dict[str, Any]) -> None:
    # The routers register from the table (api/routing.py): a route registered another way would show here.
    for method, path, operation in operations(document):
        route = find(method, path)
        assert route is not None and operation["summary"] == route.summary, (method, path)


def test_every_operation_with_a_body_documents_400_and_413(document: dict[str, Any]) -> None:
    with_body = [(m, p, op) for m, p, op in operations(document) if "requestBody" in op]
    assert with_body
    for method, path, operation in with_body:
        for status in (400, 413):
            assert error_schema(operation, status) == ERROR_REF, (method, path, status)


def test_every_operation_with_a_path_parameter_documents_404(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if "{" in path:
            assert error_schema(operation, 404) == ERROR_REF, (method, path)


def test_post_score_documents_413_422_409_and_503(document: dict[str, Any]) -> None:
    operation = document["paths"][f"{API_PREFIX}/score"]["post"]
    for status in (400, 409, 413, 503):
        assert error_schema(operation, status) == ERROR_REF, status
    assert "422" in operation["responses"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Lead"}


def test_get_one_lead_documents_404(document: dict[str, Any]) -> None:
    operation = document["paths"][f"{API_PREFIX}/leads/{{id}}"]["get"]
    assert error_schema(operation, 404) == ERROR_REF
    assert "409" not in operation["responses"]  # a read cannot conflict


def test_conflicts_and_unavailability_are_documented_only_where_the_code_raises_them(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        route = find(method, path)
        assert route is not None
        extra = ROUTE_ERRORS.get((route.method, route.path), {})
        assert ("409" in operation["responses"]) == (409 in extra), (method, path)
        # Any operation that reaches storage may find it too slow (DEPENDENCY_TIMEOUT); only some are unavailable.
        unavailable = operation["responses"].get("503", {}).get("description", "")
        assert unavailable.startswith("DEPENDENCY_TIMEOUT") != route.public, (method, path)
        assert ("_UNAVAILABLE" in unavailable) == (503 in extra), (method, path)  # BATCH_, STORAGE_, TRAINING_
    assert "409" in document["paths"][f"{API_PREFIX}/leads/{{id}}/conversion"]["post"]["responses"]
    assert "TRAINING_UNAVAILABLE" in document["paths"][f"{API_PREFIX}/models/{{id}}/train"]["post"]["responses"]["503"]["description"]


def test_a_dependency_timeout_is_documented_with_its_retry_after_header(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if "503" in operation["responses"]:
            assert error_schema(operation, 503) == ERROR_REF, (method, path)
            header = operation["responses"]["503"]["headers"]["Retry-After"]
            assert header["schema"]["type"] == "integer" and header["description"], (method, path)


def test_the_body_and_cursor_refusals_say_what_is_refused(document: dict[str, Any]) -> None:
    """A body nested too deep or with a number too long for a parser is a 400 (api/json_limits.py); so is a cursor
    the API did not sign for this query."""
    score = document["paths"][f"{API_PREFIX}/score"]["post"]["responses"]["400"]["description"]
    assert "MALFORMED_REQUEST" in score and "64 levels" in score and "4300 digits" in score
    for path in ("/leads", "/audit/events"):
        assert "INVALID_CURSOR" in document["paths"][f"{API_PREFIX}{path}"]["get"]["responses"]["400"]["description"], path


def test_the_route_specific_table_names_only_real_routes() -> None:
    routes = {(r.method, r.path) for r in ROUTES}
    assert set(ROUTE_ERRORS) <= routes


def test_created_and_accepted_answers_are_documented_with_their_body(document: dict[str, Any]) -> None:
    paths = document["paths"]
    batch = paths["/api/v1/leadscoring/batch-score"]["post"]["responses"]
    assert {"200", "201", "202"} <= set(batch) and batch["201"]["content"] == batch["200"]["content"]
    for path in ("/api/v1/leadscoring/batch-score/{job_id}/start", "/api/v1/leadscoring/models/{id}/train"):
        responses = paths[path]["post"]["responses"]
        assert "202" in responses and "200" not in responses, path  # these never answer 200
        assert "content" in responses["202"]
    for path, schema in (("/api/v1/leadscoring/models", "ModelDefinition"), ("/api/v1/leadscoring/features", "ScoringFeature")):
        responses = paths[path]["post"]["responses"]
        assert "201" in responses and "200" not in responses, path  # a create answers 201, as every create does
        assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}
