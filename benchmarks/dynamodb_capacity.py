"""DynamoDB request units by DynamoDB's own sizing rules, for items in its JSON wire format ({"S": ...}, {"N": ...}).

The rules, from the DynamoDB developer guide:
- "DynamoDB item sizes and formats" (CapacityUnitCalculations.html): an item is the sum of its attribute names'
  and values' sizes; a string its UTF-8 bytes; a number about 1 byte per two significant digits, plus 1 (leading
  and trailing zeroes trimmed); a binary its raw bytes; a null or Boolean 1 byte; a List or Map 3 bytes plus
  1 byte per element, a Map element's name counted with it. Sets: the sum of their elements.
- "DynamoDB read and write operations" (read-write-operations.html): writes round up per 1 KB, reads per 4 KB,
  an eventually consistent read is half a unit; PutItem and UpdateItem cost the larger of the item before and
  after; DeleteItem the item deleted; BatchWriteItem and BatchGetItem round each item on its own; Query and Scan
  sum the sizes of the items read (filters and projections do not reduce it) and round once. A read that finds
  nothing still costs the minimum.
- "Condition expressions": a write whose condition fails still consumes write units, by the size of the
  existing item, at least 1.
- "Amazon DynamoDB Transactions: How it works" (transaction-apis.html): two underlying reads or writes of every
  item (prepare and commit), so transactional units count double. Changes reach the indexes after the commit,
  so index writes are counted as standard writes.
- "Global secondary indexes" (GSI.html#GSI.Writes): an item that defines the index's key attributes is written
  into the index (its projection: ALL the whole item, KEYS_ONLY the table and index keys, INCLUDE those and the
  listed attributes); changing an index key is a delete and a put in the index; changing only projected
  attributes is one index write; an item in neither state costs the index nothing.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Item = dict[str, dict[str, Any]]  # one item in the wire format: attribute name -> {"S": "..."} and the like

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (the guide's rule; it calls the result approximate)."""
    digits = "".join(str(d) for d in Decimal(text).as_tuple().digits).strip("0")
    return (len(digits) + 1) // 2 + 1


def _binary_size(value: str | bytes) -> int:
    return len(base64.b64decode(value)) if isinstance(value, str) else len(value)


def value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(number_size(str(n)) for n in data)
    if kind == "BS":
        return sum(_binary_size(b) for b in data)
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in data)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(element) + 1 for name, element in data.items())
    raise ValueError(f"not a DynamoDB attribute value: {value!r}")


def item_size(item: Item | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Standard write units for one item of `size` bytes (at least 1)."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int, *, consistent: bool) -> float:
    """Read units for `size` bytes read in one rounding (at least the minimum); eventually consistent is half."""
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)


def _canonical(value: Any) -> Any:
    """A wire value with its numbers normalized, so 1.50 and 1.5 compare equal."""
    if isinstance(value, dict):
        if set(value) == {"N"}:
            return {"N": str(Decimal(str(value["N"])).normalize())}
        if set(value) == {"NS"}:
            return {"NS": sorted(str(Decimal(str(n)).normalize()) for n in value["NS"])}
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


@dataclass(frozen=True)
class IndexModel:
    name: str
    keys: tuple[str, ...]  # partition, then sort if any
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableModel:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexModel, ...] = ()

    @classmethod
    def from_spec(cls, spec: Any) -> TableModel:
        """From a leadscoring.resources.TableSpec. An Index's `projection` and `include` are read when the spec has
        them (ALL and none otherwise, as the tables are created today)."""
        indexes = tuple(
            IndexModel(
                index.name,
                _keys(index),
                _projection_name(getattr(index, "projection", "ALL")),
                tuple(getattr(index, "include", ()) or ()),
            )
            for index in spec.indexes
        )
        return cls(spec.local_name, _keys(spec), indexes)

    def key(self, item: Item) -> Item:
        return {name: item[name] for name in self.keys if name in item}

    def has_key(self, item: Item) -> bool:
        return all(name in item for name in self.keys)


def _keys(spec: Any) -> tuple[str, ...]:
    return (spec.partition.name,) + ((spec.sort.name,) if spec.sort else ())


def _projection_name(projection: Any) -> str:
    name = str(getattr(projection, "value", projection) or "ALL")
    return name.upper().replace("-", "_").replace(" ", "_")


def index_entry(table: TableModel, index: IndexModel, item: Item | None) -> Item | None:
    """What `item` puts into `index`, or None when it does not define the index's key attributes."""
    if item is None or any(name not in item for name in index.keys):
        return None
    if index.projection == "ALL":
        return item
    kept = set(table.keys) | set(index.keys)
    if index.projection == "INCLUDE":
        kept |= set(index.include)
    return {name: value for name, value in item.items() if name in kept}


def index_writes(table: TableModel, index: IndexModel, before: Item | None, after: Item | None) -> list[int]:
    """Write units of each write `index` receives when an item goes from `before` to `after` (None: absent)."""
    old, new = index_entry(table, index, before), index_entry(table, index, after)
    if old is None and new is None:
        return []
    if old is None:
        return [write_units(item_size(new))]
    if new is None:
        return [write_units(item_size(old))]
    if _canonical([old[k] for k in index.keys]) != _canonical([new[k] for k in index.keys]):
        return [write_units(item_size(old)), write_units(item_size(new))]
    if _canonical(old) == _canonical(new):
        return []
    return [write_units(item_size(new))]


# Units consumed by one request, by (table, index or None): what the report adds up.
Units = dict[tuple[str, str | None], float]


def _add(units: Units, table: str, index: str | None, amount: float) -> None:
    if amount:
        units[(table, index)] = units.get((table, index), 0.0) + amount


def item_write(table: TableModel, before: Item | None, after: Item | None, *, transactional: bool = False) -> Units:
    """One successful write of an item from `before` to `after` (after None: a delete)."""
    units: Units = {}
    size = max(item_size(before), item_size(after))
    _add(units, table.name, None, write_units(size) * (2 if transactional else 1))
    for index in table.indexes:
        _add(units, table.name, index.name, sum(index_writes(table, index, before, after)))
    return units


def failed_write(table: TableModel, existing: Item | None) -> Units:
    """A write refused by its condition: the existing item's size (at least 1 unit), nothing in the indexes.
    Each item of a cancelled transaction is counted so too, as its prepare phase without a commit: the guide does
    not spell that case out, so that is this benchmark's reading."""
    return {(table.name, None): float(write_units(item_size(existing)))}


def item_reads(table: str, sizes: Iterable[int | None], *, consistent: bool, transactional: bool = False) -> Units:
    """GetItem / BatchGetItem / TransactGetItems: each item rounded on its own; a missing one costs the minimum."""
    per = 2.0 if transactional else 1.0
    total = sum(read_units(size or 0, consistent=consistent or transactional) * per for size in sizes)
    return {(table, None): total} if total else {}


def range_read(table: str, index: str | None, sizes: Iterable[int], *, consistent: bool) -> Units:
    """Query / Scan: the sizes of every item read, summed, then rounded once (index reads are never consistent)."""
    return {(table, index): read_units(sum(sizes), consistent=consistent and index is None)}


def merge(into: Units, other: Units) -> Units:
    for (table, index), amount in other.items():
        _add(into, table, index, amount)
    return into
