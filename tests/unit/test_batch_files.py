"""Batch file jobs, the pure parts: file keys and headers, output files, the ASL, and the local Distributed Map
stand-in that runs that ASL's Map on moto."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from leadscoring.data.wire_text import fields_text, item_from_text, value_text
from leadscoring.domain.batch_files import contiguous_runs, csv_lines, estimate_rows, file_columns, relative_key
from leadscoring.domain.errors import InvalidInput, StorageError
from leadscoring.services.batch_worker import failure_reason
from leadscoring.workflows.batch import CHUNK_ROWS, MAP_STATES, batch_definition
from local_stack import distributed_map
from local_stack.distributed_map import DistributedMapEmulator, ExceedToleratedFailureThreshold, local_definition, make_batches, resolve

WORKER = "arn:aws:lambda:us-east-1:000000000000:function:worker"
JOB = {
    "job": {
        "client_id": "acme",
        "job_id": "j1",
        "bucket": "b",
        "key": "acme/f.csv",
        "format": "csv",
        "scored_at": "2026-01-01T00:00:00+00:00",
        "key_id": "k",
    }
}


# -- keys and headers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["imports/leads.csv", "a.jsonl", "x/y/z.csv"])
def test_keys_inside_the_folder_are_kept(key: str) -> None:
    assert relative_key(key) == key


@pytest.mark.parametrize("key", ["../other/leads.csv", "a/../../b.csv", "/abs.csv", "a//b.csv", "a/", "a\\..\\b"])
def test_keys_that_could_leave_the_folder_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        relative_key(key)
    assert raised.value.details[0]["field"] == "file.key"


def test_a_csv_header_is_read_from_the_first_bytes_even_with_a_bom_and_a_cut_last_line() -> None:
    sample = "\ufeffemail,name, source ,behavioral.page_views\nA@x.io,Ann,web,3\nb@x.io,Bé".encode()
    # Names stay as ItemReader will give them (" source " is an unknown column, not "source").
    assert file_columns(sample[:-1], "csv", truncated=True) == ["email", "name", " source ", "behavioral.page_views"]


def test_a_jsonl_files_columns_are_its_first_objects_keys() -> None:
    sample = b'\n{"email": "a@x.io", "name": "A", "source": "web", "attributes": {"behavioral": {"page_views": 3}}}\n'
    assert file_columns(sample, "jsonl", truncated=False) == ["email", "name", "source", "attributes"]


@pytest.mark.parametrize(
    ("sample", "file_format", "truncated", "field"),
    [
        (bytes(range(256)), "csv", False, "file.format"),  # binary
        (b"\xff\xfe\x00e\x00m", "csv", False, "file.format"),  # UTF-16
        (b"email,name,source\nx,y,z\n", "jsonl", False, "file.format"),  # a CSV called JSONL
        (b"[1, 2]\n", "jsonl", False, "file.format"),  # JSON, not an object per line
        (b"\n\n", "csv", False, "file"),  # empty
        (b"email," * 20000, "csv", True, "file"),  # a header longer than the sample
    ],
)
def test_files_that_are_not_their_format_are_refused(sample: bytes, file_format: str, truncated: bool, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        file_columns(sample, file_format, truncated)
    assert raised.value.details[0]["field"] == field


def test_rows_are_counted_exactly_for_a_whole_file_and_estimated_for_a_sample() -> None:
    whole = b"email,name\n" + b"a@x.io,A\n" * 10 + b"\n"
    assert estimate_rows(whole, len(whole), "csv", truncated=False) == 10
    line = b"a@x.io,Ann Lee\n"
    sample = b"email,name\n" + line * 100 + line[:5]
    assert estimate_rows(sample, 11 + len(line) * 5000, "csv", truncated=True) == 5000
    assert estimate_rows(b'{"a": 1}\n{"a": 2}\n', 18, "jsonl", truncated=False) == 2


def test_output_files_are_csv_with_lowercase_booleans_and_empty_nulls() -> None:
    text = csv_lines([("row", "score"), (1, Decimal("12.5")), (2, None), (3, True), (4, 'say "hi", ok')]).decode()
    assert list(csv.reader(io.StringIO(text))) == [["row", "score"], ["1", "12.5"], ["2", ""], ["3", "true"], ["4", 'say "hi", ok']]


@pytest.mark.parametrize(
    ("indexes", "runs"),
    [([0, 1, 2], [(0, 3)]), ([5, 6, 9, 10, 11, 20], [(0, 2), (2, 5), (5, 6)]), ([7], [(0, 1)]), ([], [])],
)
def test_contiguous_runs(indexes: list[int], runs: list[tuple[int, int]]) -> None:
    assert contiguous_runs(indexes) == runs


def test_failure_reason_prefers_the_workers_message() -> None:
    cause = json.dumps({"errorType": "NoActiveModel", "errorMessage": "No model is deployed"})
    assert failure_reason({"Error": "NoActiveModel", "Cause": cause}) == "NoActiveModel: No model is deployed"
    assert failure_reason({"Error": "States.Timeout"}) == "States.Timeout: no details"
    assert len(failure_reason({"Error": "E", "Cause": "x" * 5000})) == 2000


def test_item_text_is_what_boto3_would_send() -> None:
    item = {
        "s": 'x "quoted" \\ é\n',
        "b": False,
        "t": True,
        "n": Decimal("0.125"),
        "big": Decimal("1E+20"),
        "i": 7,
        "none": None,
        "m": {"l": [1, "a", {"t": True}], "e": {}},
    }
    serializer = TypeSerializer()
    assert json.loads(fields_text(item)) == {k: serializer.serialize(v) for k, v in item.items()}
    assert item_from_text(fields_text(item)) == item
    with pytest.raises(TypeError):
        value_text(0.5)
    with pytest.raises(TypeError):
        value_text({"a", "b"})


def test_the_request_body_is_what_botocore_would_send_for_the_same_items() -> None:
    import botocore.session
    from botocore.serialize import create_serializer

    from leadscoring.data.item_writes import request_body

    items: list[dict[str, Any]] = [{"id": "a", "n": Decimal("1.5"), "m": {"x": None, "l": ["é", True]}}, {"id": 'b"\\', "e": {}}]
    operation = botocore.session.get_session().get_service_model("dynamodb").operation_model("BatchWriteItem")
    serializer = TypeSerializer()
    params = {"RequestItems": {"t-1": [{"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in i.items()}}} for i in items]}}
    expected = create_serializer("json").serialize_to_request(params, operation)["body"]
    assert json.loads(request_body("t-1", [fields_text(i) for i in items])) == json.loads(expected)


def test_the_conditional_put_body_is_what_botocore_would_send_for_the_same_put() -> None:
    import botocore.session
    from botocore.serialize import create_serializer

    from leadscoring.data.item_writes import conditional_put_body

    operation = botocore.session.get_session().get_service_model("dynamodb").operation_model("PutItem")
    serializer = TypeSerializer()
    cases: list[tuple[dict[str, Any], str | None, dict[str, Any]]] = [
        (
            {"id": "a", "n": Decimal("2"), "conversion_status": "qualified"},
            "qualified",
            {"ConditionExpression": "conversion_status = :seen", "ExpressionAttributeValues": {":seen": {"S": "qualified"}}},
        ),
        ({"id": 'b"\\', "l": ["é"]}, None, {"ConditionExpression": "attribute_not_exists(id)"}),
    ]
    for item, seen, condition in cases:
        params = {"TableName": "t-1", "Item": {k: serializer.serialize(v) for k, v in item.items()}, **condition}
        expected = create_serializer("json").serialize_to_request(params, operation)["body"]
        assert json.loads(conditional_put_body("t-1", fields_text(item), seen)) == json.loads(expected)


def test_moto_gets_the_deployed_definition_with_its_maps_replaced_by_tasks() -> None:
    deployed = batch_definition(WORKER)
    local, maps = local_definition(deployed, "arn:emulator")
    assert set(maps) == set(MAP_STATES.values()) and all(maps[name] == deployed["States"][name] for name in maps)
    for name in maps:
        task = local["States"][name]
        assert task["Type"] == "Task" and task["Parameters"] == {
            "FunctionName": "arn:emulator",
            "Payload": {"map_state": name, "input.$": "$"},
        }
        assert {k: task[k] for k in ("ResultPath", "Next", "Catch")} == {
            k: deployed["States"][name][k] for k in ("ResultPath", "Next", "Catch")
        }
    others = set(deployed["States"]) - set(maps)
    assert {n: local["States"][n] for n in others} == {n: deployed["States"][n] for n in others}
    assert '"ItemBatcher":' not in json.dumps(local) and '"ItemReader":' not in json.dumps(local)


def test_resolve_follows_state_and_context_paths() -> None:
    template = {"a.$": "$.job.client_id", "b": {"c.$": "$$.Map.Item.Index"}, "d": [1, {"e.$": "$"}]}
    out = resolve(template, {"job": {"client_id": "acme"}}, {"Map": {"Item": {"Index": 4}}})
    assert out == {"a": "acme", "b": {"c": 4}, "d": [1, {"e": {"job": {"client_id": "acme"}}}]}
    with pytest.raises(KeyError):
        resolve({"x.$": "$.missing"}, {}, {})


def test_batches_respect_both_the_row_and_the_byte_limit() -> None:
    items = [{"index": i, "row": {"email": f"{i}@x.io", "pad": "x" * 90}} for i in range(25)]
    by_rows = make_batches(items, {"MaxItemsPerBatch": 10, "BatchInput": {"job.$": "$.id"}}, {"id": "j"})
    assert [len(b["Items"]) for b in by_rows] == [10, 10, 5] and by_rows[0]["BatchInput"] == {"job": "j"}
    by_bytes = make_batches(items, {"MaxItemsPerBatch": 10, "MaxInputBytesPerBatch": 700}, {})
    assert all(len(json.dumps(b)) <= 700 for b in by_bytes)
    assert [i["index"] for b in by_bytes for i in b["Items"]] == list(range(25))
    assert max(len(b["Items"]) for b in by_bytes) < 10


@pytest.fixture
def rows(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    found = [{"email": f"{n}@x.io", "name": f"N{n}", "source": "web"} for n in range(CHUNK_ROWS + 7)]
    monkeypatch.setattr(distributed_map, "read_items", lambda reader, state_input: list(found))
    monkeypatch.setattr(distributed_map.time, "sleep", lambda seconds: None)
    return found


def test_the_stand_in_hands_the_worker_the_deployed_maps_chunks(rows: list[dict[str, str]]) -> None:
    seen: list[dict[str, Any]] = []

    def worker(event: dict[str, Any], context: object) -> dict[str, Any]:
        seen.append(event)
        return {"chunk": {}}

    emulator = DistributedMapEmulator(batch_definition(WORKER)["States"], {"worker": worker})

    result = emulator({"map_state": MAP_STATES["csv"], "input": JOB}, None)

    assert result == {"items": CHUNK_ROWS + 7, "batches": 2, "failed": 0}
    assert [len(e["Items"]) for e in seen] == [CHUNK_ROWS, 7]
    assert seen[1]["Items"][0] == {"index": CHUNK_ROWS, "row": rows[CHUNK_ROWS]}
    assert all(e["BatchInput"] == {k: JOB["job"][k] for k in ("client_id", "job_id", "scored_at", "key_id")} for e in seen)


def test_the_stand_in_retries_storage_errors_and_fails_past_the_tolerated_share(rows: list[dict[str, str]]) -> None:
    attempts: list[int] = []

    def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
        attempts.append(event["Items"][0]["index"])
        if attempts.count(event["Items"][0]["index"]) < 3:
            raise StorageError("throttled")
        return {"chunk": {}}

    states = batch_definition(WORKER)["States"]
    assert DistributedMapEmulator(states, {"worker": flaky})({"map_state": MAP_STATES["csv"], "input": JOB}, None)["failed"] == 0
    assert attempts == [0, 0, 0, CHUNK_ROWS, CHUNK_ROWS, CHUNK_ROWS]

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise ValueError("a bug")  # not retried: only Lambda's transient errors and StorageError are

    with pytest.raises(ExceedToleratedFailureThreshold, match="1 of 2 batches failed"):
        DistributedMapEmulator(states, {"worker": broken})({"map_state": MAP_STATES["csv"], "input": JOB}, None)
