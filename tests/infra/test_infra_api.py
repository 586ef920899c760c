"""The REST API is exactly leadscoring.routes.ROUTES: one method per route, wired to its function, authorized."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import config
from infra.compliance import acknowledgments
from infra.constructs.api import ACCESS_LOG_FIELDS
from leadscoring.api.gateway_responses import GATEWAY_RESPONSES, GatewayResponse
from leadscoring.routes import ROUTES
from tests.infra.conftest import Synthesized


def _paths(synthesized: Synthesized) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> full path, following ParentId up to the root."""
    resources = synthesized.resources(synthesized.stateless, "AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path_of(parent["Ref"]) if "Ref" in parent else ""  # Fn::GetAtt [RestApi, RootResourceId]
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


def _methods(synthesized: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(synthesized)
    methods: dict[tuple[str, str], dict[str, Any]] = {}
    for method in synthesized.resources(synthesized.stateless, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        key = (props["HttpMethod"], paths[props["ResourceId"]["Ref"]])
        assert key not in methods, f"duplicate method {key}"
        methods[key] = props
    return methods


def _integration_function(props: dict[str, Any]) -> str:
    parts = props["Integration"]["Uri"]["Fn::Join"][1]
    return next(p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p)


def test_exactly_one_method_per_route_and_no_cors_preflight(synthesized: Synthesized) -> None:
    methods = _methods(synthesized)
    assert sorted(methods) == sorted((r.method, r.full_path) for r in ROUTES)
    assert not any(method == "OPTIONS" for method, _ in methods)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_is_a_proxy_integration_to_its_function(synthesized: Synthesized, function_ids: dict[str, str], route: Any) -> None:
    props = _methods(synthesized)[(route.method, route.full_path)]
    assert props["Integration"]["Type"] == "AWS_PROXY"
    assert props["Integration"]["IntegrationHttpMethod"] == "POST"
    assert _integration_function(props) == function_ids[route.function]
    expected_parameters = {f"method.request.path.{name}": True for name in re.findall(r"\{(\w+)\}", route.full_path)}
    assert props.get("RequestParameters", {}) == expected_parameters


def test_every_method_but_the_public_ones_uses_the_api_key_authorizer_and_all_the_validator(
    synthesized: Synthesized, function_ids: dict[str, str]
) -> None:
    authorizers = synthesized.resources(synthesized.stateless, "AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    (authorizer_id, authorizer), *_ = authorizers.items()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == "method.request.header.x-api-key"
    assert props["AuthorizerResultTtlInSeconds"] == 60
    assert function_ids["authorizer"] in json.dumps(props["AuthorizerUri"])

    validators = synthesized.resources(synthesized.stateless, "AWS::ApiGateway::RequestValidator")
    assert len(validators) == 1
    (validator_id, validator), *_ = validators.items()
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True

    public = {(r.method, r.full_path) for r in ROUTES if r.public}
    assert public == {("GET", "/api/v1/leadscoring/openapi.json")}
    for key, method in _methods(synthesized).items():
        if key in public:
            # Called without a key, as the local gateway calls it: no authorizer at all.
            assert method["AuthorizationType"] == "NONE" and "AuthorizerId" not in method, key
        else:
            assert method["AuthorizationType"] == "CUSTOM", key
            assert method["AuthorizerId"] == {"Ref": authorizer_id}, key
        assert method["RequestValidatorId"] == {"Ref": validator_id}, key


def test_a_public_method_carries_its_cdk_nag_acknowledgment(synthesized: Synthesized) -> None:
    acknowledged = [(path, rule, reason) for path, rule, reason in acknowledgments(synthesized.app) if rule == "AwsSolutions-APIG4"]
    assert len(acknowledged) == 1, acknowledged  # on that method alone, not the whole API
    path, _, reason = acknowledged[0]
    assert path.endswith("/openapi.json/GET") and "OpenAPI document" in reason, path


def test_stage_logs_traces_and_throttles(synthesized: Synthesized) -> None:
    stages = synthesized.resources(synthesized.stateless, "AWS::ApiGateway::Stage")
    assert len(stages) == 1
    props = next(iter(stages.values()))["Properties"]
    assert props["StageName"] == config.API_STAGE
    assert props["TracingEnabled"] is True
    access_log = props["AccessLogSetting"]
    assert json.loads(access_log["Format"]) == ACCESS_LOG_FIELDS  # structured (JSON) access logs
    log_group_id = access_log["DestinationArn"]["Fn::GetAtt"][0]
    log_group = synthesized.resources(synthesized.stateless, "AWS::Logs::LogGroup")[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 90
    assert props["MethodSettings"] == [
        {
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "LoggingLevel": "INFO",
            "MetricsEnabled": True,
            "DataTraceEnabled": False,
            "ThrottlingRateLimit": config.API_THROTTLE_RATE,
            "ThrottlingBurstLimit": config.API_THROTTLE_BURST,
        }
    ]


def _gateway_responses(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in synthesized.resources(synthesized.stateless, "AWS::ApiGateway::GatewayResponse").values():
        props = resource["Properties"]
        assert props["ResponseType"] not in found, props["ResponseType"]
        found[props["ResponseType"]] = props
    return found


def test_the_gateway_answers_exactly_the_shared_table_and_the_defaults(synthesized: Synthesized) -> None:
    expected = {answer.response_type for answer in GATEWAY_RESPONSES} | {"DEFAULT_4XX", "DEFAULT_5XX"}
    assert set(_gateway_responses(synthesized)) == expected


@pytest.mark.parametrize("answer", GATEWAY_RESPONSES, ids=lambda a: a.response_type)
def test_each_gateway_answer_is_the_shared_tables(synthesized: Synthesized, answer: GatewayResponse) -> None:
    # The local gateway answers from the same table (tests/integration/test_routes.py checks that side).
    props = _gateway_responses(synthesized)[answer.response_type]
    assert props["StatusCode"] == str(answer.status)
    assert json.loads(props["ResponseTemplates"]["application/json"]) == answer.body()
    assert answer.body() == {"error": {"code": answer.code, "message": answer.message, "details": []}}


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX"])
def test_other_gateway_errors_keep_their_status_in_the_project_error_shape(synthesized: Synthesized, response_type: str) -> None:
    props = _gateway_responses(synthesized)[response_type]
    assert "StatusCode" not in props
    # API Gateway substitutes $context.error.messageString with a quoted JSON string.
    body = json.loads(props["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"Throttled"'))
    assert body == {"error": {"code": "$context.error.responseType", "message": "Throttled", "details": []}}


def test_api_endpoint_output(synthesized: Synthesized) -> None:
    outputs = synthesized.stateless.find_outputs("ApiEndpoint")
    assert "/api/v1/leadscoring" in json.dumps(outputs)
