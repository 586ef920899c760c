"""moto's DynamoDB items built and read at a cost that grows with their size, not with its square.

moto (5.2) builds an item attribute by attribute into a dict that, on every insertion, sums the size of every
attribute already in it to enforce DynamoDB's 400 KB item limit; and a map's size is summed over fresh copies of
its values. For a scored lead (22 attributes, some of them nested maps) building the item cost 0.9 ms, three times
building it and sizing it once. Reading an item as JSON (every GetItem, BatchGetItem and Query answer, and both
images of every stream record) deep-copies each map or list and then converts the copy, whose values are copied
again at the next level down: about 1 ms per image of a lead, 40% of storing a scored lead with its decision.

Here the attributes are inserted without the running sum and the item's size is checked once, when it is whole:
the same check, since each insertion's running total is the size of the attributes so far, which only grows, so
one insertion's total exceeds the limit exactly when the whole item's does; and the error is the same (moto's
ItemSizeTooLarge, raised before the item exists). A map is sized from its values as they are, not from copies of
them: a copy has the same size. Later changes to an item (UpdateItem) keep moto's per-insertion check. An attribute is read as JSON level
by level, each value converted once (a value that is not a DynamoType still deep-copied): the same new tree.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict, bytesize

# moto's own limit (LimitedSizeDict.__setitem__): between DynamoDB's documented 400 KB and the measured 409-410 KB.
ITEM_SIZE_LIMIT = 405000

_original_item_init = Item.__init__
_original_size = DynamoType.size
_original_to_regular_json = DynamoType.to_regular_json
_installed = False


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    built = LimitedSizeDict.__new__(LimitedSizeDict)
    for key, value in attrs.items():
        dict.__setitem__(built, key, DynamoType(value))
    if sum(bytesize(key) + value.size() for key, value in built.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = built


def _size(self: DynamoType) -> int:
    """DynamoType.size's own rules, with a map's and a list's values sized as they are (moto wraps each in a new
    DynamoType first, copying the whole subtree, for the same number)."""
    kind, value = self.type, self.value
    if kind == "M":
        return sum(bytesize(key) + (item.size() if type(item) is DynamoType else DynamoType(item).size()) for key, item in value.items())
    if kind == "L":
        return sum(item.size() for item in value)
    return int(_original_size(self))  # numbers, sets, strings, binaries, booleans and nulls: moto's own rules


_ATOMIC = (str, bytes, bool, int, float, type(None))  # what copy.deepcopy returns as it is


def _regular(value: Any) -> Any:
    if isinstance(value, DynamoType):
        return value.to_regular_json()
    return value if type(value) in _ATOMIC else copy.deepcopy(value)


def _to_regular_json(self: DynamoType) -> dict[str, Any]:
    """DynamoType.to_regular_json: a plain JSON tree of new containers, binaries decoded."""
    value = self.value
    if isinstance(value, dict):
        value = {key: _regular(item) for key, item in value.items()}
    elif isinstance(value, list):
        value = [_regular(item) for item in value]
    else:
        value = _regular(value)
    if self.is_binary() and isinstance(value, str):
        value = base64.b64decode(value)
    return {self.type: value}


def install() -> None:
    """Build items with one size check, read them level by level (idempotent)."""
    global _installed
    if _installed:
        return
    Item.__init__ = _item_init  # type: ignore[method-assign]
    DynamoType.size = _size  # type: ignore[method-assign]
    DynamoType.to_regular_json = _to_regular_json  # type: ignore[method-assign]
    _installed = True
