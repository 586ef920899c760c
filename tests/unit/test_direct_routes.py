"""Direct routes (api/direct.py): what they take, they parse exactly as the resolver would; the rest they leave to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from leadscoring import API_PREFIX
from leadscoring.api import errors
from leadscoring.api.direct import DirectRoute, DirectRoutes
from leadscoring.api.routers.leads import SCORE_DIRECT
from leadscoring.demo_data import generate
from leadscoring.domain.errors import Conflict
from leadscoring.routes import find
from leadscoring.schemas.lead import LeadInput, ScoreRequest

VALID = json.dumps(generate(1, seed=5)[0].lead)


def _edited(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


# Bodies near the edges of JSON and of the schema, each beside valid demo leads.
TRICKY = [
    '{"email": "a@example.com", "email": "b@example.com", "name": "Twice", "source": "webinar"}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"email_open_rate": NaN}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"email_open_rate": Infinity}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"email_open_rate": 1e400}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": ' + "9" * 30 + "}}}",
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": "12"}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": true}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": -0}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"email_open_rate": 5E-1}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"behavioral": {"page_views": 12.0}}}',
    '{"email": "a@example.com", "name": "\\ud800", "source": "webinar"}',
    '{"email": "a@example.com", "name": "Z\\u00e9 \\"Q\\"", "source": "webinar"}',
    '{"email": " A@Example.COM ", "name": "N", "source": "webinar"}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "phone": null, "company": null}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "surprise": 1}',
    '{"email": "a@example.com", "name": "N", "source": "webinar"} trailing',
    '\ufeff{"email": "a@example.com", "name": "N", "source": "webinar"}',
    '  \n{"email": "a@example.com", "name": "N", "source": "webinar"}\n  ',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"firmographic": {"company_size": [1]}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"firmographic": {"industry": 7}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {"unknown_family": {"x": 1}}}',
    '{"email": "a@example.com", "name": "N", "source": "webinar", "attributes": {}}',
    '{"email": "a@example.com", "name": "", "source": "webinar"}',
    '{"email": 5, "name": "N", "source": "webinar"}',
    '[{"email": "a@example.com", "name": "N", "source": "webinar"}]',
    '"{}"',
    "null",
    "",
    _edited('"source": "', '"source": "  '),
    _edited('"name": "', '"name": "\\t'),
    _edited('{"email"', '{"event_id": "crm-event-1", "email"'),
    _edited('{"email"', '{"event_id": "  crm-event-2 ", "email"'),
    _edited('{"email"', '{"event_id": "", "email"'),
    _edited('{"email"', '{"event_id": null, "email"'),
    _edited('{"email"', '{"event_id": 17, "email"'),
    _edited('{"email"', '{"event_id": "' + "e" * 201 + '", "email"'),
]


def _resolver_parse(text: str) -> ScoreRequest:
    """What the resolver's route gets: Powertools parses the body with json.loads, then validates the dict."""
    return ScoreRequest.model_validate(json.loads(text))


@pytest.mark.parametrize("text", [json.dumps(d.lead) for d in generate(40, seed=11)] + TRICKY)
def test_a_body_the_direct_route_takes_is_the_lead_the_resolver_would_take(text: str) -> None:
    assert SCORE_DIRECT.body is ScoreRequest
    try:
        direct = ScoreRequest.model_validate_json(text)
    except ValidationError:
        return  # the resolver answers it, with its own error
    resolver = _resolver_parse(text)
    assert direct == resolver
    assert direct.model_dump_json() == resolver.model_dump_json()


def test_the_battery_has_bodies_on_both_sides() -> None:
    taken = refused = 0
    for text in TRICKY:
        try:
            ScoreRequest.model_validate_json(text)
            taken += 1
        except ValidationError:
            refused += 1
    assert taken >= 5 and refused >= 10, (taken, refused)


def test_the_score_direct_route_is_post_score_of_the_score_function() -> None:
    assert SCORE_DIRECT.path.startswith(API_PREFIX)
    route = find(SCORE_DIRECT.method, SCORE_DIRECT.path)
    assert route is not None and route.function == "score" and route.path == "/score"


def test_a_score_request_is_its_lead_and_an_optional_event_id() -> None:
    body = json.loads(VALID)
    request = ScoreRequest.model_validate({**body, "event_id": "crm-7"})
    assert request.event_id == "crm-7"
    lead = request.lead()
    assert type(lead) is LeadInput and lead == LeadInput.model_validate(body)
    assert lead.model_dump(mode="json") == LeadInput.model_validate(body).model_dump(mode="json")
    assert lead.model_fields_set == LeadInput.model_validate(body).model_fields_set
    assert ScoreRequest.model_validate(body).event_id is None


def _event(body: str | None, *, method: str = "POST", resource: str = "/r", encoded: bool = False) -> dict[str, Any]:
    return {"httpMethod": method, "resource": resource, "body": body, "isBase64Encoded": encoded}


def _routes(run: Any) -> DirectRoutes:
    return DirectRoutes([DirectRoute("POST", "/r", LeadInput, run)])


def test_a_valid_body_is_answered_with_what_the_route_returns() -> None:
    seen: list[LeadInput] = []

    def run(event: dict[str, Any], lead: LeadInput, context: Any) -> str:
        seen.append(lead)
        return '{"ok": true}'

    answer = _routes(run).answer(_event(VALID), None)  # type: ignore[arg-type]
    assert answer == {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}
    assert seen == [LeadInput.model_validate(json.loads(VALID))]


@pytest.mark.parametrize(
    "event",
    [
        _event('{"email": "not an email", "name": "N", "source": "webinar"}'),
        _event("{not json"),
        _event(""),
        _event(None),
        _event(VALID, encoded=True),
        _event(VALID, method="PUT"),
        _event(VALID, resource="/other"),
    ],
)
def test_anything_else_is_left_to_the_resolver(event: dict[str, Any]) -> None:
    def run(*_: Any) -> str:
        raise AssertionError("not this route's request")

    assert _routes(run).answer(event, None) is None  # type: ignore[arg-type]


def test_a_domain_error_is_the_api_error_and_anything_else_a_logged_500(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(errors.logger, "exception", logged.append)

    def conflict(*_: Any) -> str:
        raise Conflict("taken", [{"field": "x", "message": "m"}])

    answer = _routes(conflict).answer(_event(VALID), None)  # type: ignore[arg-type]
    assert answer is not None and answer["statusCode"] == 409
    assert json.loads(answer["body"]) == {"error": {"code": "CONFLICT", "message": "taken", "details": [{"field": "x", "message": "m"}]}}

    def bug(*_: Any) -> str:
        raise KeyError("secret detail")

    answer = _routes(bug).answer(_event(VALID), None)  # type: ignore[arg-type]
    assert answer is not None and answer["statusCode"] == 500
    assert json.loads(answer["body"])["error"]["code"] == "INTERNAL_ERROR"
    assert "secret detail" not in answer["body"]
    assert logged == ["Unhandled error"]  # logged with its traceback and the correlation id, as the resolver logs it
