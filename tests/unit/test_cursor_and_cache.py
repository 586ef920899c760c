import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from leadscoring.domain.cursor import TAG_BYTES, decode_cursor, encode_cursor, query_fingerprint
from leadscoring.domain.errors import InvalidCursor, MalformedRequest
from leadscoring.inference.model_cache import TtlCache

KEY = {"client_id": "acme", "id": "l1", "score": 42.5}
QUERY = {"client": "acme", "min_score": 10}


@pytest.fixture(autouse=True)
def _cursor_key(settings_env: dict[str, str]) -> None:
    """Cursors are signed with the environment's CURSOR_KEY."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unsigned(body: dict[str, Any]) -> str:
    """A cursor as they were before they were signed: base64url JSON alone."""
    return _b64(json.dumps(body).encode())


def test_cursor_round_trip() -> None:
    cursor = encode_cursor(KEY, QUERY)
    assert decode_cursor(cursor, "acme", QUERY) == {"client_id": "acme", "id": "l1", "score": pytest.approx(42.5)}
    assert encode_cursor(None, QUERY) is None and decode_cursor(None, "acme", QUERY) is None


@pytest.mark.parametrize(("client", "query"), [("other", QUERY), ("acme", {"client": "acme", "min_score": 20})])
def test_cursor_refused_for_another_tenant_or_query(client: str, query: dict[str, Any]) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(KEY, QUERY), client, query)


@pytest.mark.parametrize("garbage", ["!!!", "bm90IGpzb24", "W10", ".", "a.b", "W10.W10", "\u00e9.\u00e9", "a" * 2000])
def test_garbage_cursor_is_a_clean_400(garbage: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        decode_cursor(garbage, "acme", QUERY)
    assert isinstance(refused.value, MalformedRequest) and refused.value.status == 400 and refused.value.code == "INVALID_CURSOR"


@pytest.mark.parametrize(
    "key",
    [
        {"client_id": "acme", "id": 5, "score": 42.5},  # wrongly typed key fields: DynamoDB would refuse them (a 500)
        {"client_id": "acme", "id": "l1", "score": {"M": {}}},
        {"client_id": "acme"},
        {"client_id": "acme", "id": "l1", "score": 42.5, "extra": "x"},
    ],
)
def test_a_start_key_made_up_with_the_right_tenant_and_query_is_refused(key: dict[str, Any]) -> None:
    """What the cursor of issue 18 did: the right tenant and fingerprint around a key this API never issued."""
    with pytest.raises(InvalidCursor):
        decode_cursor(_unsigned({"q": query_fingerprint(QUERY), "k": key}), "acme", QUERY)
    with pytest.raises(InvalidCursor):  # nor does a tag made with another key pass
        payload = json.dumps({"q": query_fingerprint(QUERY), "k": key}, sort_keys=True).encode()
        tag = hmac.new(b"x" * 32, b"leadscoring pagination cursor v1\n" + payload, hashlib.sha256).digest()[:TAG_BYTES]
        decode_cursor(f"{_b64(payload)}.{_b64(tag)}", "acme", QUERY)


def test_any_change_to_a_cursor_is_refused() -> None:
    cursor = encode_cursor(KEY, QUERY)
    assert cursor is not None
    payload, tag = cursor.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["k"]["id"] = "l2"
    altered = [
        f"{_b64(json.dumps(body, sort_keys=True).encode())}.{tag}",  # another start key, the old tag
        f"{payload}.{tag[:-1]}{'A' if tag[-1] != 'A' else 'B'}",  # the tag changed
        f"{payload}.",  # no tag
        payload,
        f"{payload}={'.'}{tag}",  # padded: not how the API writes them
        f"{payload}.{tag}.{tag}",
        cursor + " ",
    ]
    for text in altered:
        with pytest.raises(InvalidCursor):
            decode_cursor(text, "acme", QUERY)
    assert decode_cursor(cursor, "acme", QUERY) is not None


def test_cursors_are_signed_with_the_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadscoring.services import wiring

    cursor = encode_cursor(KEY, QUERY)
    monkeypatch.setenv("CURSOR_KEY", "k" * 32)
    wiring.reset()
    with pytest.raises(InvalidCursor):  # another deployment's, or one from before the key was replaced
        decode_cursor(cursor, "acme", QUERY)
    assert decode_cursor(encode_cursor(KEY, QUERY), "acme", QUERY) is not None


@pytest.mark.parametrize(
    ("cursor_key", "secret_arn", "problem"),
    [(None, None, "exactly one of CURSOR_KEY"), ("short", None, "at least 32"), ("k" * 32, "arn:secret", "exactly one of CURSOR_KEY")],
)
def test_settings_need_one_cursor_key_source(
    settings_env: dict[str, str], cursor_key: str | None, secret_arn: str | None, problem: str
) -> None:
    from pydantic import ValidationError

    from leadscoring.settings import Settings

    values = {k: v for k, v in settings_env.items() if k != "CURSOR_KEY"}
    chosen = {"CURSOR_KEY": cursor_key, "CURSOR_KEY_SECRET_ARN": secret_arn}
    with pytest.raises(ValidationError, match=problem):
        Settings.model_validate({**values, **{k: v for k, v in chosen.items() if v is not None}})
    assert Settings.model_validate({**values, "CURSOR_KEY_SECRET_ARN": "arn:secret"}).cursor_key is None  # as deployed


def test_ttl_cache_rereads_after_expiry() -> None:
    now = [0.0]
    loads: list[int] = []
    cache: TtlCache[int] = TtlCache(5, clock=lambda: now[0])

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert cache.get("k", load) == 1
    now[0] = 4.9
    assert cache.get("k", load) == 1
    now[0] = 5.0
    assert cache.get("k", load) == 2
    assert TtlCache[int](0).get("k", load) == 3
