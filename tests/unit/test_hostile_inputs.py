"""Issue 18, item 6: bodies no parser is trusted with, and dependencies that do not answer, are 4xx and 503 answers
(never a 500), decided in one place for every function (api/resolver.py handle, api/errors.py)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.router import Router
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from leadscoring.api import errors
from leadscoring.api.direct import DirectRoute, DirectRoutes
from leadscoring.api.json_limits import MAX_DEPTH, MAX_DIGITS, check_json_text
from leadscoring.api.resolver import create_resolver, handle
from leadscoring.data import aws
from leadscoring.domain.errors import DependencyTimeout, MalformedRequest
from leadscoring.schemas.lead import LeadInput

LEAD = {"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": 3}}}


def _refusal(text: str) -> str | None:
    try:
        check_json_text(text)
    except MalformedRequest as exc:
        assert exc.status == 400 and exc.code == "MALFORMED_REQUEST"
        return str(exc.details[0]["type"])
    return None


# -- the body's text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("[" * 10_000 + "]" * 10_000, "json_too_deep"),  # Python's json: RecursionError
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "json_too_deep"),
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, None),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "json_too_deep"),
        ("[" * (MAX_DEPTH + 1), "json_too_deep"),  # not even closed: refused before anything parses it
        ('{"leads": [' + ",".join([json.dumps(LEAD)] * 500) + "]}", None),  # many brackets, none deep
        (json.dumps({"name": "[" * 1000 + "{" * 1000}), None),  # brackets in a string are text
        (json.dumps({"name": '\\"[' * 500}), None),  # so are escaped quotes and backslashes before them
        ("[" + "1" * MAX_DIGITS + "]", None),
        ("[" + "1" * (MAX_DIGITS + 1) + "]", "number_too_long"),  # Python's int(): ValueError past 4,300 digits
        ('{"x": -' + "9" * 5000 + "}", "number_too_long"),
        ('{"x": 1.' + "9" * 5000 + "}", "number_too_long"),  # a float reads, but no field takes 5,000 digits
        (json.dumps({"phone": "1" * 5000}), None),  # digits in a string are text
        (",".join(["9" * MAX_DIGITS] * 100), None),  # long runs, none too long
        ("", None),
        ("{not json", None),  # the resolver's own 400
    ],
)
def test_the_body_text_bounds(text: str, refused: str | None) -> None:
    assert _refusal(text) == refused


def test_the_bounds_cost_little_on_a_lead_and_stay_linear_on_a_megabyte() -> None:
    lead = json.dumps(LEAD)
    started = time.perf_counter()
    for _ in range(1000):
        check_json_text(lead)
    assert (time.perf_counter() - started) / 1000 < 50e-6  # two counts and a length
    for text in ("[]" * 500_000, ",".join(["9" * MAX_DIGITS] * 240), '"' + "[" * 1_000_000):
        started = time.perf_counter()
        _refusal(text)
        assert time.perf_counter() - started < 2.0, text[:20]


# -- one answer per kind of failure ----------------------------------------------------------------------------


def _event(method: str, resource: str, body: str | None = None) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "resource": resource,
        "path": resource,
        "body": body,
        "isBase64Encoded": False,
        "headers": {},
        "requestContext": {"authorizer": {"client_id": "acme", "role": "admin", "key_id": "k"}, "stage": "v1"},
    }


class _Context:
    def __init__(self, seconds: float = 30.0) -> None:
        self._ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends - time.monotonic()) * 1000)


FAILURES = [
    ReadTimeoutError(endpoint_url="https://dynamodb"),
    ConnectTimeoutError(endpoint_url="https://dynamodb"),
    EndpointConnectionError(endpoint_url="https://dynamodb"),
    ConnectionClosedError(endpoint_url="https://dynamodb"),
    DependencyTimeout(),
]


def _app(failure: Exception) -> Any:
    router = Router()

    @router.get("/fails")
    def fails() -> dict[str, Any]:
        raise failure

    @router.post("/body")
    def body() -> dict[str, Any]:
        return {"parsed": router.current_event.json_body is not None}

    return create_resolver(router)


def _direct(failure: Exception) -> DirectRoutes:
    def run(*_: Any) -> str:
        raise failure

    return DirectRoutes([DirectRoute("POST", "/direct", LeadInput, run)])


def _assert_dependency_timeout(answer: dict[str, Any]) -> None:
    assert answer["statusCode"] == 503
    headers = {**answer.get("headers", {}), **{k: v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()}}
    assert headers["Retry-After"] == str(DependencyTimeout.retry_after)
    body = json.loads(answer["body"])
    assert body["error"]["code"] == "DEPENDENCY_TIMEOUT" and body["error"]["message"] and body["error"]["details"] == []
    assert "dynamodb" not in answer["body"]  # nothing internal


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: type(f).__name__)
def test_a_dependency_that_does_not_answer_is_a_503_with_retry_after(
    settings_env: dict[str, str], failure: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[str] = []
    monkeypatch.setattr(errors.logger, "exception", logged.append)
    # Through the resolver's exception handler ...
    _assert_dependency_timeout(handle(_app(failure), DirectRoutes([]), _event("GET", "/fails"), _Context()))  # type: ignore[arg-type]
    # ... and through a direct route (the scoring hot path), the same answer.
    answer = handle(_app(failure), _direct(failure), _event("POST", "/direct", json.dumps(LEAD)), _Context())  # type: ignore[arg-type]
    _assert_dependency_timeout(answer)
    assert logged == []  # not a bug: no "Unhandled error"


def test_a_bug_is_still_a_logged_500(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(errors.logger, "exception", logged.append)
    answer = handle(_app(KeyError("x")), DirectRoutes([]), _event("GET", "/fails"), _Context())  # type: ignore[arg-type]
    assert answer["statusCode"] == 500 and json.loads(answer["body"])["error"]["code"] == "INTERNAL_ERROR"
    assert "Retry-After" not in answer.get("headers", {}) and logged == ["Unhandled error"]


@pytest.mark.parametrize(
    ("body", "refused"),
    [("[" * 10_000 + "]" * 10_000, "json_too_deep"), ('{"a": ' + "7" * (MAX_DIGITS + 1) + "}", "number_too_long")],
)
def test_every_body_is_bounded_before_the_resolver_or_a_direct_route_parses_it(
    settings_env: dict[str, str], body: str, refused: str
) -> None:
    def never(*_: Any) -> str:
        raise AssertionError("parsed")

    direct = DirectRoutes([DirectRoute("POST", "/body", LeadInput, never)])
    for event in (_event("POST", "/body", body), {**_event("POST", "/body", _b64(body)), "isBase64Encoded": True}):
        answer = handle(_app(KeyError("x")), direct, event, _Context())  # type: ignore[arg-type]
        assert answer["statusCode"] == 400, answer
        error = json.loads(answer["body"])["error"]
        assert error["code"] == "MALFORMED_REQUEST" and error["details"][0]["type"] == refused and error["message"]
    fine = handle(_app(KeyError("x")), DirectRoutes([]), _event("POST", "/body", '{"a": [[1]]}'), _Context())  # type: ignore[arg-type]
    assert fine["statusCode"] == 200


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


# -- the time limit on AWS calls -------------------------------------------------------------------------------


class _Request:
    def __init__(self) -> None:
        self.context: dict[str, Any] = {}


def test_an_attempt_reads_for_what_is_left_and_none_starts_after_the_limit(settings_env: dict[str, str]) -> None:
    request = _Request()
    aws._within_limit(request)
    assert "read_timeout" not in request.context  # no limit: botocore's own read timeout
    with aws.time_limit(2.0):
        aws._within_limit(request)
        assert 1.5 < request.context["read_timeout"] <= 2.0
    with aws.time_limit(60.0):
        aws._within_limit(request)
        assert request.context["read_timeout"] == aws.read_timeout()
        with aws.time_limit(0.0), pytest.raises(DependencyTimeout):  # the earlier of two limits holds
            aws._within_limit(request)
        aws._within_limit(request)
    with aws.time_limit(-1.0), pytest.raises(DependencyTimeout):
        aws._within_limit(request)


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status


def test_no_retry_waits_past_the_limit() -> None:
    timeout = ReadTimeoutError(endpoint_url="https://dynamodb")
    # Returning (rather than raising) leaves the retry to botocore.
    aws._retry_in_time(attempts=5, caught_exception=timeout)  # no limit: botocore decides
    with aws.time_limit(10.0):
        aws._retry_in_time(attempts=1, caught_exception=timeout)  # a wait of 1 s at most fits
        with pytest.raises(DependencyTimeout) as stopped:
            aws._retry_in_time(attempts=5, caught_exception=timeout)  # after the 5th attempt botocore may wait 16 s
        assert stopped.value.__cause__ is timeout
    with aws.time_limit(1.5):
        aws._retry_in_time(attempts=2, response=(_Http(200), {}))  # a success is never stopped
        aws._retry_in_time(attempts=2, response=(_Http(400), {"Error": {"Code": "ConditionalCheckFailedException"}}))
        with pytest.raises(DependencyTimeout):
            aws._retry_in_time(attempts=2, response=(_Http(500), {"Error": {"Code": "InternalServerError"}}))
        with pytest.raises(DependencyTimeout):
            aws._retry_in_time(attempts=2, response=(_Http(400), {"Error": {"Code": "ProvisionedThroughputExceededException"}}))


def test_a_handler_keeps_time_to_answer_from_what_lambda_gives_it(settings_env: dict[str, str]) -> None:
    request = _Request()
    with aws.lambda_time_limit(_Context(30.0)):
        aws._within_limit(request)  # 30 s less the time to answer: a full read fits
        assert request.context["read_timeout"] == aws.read_timeout()
    with aws.lambda_time_limit(_Context(aws.ANSWER_SECONDS + 0.5)):
        aws._within_limit(request)
        assert request.context["read_timeout"] <= 0.5
    with aws.lambda_time_limit(_Context(aws.ANSWER_SECONDS)), pytest.raises(DependencyTimeout):
        aws._within_limit(request)
    with aws.lambda_time_limit(object()):  # a context that does not say: no limit
        assert aws._DEADLINE.get() is None


def test_every_handle_keeps_to_the_limit(settings_env: dict[str, str]) -> None:
    """Each boto3 handle data/aws.py makes runs the two hooks (botocore emits them for every attempt)."""
    aws.reset()
    try:
        handles = [aws.dynamodb().meta.client, aws.dynamodb_client(), aws.dynamodb_bulk_client(), aws.s3(), aws.stepfunctions()]
        for client in [*handles, aws.secretsmanager()]:
            service = client.meta.service_model.service_id.hyphenize()
            client.meta.events.emit(f"before-send.{service}.Any", request=_Request())  # no limit: nothing happens
            with aws.time_limit(-1.0):
                with pytest.raises(DependencyTimeout):
                    client.meta.events.emit(f"before-send.{service}.Any", request=_Request())
                with pytest.raises(DependencyTimeout):
                    client.meta.events.emit(
                        f"needs-retry.{service}.Any", response=None, endpoint=None, operation=None, attempts=1,
                        caught_exception=ReadTimeoutError(endpoint_url="x"), request_dict={"context": {}},
                    )  # fmt: skip
    finally:
        aws.reset()
