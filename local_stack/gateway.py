"""A local API Gateway: HTTP requests become REST API proxy events, the authorizer runs, then the function.

Functions are the same `functions/<name>/app.py` modules Lambda runs, called in-process.
"""

from __future__ import annotations

import base64
import fnmatch
import importlib.util
import json
import logging
import os
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from werkzeug.wrappers import Request, Response

from leadscoring import API_PREFIX
from leadscoring.api.errors import error_body
from leadscoring.api.gateway_responses import (
    ACCESS_DENIED,
    GATEWAY_MAX_BODY,
    NO_SUCH_ENDPOINT,
    REQUEST_TOO_LARGE,
    UNAUTHORIZED,
    GatewayResponse,
)
from leadscoring.routes import FUNCTIONS, Route, match
from local_stack.dashboard_site import DashboardSite
from local_stack.lambda_context import LocalLambdaContext

log = logging.getLogger("local_stack.gateway")
ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, REGION, API_ID, STAGE = "000000000000", "us-east-1", "local", "v1"
SERVICE_NAME_ENV = "POWERTOOLS_SERVICE_NAME"


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py, imported with the POWERTOOLS_SERVICE_NAME CDK gives that function (its name):
    its Powertools Logger and Metrics read it when the module builds them."""
    spec = importlib.util.spec_from_file_location(f"functions.{name}.app", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    previous = os.environ.get(SERVICE_NAME_ENV)
    os.environ[SERVICE_NAME_ENV] = name
    try:
        spec.loader.exec_module(module)
    finally:
        # Every function shares this process: the next one is imported with its own name.
        if previous is None:
            os.environ.pop(SERVICE_NAME_ENV, None)
        else:
            os.environ[SERVICE_NAME_ENV] = previous
    return module


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers={"Content-Type": "application/json", **(headers or {})})


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, error_body(code, message))


def _refusal(answer: GatewayResponse) -> Response:
    """One of API Gateway's own answers, exactly as the CDK app configures it."""
    return _json(answer.status, answer.body())


class LocalGateway:
    def __init__(self) -> None:
        self.functions = {name: load_function(name) for name in FUNCTIONS}
        self.authorizer = load_function("authorizer")
        self.dashboard = DashboardSite()

    # -- WSGI ---------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        response = self.dispatch(request)
        # Method, path and status only: query strings and bodies may carry PII.
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, (time.perf_counter() - started) * 1000)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        # Swagger UI is local only; the document it reads is the API's own GET /openapi.json, as deployed.
        if path in (f"{API_PREFIX}/docs", f"{API_PREFIX}/swagger"):
            return Response(swagger_page(), content_type="text/html; charset=utf-8")
        if path.startswith(f"{API_PREFIX}/docs/") and path.rsplit("/", 1)[-1] in SWAGGER_ASSETS:
            name = path.rsplit("/", 1)[-1]
            return Response((SWAGGER_DIR / name).read_bytes(), content_type=SWAGGER_ASSETS[name])
        if path.startswith(API_PREFIX):
            return self.invoke_api(request)
        # Everything outside the API is the dashboard: its routes, its assets, or its not-found view.
        return self.dashboard.serve(request)

    # -- API ----------------------------------------------------------------------------------------
    def invoke_api(self, request: Request) -> Response:
        found = match(request.method, request.path)
        if found is None:
            return _refusal(NO_SUCH_ENDPOINT)  # an unknown path or an unknown method on a known one, as API Gateway
        route, params = found
        if request.content_length and request.content_length > GATEWAY_MAX_BODY:
            return _refusal(REQUEST_TOO_LARGE)
        raw = request.get_data(cache=False)
        decision = None if route.public else self._authorize(request, route, params)
        if isinstance(decision, Response):
            return decision
        event = self._proxy_event(request, route.full_path, params, raw, decision)
        started = time.perf_counter()
        result = self.functions[route.function].lambda_handler(event, LocalLambdaContext(route.function))
        elapsed = (time.perf_counter() - started) * 1000
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        response = Response(payload, status=int(result.get("statusCode", 200)))
        # API Gateway merges both header maps of a proxy result; Powertools' REST resolver uses multiValueHeaders.
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = value
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response.headers.setlist(name, values)
        response.headers["X-Lambda-Duration-Ms"] = f"{elapsed:.2f}"
        return response

    def _authorize(self, request: Request, route: Route, params: dict[str, str]) -> dict[str, Any] | Response:
        """The REQUEST authorizer's decision for this call, or the gateway's refusal."""
        method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{route.method}{request.path}"
        headers = dict(request.headers.items())
        try:
            decision = self.authorizer.lambda_handler(
                {
                    "type": "REQUEST",
                    "methodArn": method_arn,
                    "resource": route.full_path,
                    "path": request.path,
                    "httpMethod": request.method,
                    "headers": headers,
                    "queryStringParameters": dict(request.args.items()),
                    "pathParameters": params,
                    "requestContext": {"stage": STAGE},
                },
                LocalLambdaContext("authorizer"),
            )
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return _refusal(UNAUTHORIZED)
            # API Gateway's DEFAULT_5XX answer names the response type (AUTHORIZER_FAILURE).
            return _error(500, "AUTHORIZER_FAILURE", "The authorizer failed")
        if not _policy_allows(decision.get("policyDocument", {}), method_arn):
            return _refusal(ACCESS_DENIED)
        return dict(decision)

    @staticmethod
    def _proxy_event(
        request: Request, resource: str, params: dict[str, str], raw: bytes, decision: dict[str, Any] | None
    ) -> dict[str, Any]:
        """decision: the authorizer's, or None for a public route (API Gateway then passes no authorizer context)."""
        try:
            body: str | None = raw.decode() if raw else None
            encoded = False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(raw).decode(), True
        query = {k: request.args.getlist(k) for k in request.args}
        context: dict[str, Any] = {
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": f"/{STAGE}{request.path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
        }
        if decision is not None:
            context["authorizer"] = {**decision.get("context", {}), "principalId": decision.get("principalId")}
        return {
            "resource": resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers.items()),
            "multiValueHeaders": {k: request.headers.getlist(k) for k in request.headers.keys()},  # noqa: SIM118
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": body,
            "isBase64Encoded": encoded,
            "requestContext": context,
        }


def _policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    allowed = False
    for statement in policy.get("Statement", []):
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
    return allowed


# Powertools ships Swagger UI's assets, so the docs work offline.
SWAGGER_DIR = Path(importlib.util.find_spec("aws_lambda_powertools").origin or "").parent / "event_handler" / "openapi" / "swagger_ui"  # type: ignore[union-attr]
SWAGGER_ASSETS = {"swagger-ui-bundle.min.js": "application/javascript", "swagger-ui.min.css": "text/css"}


def swagger_page() -> str:
    return f"""<!doctype html><html><head><title>Lead Scoring API</title>
<link rel="stylesheet" href="{API_PREFIX}/docs/swagger-ui.min.css"></head>
<body><div id="swagger"></div><script src="{API_PREFIX}/docs/swagger-ui-bundle.min.js"></script>
<script>SwaggerUIBundle({{url: "{API_PREFIX}/openapi.json", dom_id: "#swagger"}});</script></body></html>"""
