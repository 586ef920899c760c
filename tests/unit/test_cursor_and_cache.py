import pytest

from leadscoring.domain.cursor import decode_cursor, encode_cursor
from leadscoring.domain.errors import MalformedRequest
from leadscoring.inference.model_cache import TtlCache

KEY = {"client_id": "acme", "id": "l1", "score": 42.5}
QUERY = {"client": "acme", "min_score": 10}


def test_cursor_round_trip():
    cursor = encode_cursor(KEY, QUERY)
    assert decode_cursor(cursor, "acme", QUERY) == {"client_id": "acme", "id": "l1", "score": pytest.approx(42.5)}
    assert encode_cursor(None, QUERY) is None and decode_cursor(None, "acme", QUERY) is None


@pytest.mark.parametrize(("client", "query"), [("other", QUERY), ("acme", {"client": "acme", "min_score": 20})])
def test_cursor_refused_for_another_tenant_or_query(client, query):
    with pytest.raises(MalformedRequest):
        decode_cursor(encode_cursor(KEY, QUERY), client, query)


@pytest.mark.parametrize("garbage", ["!!!", "bm90IGpzb24", "W10"])
def test_garbage_cursor_is_a_clean_400(garbage):
    with pytest.raises(MalformedRequest):
        decode_cursor(garbage, "acme", QUERY)


def test_ttl_cache_rereads_after_expiry():
    now = [0.0]
    loads = []
    cache: TtlCache[int] = TtlCache(5, clock=lambda: now[0])

    def load():
        loads.append(1)
        return len(loads)

    assert cache.get("k", load) == 1
    now[0] = 4.9
    assert cache.get("k", load) == 1
    now[0] = 5.0
    assert cache.get("k", load) == 2
    assert TtlCache(0).get("k", load) == 3
