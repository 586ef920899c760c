"""The REST API, generated from leadscoring.routes.ROUTES: no route is written here by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import config
from infra.compliance import acknowledge
from leadscoring import API_PREFIX
from leadscoring.api.gateway_responses import GATEWAY_RESPONSES
from leadscoring.routes import ROUTES, Route

# Any other refusal of API Gateway's (throttling, an authorizer failure, ...) keeps its own status, in the project's
# error shape with API Gateway's own type and message.
DEFAULT_RESPONSES = (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX)

PUBLIC_ROUTE_REASON = (
    "{method} {path} is public in the route table (leadscoring.routes): it answers the API's own OpenAPI document, built "
    "from code and the same for every caller, with no tenant data; the stage's throttling still applies."
)

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integration.error",
    "principalId": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "errorType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}


def default_error_template() -> str:
    # $context.error.messageString is already a JSON string literal, so it goes in without quotes.
    body = json.dumps({"error": {"code": "$context.error.responseType", "message": "MESSAGE", "details": []}})
    return body.replace('"MESSAGE"', "$context.error.messageString")


def path_parameters(route: Route) -> list[str]:
    return re.findall(r"\{(\w+)\}", route.full_path)


class LeadScoringApiConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        authorizer_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=config.API_ACCESS_LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.RESOURCE_PREFIX}-api",
            description="Lead scoring API (routes from leadscoring.routes)",
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            # The account-level role API Gateway needs to write execution logs.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=config.API_STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                tracing_enabled=True,
                throttling_rate_limit=config.API_THROTTLE_RATE,
                throttling_burst_limit=config.API_THROTTLE_BURST,
                logging_level=apigw.MethodLoggingLevel.INFO,
                metrics_enabled=True,
                data_trace_enabled=False,  # full request/response logging would copy lead PII into CloudWatch
            ),
        )
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "ApiKeyAuthorizer",
            handler=authorizer_function,
            identity_sources=[apigw.IdentitySource.header(config.API_KEY_HEADER)],
            # The authorizer's policy lists every route the caller's role may call, so a cached answer is
            # valid for any route.
            results_cache_ttl=Duration.seconds(config.AUTHORIZER_CACHE_SECONDS),
        )
        self.validator = self.api.add_request_validator("RequestValidator", validate_request_body=True, validate_request_parameters=True)
        # The gateway's own answers, from the one table the local gateway answers with too.
        for answer in GATEWAY_RESPONSES:
            self.api.add_gateway_response(
                f"{answer.response_type}Response",
                type=apigw.ResponseType.of(answer.response_type),
                status_code=str(answer.status),
                templates={"application/json": json.dumps(answer.body())},
            )
        for response_type in DEFAULT_RESPONSES:
            self.api.add_gateway_response(
                f"{response_type.response_type}Response", type=response_type, templates={"application/json": default_error_template()}
            )
        integrations = {name: apigw.LambdaIntegration(fn, proxy=True) for name, fn in functions.items()}
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.full_path.lstrip("/"))
            method = resource.add_method(
                route.method,
                integrations[route.function],
                # A route the table makes public is called without a key, as the local gateway calls it.
                authorization_type=apigw.AuthorizationType.NONE if route.public else apigw.AuthorizationType.CUSTOM,
                authorizer=None if route.public else self.authorizer,
                request_validator=self.validator,
                request_parameters={f"method.request.path.{name}": True for name in path_parameters(route)},
            )
            if route.public:
                acknowledge(method, "AwsSolutions-APIG4", PUBLIC_ROUTE_REASON.format(method=route.method, path=route.path))
            self.methods[(route.method, route.full_path)] = method
        self.endpoint = self.api.url_for_path(API_PREFIX)
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Callers are CRM webhooks, marketing tools and the dashboard using per-client API keys (x-api-key), not "
            "Cognito users: every method but the public OpenAPI document uses the Lambda REQUEST authorizer, which "
            "checks the hashed key and the route's roles.",
        )
        acknowledge(
            self.api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAFv2 web ACL yet: every method but the public OpenAPI document requires an API key checked by the "
            "authorizer, and the stage is throttled. Attaching a web ACL (managed rule groups, rate-based rule) is an "
            "account-level edge decision.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway uses to write execution logs; AWS documents this managed policy for "
            "exactly that role and keeps it current.",
        )
