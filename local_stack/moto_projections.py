"""moto's ProjectionExpression at the cost of the attributes it projects, not of the whole item once per name.

moto (5.2) projects an item (GetItem, BatchGetItem, Query, Scan with a ProjectionExpression) by converting the
whole item to plain JSON (a deep copy of every attribute) once for every name projected, then picking that name
from the copy. The audit reports read up to 5,000 leads with ten names each: about 10 ms of the server's one
interpreter per lead, so a report took seconds with a few hundred leads and, on a loaded machine, past the
client's read timeout (botocore retried, moto kept working on the abandoned reads, and every retry waited longer).

When every name in the expression is a top-level attribute (no nested path, no list index) the result is the same
when only those attributes are converted: `find_nested_key([name], item)` is `{name: item[name]}` (or nothing)
and merging those is assigning them. Anything else takes moto's own way. tests/unit/test_moto_projections.py checks
both give the same items.
"""

from __future__ import annotations

import re
from typing import Any

from moto.dynamodb.models.dynamo_type import Item, deserializer, serializer

_original_project = Item.project
_LIST_INDEX = re.compile(r".+\[\d+\]$")  # moto's own test for `name[n]`
_installed = False


def _project(self: Item, projection_expressions: list[list[str]]) -> Item:
    if not all(len(path) == 1 and not _LIST_INDEX.match(path[0]) for path in projection_expressions):
        return _original_project(self, projection_expressions)
    names = dict.fromkeys(path[0] for path in projection_expressions)
    result = {name: deserializer.deserialize(self.attrs[name].to_regular_json()) for name in names if name in self.attrs}
    attrs: dict[str, Any] = dict(serializer.serialize(result)["M"])
    return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=attrs)


def install() -> None:
    """Replace Item.project (idempotent)."""
    global _installed
    if _installed:
        return
    Item.project = _project  # type: ignore[method-assign]
    _installed = True


def original_project(item: Item, projection_expressions: list[list[str]]) -> Any:
    """moto's own projection, for the test that compares the two."""
    return _original_project(item, projection_expressions)
