"""The local stack's projection patch gives the items moto's own projection gives."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from local_stack import moto_projections

ATTRS: dict[str, Any] = {
    "client_id": {"S": "acme"},
    "id": {"S": "l1"},
    "score": {"N": "42.50"},
    "qualified": {"BOOL": True},
    "model_id": {"NULL": True},
    "tags": {"SS": ["b", "a"]},
    "sizes": {"NS": ["1", "2.5"]},
    "blob": {"B": b"\x00\x01"},
    "attributes": {"M": {"behavioral": {"M": {"page_views": {"N": "3"}, "none": {"NULL": True}}}, "empty": {"M": {}}}},
    "explanation": {"L": [{"M": {"feature": {"S": "page_views"}, "value": {"N": "1"}}}, {"L": [{"S": "x"}]}]},
}


def _item() -> Item:
    return Item(hash_key=DynamoType(ATTRS["client_id"]), range_key=DynamoType(ATTRS["id"]), attrs=ATTRS)


@pytest.mark.parametrize(
    "names",
    [
        [["id"], ["score"], ["qualified"], ["model_id"], ["attributes"], ["explanation"]],
        [["tags"], ["sizes"], ["blob"], ["missing"]],
        [["score"], ["score"]],
        [["attributes", "behavioral"], ["id"]],  # a nested path: moto's own way
        [["explanation[0]"]],  # a list index: moto's own way
        [["missing"]],
    ],
)
def test_a_projection_is_the_same_as_motos(names: list[list[str]]) -> None:
    moto_projections.install()
    patched = _item().project(names)
    original = moto_projections.original_project(_item(), names)
    assert patched.to_json() == original.to_json()
    assert (patched.hash_key, patched.range_key) == (original.hash_key, original.range_key)
