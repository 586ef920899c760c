"""The local stack's moto patches give what moto itself gives: each is compared with moto's own code on the same input."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Iterator
from typing import Any, Literal

import boto3
import pytest
from moto import mock_aws
from moto.core.parse import BaseJSONParser, JSONParser
from moto.core.serialize import BaseJSONSerializer, JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local_stack import moto_items, moto_queries, moto_serialization, moto_transactions

# Every kind of attribute value, nested, with the edge cases: empty string, empty map and list, NULL, false, a key
# with a dot, binaries and binary sets.
ITEM: dict[str, Any] = {
    "client_id": {"S": "acme"},
    "id": {"S": "l1"},
    "empty": {"S": ""},
    "score": {"N": "42.50"},
    "qualified": {"BOOL": False},
    "model_id": {"NULL": True},
    "tags": {"SS": ["b", "a"]},
    "sizes": {"NS": ["1", "2.5"]},
    "blob": {"B": "aGVsbG8="},
    "blobs": {"BS": ["aGk=", "eW91"]},
    "attributes": {
        "M": {
            "behavioral": {"M": {"page_views": {"N": "3"}, "none": {"NULL": True}, "dot.ted": {"S": "x"}}},
            "nothing": {"M": {}},
        }
    },
    "explanation": {"L": [{"M": {"feature": {"S": "page_views"}, "value": {"N": "1"}}}, {"L": [{"S": "x"}, {"BOOL": True}]}, {"L": []}]},
}


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_serialization.install()
    moto_items.install()
    moto_queries.install()
    moto_transactions.install()


# -- moto_serialization ---------------------------------------------------------------------------------------------


def _serialized(service: str, operation: str, result: Any) -> Any:
    serializer = JSONSerializer(
        operation_model=get_service_model(service).operation_model(operation),
        value_picker=XFormedAttributePicker(response_transformers={}),
    )
    return serializer.serialize(result)


RESPONSES = [
    ("dynamodb", "GetItem", {"Item": ITEM}),
    ("dynamodb", "BatchGetItem", {"Responses": {"t": [ITEM, {"client_id": {"S": "b"}}]}, "UnprocessedKeys": {}}),
    ("dynamodb", "Query", {"Items": [ITEM], "Count": 1, "ScannedCount": 1, "LastEvaluatedKey": {"client_id": {"S": "acme"}}}),
    ("dynamodb", "GetItem", {"Item": {"odd": {"S": "a", "X": "not a member"}, "map": {"M": {"none": None}}}}),
    (
        "dynamodbstreams",
        "GetRecords",
        {
            "Records": [
                {
                    "eventID": "1",
                    "eventName": "MODIFY",
                    "dynamodb": {
                        "Keys": {"client_id": {"S": "acme"}},
                        "NewImage": ITEM,
                        "OldImage": {**ITEM, "score": {"N": "7"}},
                        "SequenceNumber": "5",
                        "SizeBytes": 1,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                        "ApproximateCreationDateTime": datetime.datetime(2026, 1, 1, 12, 0, 0),
                    },
                }
            ],
            "NextShardIterator": "next",
        },
    ),
]


@pytest.mark.parametrize(("service", "operation", "result"), RESPONSES)
def test_a_response_is_written_as_moto_writes_it(service: str, operation: str, result: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    patched = _serialized(service, operation, copy.deepcopy(result))
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", moto_serialization._original_structure)
    assert patched == _serialized(service, operation, copy.deepcopy(result))


def _parsed(operation: str, body: Any) -> Any:
    parser = JSONParser(get_service_model("dynamodb").operation_model(operation), map_type=dict)
    request = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(body).encode(), "url_path": "/", "url_params": {}}
    return parser.parse(request)  # type: ignore[arg-type]


REQUESTS = [
    ("PutItem", {"TableName": "t", "Item": ITEM, "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": ITEM, "ConditionExpression": "attribute_not_exists(id)"}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"client_id": {"S": "a"}},
                        "UpdateExpression": "SET x = :x",
                        "ExpressionAttributeValues": {":x": {"L": [None, {"S": "a"}]}},
                    }
                },
            ]
        },
    ),
    ("BatchGetItem", {"RequestItems": {"t": {"Keys": [{"client_id": {"S": "a"}, "id": {"S": "b"}}]}}}),
    ("PutItem", {"TableName": "t", "Item": {"odd": {"S": "a", "Q": 1}, "map": {"M": {"none": None}}, "weird": {"SS": "ab"}}}),
]


@pytest.mark.parametrize(("operation", "body"), REQUESTS)
def test_a_request_is_read_as_moto_reads_it(operation: str, body: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    patched = _parsed(operation, body)
    monkeypatch.setattr(BaseJSONParser, "_parse_structure", moto_serialization._original_parse_structure)
    assert patched == _parsed(operation, body)


# -- moto_items -----------------------------------------------------------------------------------------------------


def _moto_item(attrs: dict[str, Any]) -> Item:
    item = Item.__new__(Item)
    assert isinstance(item, Item)  # moto's BaseModel.__new__ is typed as returning a BaseModel
    moto_items._original_item_init(item, DynamoType(attrs["client_id"]), DynamoType(attrs["id"]), attrs)
    return item


def _regular_json(item: Item) -> dict[str, Any]:
    return {name: value.to_regular_json() for name, value in item.attrs.items()}


def test_an_item_is_built_sized_and_read_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    binary = {**ITEM, "blob": {"B": b"\x00\x01"}}
    built = Item(DynamoType(ITEM["client_id"]), DynamoType(ITEM["id"]), binary)
    patched = (built.to_json(), _regular_json(built), built.size(), {k: v.size() for k, v in built.attrs.items()})
    monkeypatch.setattr(DynamoType, "size", moto_items._original_size)
    monkeypatch.setattr(DynamoType, "to_regular_json", moto_items._original_to_regular_json)
    original = _moto_item(binary)
    assert built.attrs == original.attrs
    assert patched == (original.to_json(), _regular_json(original), original.size(), {k: v.size() for k, v in original.attrs.items()})


@pytest.mark.parametrize("length", [404_000, 406_000])
def test_an_item_over_the_size_limit_is_refused_as_moto_refuses_it(length: int) -> None:
    attrs = {"client_id": {"S": "acme"}, "id": {"S": "l1"}, "a": {"S": "x" * (length // 2)}, "b": {"S": "y" * (length // 2)}}
    try:
        _moto_item(attrs)
        refused_by_moto = False
    except ItemSizeTooLarge:
        refused_by_moto = True
    if refused_by_moto:
        with pytest.raises(ItemSizeTooLarge):
            Item(DynamoType(attrs["client_id"]), DynamoType(attrs["id"]), attrs)
    else:
        Item(DynamoType(attrs["client_id"]), DynamoType(attrs["id"]), attrs)
    assert refused_by_moto == (length > moto_items.ITEM_SIZE_LIMIT)


# -- moto_queries and moto_transactions, through boto3 on moto in this process -----------------------------------


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        types: list[tuple[str, Literal["B", "N", "S"]]] = [("client_id", "S"), ("id", "S"), ("score", "N"), ("ext", "S")]
        client.create_table(
            TableName="leads",
            KeySchema=[{"AttributeName": "client_id", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in types],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_score",
                    "KeySchema": [{"AttributeName": "client_id", "KeyType": "HASH"}, {"AttributeName": "score", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_ext",
                    "KeySchema": [{"AttributeName": "ext", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.create_table(
            TableName="keys",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(60):
            item: dict[str, Any] = {
                "client_id": {"S": f"c{n % 3}"},
                "id": {"S": f"l{(n * 37) % 60:02d}"},
                "score": {"N": str(n % 7)},
                "q": {"BOOL": n % 2 == 0},
            }
            if n % 4:
                item["ext"] = {"S": f"e{n % 5}"}
            client.put_item(TableName="leads", Item=item)
            client.put_item(TableName="keys", Item={"k": {"S": f"k{n}"}})
        yield client


QUERIES: list[dict[str, Any]] = [
    {"TableName": "leads", "KeyConditionExpression": "client_id = :c", "ExpressionAttributeValues": {":c": {"S": "c1"}}},
    {
        "TableName": "leads",
        "KeyConditionExpression": "client_id = :c AND begins_with(id, :p)",
        "ExpressionAttributeValues": {":c": {"S": "c2"}, ":p": {"S": "l1"}},
        "ScanIndexForward": False,
    },
    {
        "TableName": "leads",
        "KeyConditionExpression": "client_id = :c",
        "ExpressionAttributeValues": {":c": {"S": "c0"}},
        "Limit": 4,
        "ExclusiveStartKey": {"client_id": {"S": "c0"}, "id": {"S": "l03"}},
    },
    {
        "TableName": "leads",
        "KeyConditionExpression": "client_id = :c",
        "FilterExpression": "q = :q",
        "ExpressionAttributeValues": {":c": {"S": "c1"}, ":q": {"BOOL": True}},
    },
    {"TableName": "leads", "KeyConditionExpression": "client_id = :c", "ExpressionAttributeValues": {":c": {"S": "nobody"}}},
    {
        "TableName": "leads",
        "IndexName": "by_score",
        "KeyConditionExpression": "client_id = :c AND score BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":c": {"S": "c1"}, ":a": {"N": "2"}, ":b": {"N": "5"}},
        "ScanIndexForward": False,
        "Limit": 5,
    },
    {
        "TableName": "leads",
        "IndexName": "by_score",
        "KeyConditionExpression": "client_id = :c",
        "ExpressionAttributeValues": {":c": {"S": "c2"}},
    },
    {"TableName": "leads", "IndexName": "by_ext", "KeyConditionExpression": "ext = :e", "ExpressionAttributeValues": {":e": {"S": "e3"}}},
    {"TableName": "keys", "KeyConditionExpression": "k = :k", "ExpressionAttributeValues": {":k": {"S": "k7"}}},
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_answers_as_motos_own(dynamodb: Any, query: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def answer() -> Any:
        page = dynamodb.query(**query)
        return page["Items"], page.get("LastEvaluatedKey"), page["Count"], page["ScannedCount"]

    sorted_tables: list[Table] = []
    original_all_items = moto_queries._original_all_items

    def whole_table_sorted(table: Table) -> Any:
        sorted_tables.append(table)
        return original_all_items(table)

    monkeypatch.setattr(moto_queries, "_original_all_items", whole_table_sorted)
    patched = answer()
    assert not sorted_tables  # the patch answered: moto never listed the whole table sorted
    monkeypatch.setattr(Table, "query", moto_queries._original_query)
    monkeypatch.setattr(Table, "all_items", moto_queries._original_all_items)
    assert patched == answer()


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(dynamodb: Any) -> None:
    key = {"client_id": {"S": "c0"}, "id": {"S": "l00"}}
    before = dynamodb.get_item(TableName="leads", Key=key)["Item"]

    def records() -> int:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables["leads"].stream_shard
        assert shard is not None
        return len(shard.items)

    written = records()
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "leads", "Item": {**key, "score": {"N": "99"}}}},
                {
                    "Update": {
                        "TableName": "leads",
                        "Key": {"client_id": {"S": "c1"}, "id": {"S": "l01"}},
                        "UpdateExpression": "SET score = :s",
                        "ExpressionAttributeValues": {":s": {"N": "98"}},
                    }
                },
                {"Delete": {"TableName": "leads", "Key": {"client_id": {"S": "c2"}, "id": {"S": "l02"}}}},
                {"ConditionCheck": {"TableName": "keys", "Key": {"k": {"S": "k1"}}, "ConditionExpression": "attribute_not_exists(k)"}},
            ]
        )
    assert dynamodb.get_item(TableName="leads", Key=key)["Item"] == before
    assert dynamodb.get_item(TableName="leads", Key={"client_id": {"S": "c1"}, "id": {"S": "l01"}})["Item"]["score"] != {"N": "98"}
    assert "Item" in dynamodb.get_item(TableName="leads", Key={"client_id": {"S": "c2"}, "id": {"S": "l02"}})
    assert records() == written
