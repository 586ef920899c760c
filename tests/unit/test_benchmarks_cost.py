"""The cost benchmark's pricing rules: DynamoDB item sizes and units against values worked out by hand from the
developer guide's rules, index and transaction multipliers, rounding, and the pricing of a window."""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from benchmarks.aws_meter import DynamoDBCosting, Invocation, Request, Window
from benchmarks.aws_prices import PRICES, cost
from benchmarks.cost import billed_ms, gb_seconds, price_window, s3_tier, transitions
from benchmarks.dynamodb_capacity import (
    IndexModel,
    TableModel,
    failed_write,
    index_writes,
    item_reads,
    item_size,
    item_write,
    number_size,
    range_read,
    read_units,
    write_units,
)
from leadscoring.resources import LEADS


def s(text: str) -> dict[str, Any]:
    return {"S": text}


# -- item sizes ------------------------------------------------------------------------------------


def test_strings_count_their_utf8_bytes_and_their_names() -> None:
    assert item_size({"id": s("lead-1")}) == 2 + 6
    assert item_size({"name": s("Zoë")}) == 4 + 4  # ë is two bytes in UTF-8


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("12345", 4),  # 5 significant digits: 3 bytes, + 1
        ("0.001", 2),  # leading zeroes trimmed: 1 digit
        ("100", 2),  # trailing zeroes trimmed: 1 digit
        ("-7.5", 2),  # 2 digits
        ("0", 1),
        ("1234567890123456789012345678901234567", 20),  # 37 digits: 19 bytes, + 1
    ],
)
def test_numbers_take_a_byte_per_two_significant_digits_plus_one(text: str, size: int) -> None:
    assert number_size(text) == size
    assert item_size({"n": {"N": text}}) == 1 + size


def test_maps_and_lists_take_three_bytes_and_one_per_element() -> None:
    # "m" (1) + map overhead (3) + element "a": name 1 + BOOL 1 + overhead 1 + element "bb": name 2 + NULL 1 + overhead 1
    assert item_size({"m": {"M": {"a": {"BOOL": True}, "bb": {"NULL": True}}}}) == 1 + 3 + 3 + 4
    # "l" (1) + list overhead (3) + "xy" (2 + 1) + 42 (2 + 1)
    assert item_size({"l": {"L": [s("xy"), {"N": "42"}]}}) == 1 + 3 + 3 + 3
    assert item_size({"e": {"M": {}}}) == 1 + 3


def test_binaries_count_their_raw_bytes_and_sets_their_elements() -> None:
    assert item_size({"b": {"B": base64.b64encode(b"abcd").decode()}}) == 1 + 4
    assert item_size({"ss": {"SS": ["a", "bc"]}}) == 2 + 3
    assert item_size({"ns": {"NS": ["1", "12345"]}}) == 2 + 2 + 4


# -- units and rounding ----------------------------------------------------------------------------


def test_writes_round_up_per_kilobyte_and_reads_per_four() -> None:
    assert [write_units(n) for n in (0, 1, 1024, 1025, 3000)] == [1, 1, 1, 2, 3]
    assert read_units(4096, consistent=True) == 1
    assert read_units(4097, consistent=True) == 2
    assert read_units(4097, consistent=False) == 1.0
    assert read_units(0, consistent=False) == 0.5  # a read that finds nothing still costs the minimum


def test_single_items_round_on_their_own_and_ranges_once() -> None:
    assert item_reads("t", [3000, 3000, None], consistent=False) == {("t", None): 1.5}
    assert item_reads("t", [3000], consistent=True, transactional=True) == {("t", None): 2.0}
    assert range_read("t", None, [3000, 3000], consistent=True) == {("t", None): 2.0}  # 6000 bytes: 2 units
    assert range_read("t", None, [3000, 3000], consistent=False) == {("t", None): 1.0}
    assert range_read("t", "by_a", [3000, 3000], consistent=True) == {("t", "by_a"): 1.0}  # an index is never consistent
    assert range_read("t", None, [], consistent=False) == {("t", None): 0.5}


# -- indexes and transactions ----------------------------------------------------------------------

TABLE = TableModel(
    "t",
    ("pk", "sk"),
    (
        IndexModel("by_a", ("pk", "a")),
        IndexModel("by_b", ("b",), "KEYS_ONLY"),
        IndexModel("by_c", ("c",), "INCLUDE", ("x",)),
    ),
)
BASE = {"pk": s("p"), "sk": s("s"), "a": s("1"), "x": s("xxxx"), "y": s("yyy")}  # 3 + 3 + 2 + 5 + 4 = 17 bytes
BIG = "z" * 1500


def changed(item: dict[str, Any], **values: str) -> dict[str, Any]:
    return {**item, **{name: s(value) for name, value in values.items()}}


def test_a_new_item_is_written_into_each_index_whose_keys_it_carries() -> None:
    assert item_size(BASE) == 17
    assert item_write(TABLE, None, BASE) == {("t", None): 1, ("t", "by_a"): 1}


def test_changing_an_index_key_is_a_delete_and_a_put_in_that_index() -> None:
    assert index_writes(TABLE, TABLE.indexes[0], BASE, changed(BASE, a="2")) == [1, 1]
    assert item_write(TABLE, BASE, changed(BASE, a="2")) == {("t", None): 1, ("t", "by_a"): 2}


def test_changing_a_projected_attribute_is_one_index_write_and_an_unprojected_one_none() -> None:
    with_b = changed(BASE, b="k")
    assert index_writes(TABLE, TABLE.indexes[0], BASE, changed(BASE, y="other")) == [1]  # ALL projects y
    assert index_writes(TABLE, TABLE.indexes[1], with_b, changed(with_b, y="other")) == []  # KEYS_ONLY does not
    with_c = changed(BASE, c="k")
    assert index_writes(TABLE, TABLE.indexes[2], with_c, changed(with_c, x="other")) == [1]  # INCLUDE x
    assert index_writes(TABLE, TABLE.indexes[2], with_c, changed(with_c, y="other")) == []


def test_an_identical_put_writes_the_table_but_no_index_and_a_delete_removes_from_each() -> None:
    assert item_write(TABLE, BASE, dict(BASE)) == {("t", None): 1}
    assert item_write(TABLE, BASE, None) == {("t", None): 1, ("t", "by_a"): 1}
    # Numbers compare as numbers: 1.50 and 1.5 are the same value.
    assert item_write(TABLE, {**BASE, "n": {"N": "1.50"}}, {**BASE, "n": {"N": "1.5"}}) == {("t", None): 1}


def test_index_entries_are_sized_by_their_projection() -> None:
    big = changed(BASE, b="k", y=BIG)  # 1500-byte attribute: the whole item is 2 KB
    assert item_write(TABLE, None, big) == {("t", None): 2, ("t", "by_a"): 2, ("t", "by_b"): 1}


def test_writes_cost_the_larger_of_before_and_after() -> None:
    big = changed(BASE, y=BIG)
    assert item_write(TABLE, big, BASE)[("t", None)] == 2
    assert item_write(TABLE, BASE, big)[("t", None)] == 2


def test_transactions_count_the_table_write_twice_and_index_writes_once() -> None:
    assert item_write(TABLE, None, BASE, transactional=True) == {("t", None): 2, ("t", "by_a"): 1}


def test_a_failed_condition_costs_the_existing_item_or_one_unit() -> None:
    assert failed_write(TABLE, changed(BASE, y=BIG)) == {("t", None): 2.0}
    assert failed_write(TABLE, None) == {("t", None): 1.0}


def test_index_projections_are_read_from_the_resource_spec_when_it_has_them() -> None:
    assert {i.projection for i in TableModel.from_spec(LEADS).indexes} <= {"ALL", "KEYS_ONLY", "INCLUDE"}
    key = SimpleNamespace(name="pk", type="S")
    spec = SimpleNamespace(
        local_name="x",
        partition=key,
        sort=None,
        indexes=(
            SimpleNamespace(name="plain", partition=SimpleNamespace(name="a"), sort=None),
            SimpleNamespace(name="keys", partition=SimpleNamespace(name="b"), sort=None, projection="keys_only"),
            SimpleNamespace(name="some", partition=SimpleNamespace(name="c"), sort=None, projection="INCLUDE", include=("x",)),
        ),
    )
    model = TableModel.from_spec(spec)
    assert model.keys == ("pk",)
    assert [(i.projection, i.include) for i in model.indexes] == [("ALL", ()), ("KEYS_ONLY", ()), ("INCLUDE", ("x",))]


# -- requests, as the meter prices them ------------------------------------------------------------


class FakeDynamoDB:
    """The low-level reads the meter makes, over a dict of stored items."""

    def __init__(self, tables: list[TableModel]) -> None:
        self.models = {t.name: t for t in tables}
        self.items: dict[str, dict[str, dict[str, Any]]] = {t.name: {} for t in tables}
        self.query_answer: list[dict[str, Any]] = []

    def _key(self, table: str, key: dict[str, Any]) -> str:
        return json.dumps(self.models[table].key(key), sort_keys=True)

    def put(self, table: str, item: dict[str, Any]) -> None:
        self.items[table][self._key(table, item)] = item

    def get_item(self, TableName: str, Key: dict[str, Any], ConsistentRead: bool) -> dict[str, Any]:
        found = self.items[TableName].get(self._key(TableName, Key))
        return {"Item": found} if found else {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        responses = {
            table: [i for k in spec["Keys"] if (i := self.items[table].get(self._key(table, k)))] for table, spec in RequestItems.items()
        }
        return {"Responses": responses}

    def query(self, **params: Any) -> dict[str, Any]:
        self.last_query = params
        return {"Items": self.query_answer}


OTHER = TableModel("u", ("id",))


def priced(costing: DynamoDBCosting, operation: str, body: dict[str, Any], error: str | None = None, parsed: Any = None) -> Request:
    request = Request("dynamodb", operation, None, None, body=body)
    request.state = costing.before(operation, body)
    request.error = error
    costing.after(request, parsed or {})
    return request


@pytest.fixture
def store() -> tuple[FakeDynamoDB, DynamoDBCosting]:
    fake = FakeDynamoDB([TABLE, OTHER])
    return fake, DynamoDBCosting([TABLE, OTHER], fake)


def test_a_put_that_replaces_a_bigger_item_costs_the_bigger_one(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    fake, costing = store
    fake.put("t", changed(BASE, y=BIG))
    request = priced(costing, "PutItem", {"TableName": "t", "Item": BASE})
    assert request.write == {("t", None): 2, ("t", "by_a"): 1}
    assert request.written == [("t", 17)]


def test_an_update_is_priced_from_the_item_before_and_after(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    fake, costing = store
    fake.put("t", BASE)
    body = {"TableName": "t", "Key": {"pk": s("p"), "sk": s("s")}, "UpdateExpression": "SET a = :a"}
    request = Request("dynamodb", "UpdateItem", None, None, body=body)
    request.state = costing.before("UpdateItem", body)
    fake.put("t", changed(BASE, a="2"))  # what the update did
    costing.after(request, {})
    assert request.write == {("t", None): 1, ("t", "by_a"): 2}


def test_a_refused_condition_costs_the_stored_item_and_no_index(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    fake, costing = store
    fake.put("t", changed(BASE, y=BIG))
    request = priced(costing, "PutItem", {"TableName": "t", "Item": BASE}, error="ConditionalCheckFailedException")
    assert request.write == {("t", None): 2.0}
    assert request.written == []


def test_a_transaction_doubles_each_table_write(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    _, costing = store
    body = {"TransactItems": [{"Put": {"TableName": "t", "Item": BASE}}, {"Put": {"TableName": "u", "Item": {"id": s("1")}}}]}
    assert priced(costing, "TransactWriteItems", body).write == {("t", None): 2, ("t", "by_a"): 1, ("u", None): 2}
    cancelled = priced(costing, "TransactWriteItems", body, error="TransactionCanceledException")
    assert cancelled.write == {("t", None): 1.0, ("u", None): 1.0}


def test_a_batch_write_prices_each_item_and_skips_the_unprocessed(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    _, costing = store
    first, second = {"PutRequest": {"Item": BASE}}, {"PutRequest": {"Item": changed(BASE, sk="other", y=BIG)}}
    request = priced(costing, "BatchWriteItem", {"RequestItems": {"t": [first, second]}}, parsed={"UnprocessedItems": {"t": [second]}})
    assert request.write == {("t", None): 1, ("t", "by_a"): 1}


def test_reads_cost_the_whole_item_and_index_queries_their_entries(store: tuple[FakeDynamoDB, DynamoDBCosting]) -> None:
    fake, costing = store
    fake.put("t", changed(BASE, b="k", y="z" * 5000))  # 5016 bytes: two 4 KB units
    key = {"pk": s("p"), "sk": s("s")}
    projected = {"TableName": "t", "Key": key, "ProjectionExpression": "pk"}
    assert priced(costing, "GetItem", projected).read == {("t", None): 1.0}  # eventually consistent: half of 2
    # A KEYS_ONLY index entry is small whatever the item holds; the query is read again without its filter.
    fake.query_answer = [{"pk": s("p"), "sk": s("s"), "b": s("k")}]
    body = {
        "TableName": "t",
        "IndexName": "by_b",
        "KeyConditionExpression": "#b = :b",
        "FilterExpression": "#y = :y",
        "ExpressionAttributeNames": {"#b": "b", "#y": "y"},
        "ExpressionAttributeValues": {":b": s("k"), ":y": s("nope")},
    }
    request = priced(costing, "Query", body, parsed={"ScannedCount": 1})
    assert request.read == {("t", "by_b"): 0.5}
    assert "FilterExpression" not in fake.last_query and fake.last_query["ExpressionAttributeNames"] == {"#b": "b"}
    assert not request.scanned_mismatch


# -- prices and the window's pricing ---------------------------------------------------------------


def test_every_price_names_its_source_and_when_it_was_read() -> None:
    for name, price in PRICES.items():
        assert "https://" in price.source, name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price.read_on), name
        assert price.usd > 0 and price.per > 0, name
    assert cost("dynamodb_write_request_unit", 2e6) == pytest.approx(2 * PRICES["dynamodb_write_request_unit"].usd)


def test_lambda_duration_is_billed_per_started_millisecond() -> None:
    assert [billed_ms(d) for d in (0.2, 1.0, 10.01)] == [1, 1, 11]
    assert gb_seconds(10.01, 1024) == pytest.approx(0.011)
    assert gb_seconds(1.5, 512) == pytest.approx(0.001)


def test_transitions_are_states_entered_plus_task_retries() -> None:
    kinds = [
        "ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded",
        "TaskStateExited", "TaskStateEntered", "TaskScheduled", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    assert transitions({"type": k} for k in kinds) == 3 + 1


def test_s3_requests_fall_in_their_price_tier() -> None:
    assert [s3_tier(op) for op in ("PutObject", "ListObjectsV2", "CopyObject", "GetObject", "HeadObject", "DeleteObject")] == [
        "s3_tier1_request", "s3_tier1_request", "s3_tier1_request", "s3_tier2_request", "s3_tier2_request", None,
    ]  # fmt: skip


def test_a_window_is_priced_with_the_authorizers_cached_calls_left_out() -> None:
    window = Window("w")
    first, cached = Invocation("authorizer", 512, duration_ms=5.0), Invocation("authorizer", 512, duration_ms=5.0)
    score = Invocation("score", 1024, duration_ms=10.2, log_bytes=100)
    window.invocations += [first, cached, score]
    write = Request("dynamodb", "PutItem", "score", score, write={("t", None): 2.0, ("t", "by_a"): 1.0})
    key_read = Request("dynamodb", "GetItem", "authorizer", first, read={("keys", None): 0.5})
    cached_read = Request("dynamodb", "GetItem", "authorizer", cached, read={("keys", None): 1000.0})  # never billed
    uploads = [Request("s3", "PutObject", "client", None), Request("s3", "GetObject", "score", score)]
    window.requests += [write, key_read, cached_read, *uploads]
    window.count("api_requests", 2)

    figures = price_window(window, 1)

    expected = {
        "dynamodb": cost("dynamodb_write_request_unit", 3) + cost("dynamodb_read_request_unit", 0.5),
        "lambda": cost("lambda_request", 2) + cost("lambda_gb_second_x86", 5 / 1000 * 0.5 + 11 / 1000),
        "s3": cost("s3_tier1_request", 1) + cost("s3_tier2_request", 1),
        "cloudwatch_logs": cost("cloudwatch_logs_ingested_gb", (100 + 2 * 300) / 2**30),
    }
    for name, usd in expected.items():
        assert figures["breakdown"][name] == pytest.approx(usd * 1e6, abs=1e-4), name
    assert figures["usd_per_million"] == pytest.approx(sum(expected.values()) * 1e6, abs=1e-3)
    assert figures["beside"]["api_gateway_rest_requests"] == pytest.approx(cost("api_gateway_rest_request", 2) * 1e6)
    assert figures["authorizer"] == {"calls": 2, "billed": 1, "cached": 1}
    assert figures["dynamodb"]["by_table_index"]["t/by_a"]["write_units_per_unit"] == 1.0
    assert figures["lambda"]["by_function"]["score"]["billed_ms_p50"] == 11
