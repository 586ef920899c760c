"""Items as the JSON text DynamoDB receives (its wire format), written directly.

Batch-file items are built as this text rather than as dicts: boto3 would otherwise walk every attribute of
every item twice (type serialization, then the request's JSON), several times the cost of scoring the lead.
LeadRepository.write_batch sends the text as it is; `item_from_text` reads it back.
"""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring_ascii as quoted  # C: the string with its quotes, JSON-escaped
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

NULL = '{"NULL":true}'
TRUE = '{"BOOL":true}'
FALSE = '{"BOOL":false}'

_deserializer = TypeDeserializer()


def text(value: str) -> str:
    return '{"S":' + quoted(value) + "}"


def number(value: Decimal | int) -> str:
    """A number as the store keeps it; floats must already be Decimals (as data.codec makes them)."""
    return '{"N":"' + str(value) + '"}'


def float_text(value: float) -> str:
    """A float as the store keeps it, the text of Decimal(repr(value)) (data.codec), without building the Decimal
    when the repr already is that text."""
    text = repr(value)
    if "e" in text:  # Decimal writes small and large numbers its own way
        text = str(Decimal(text))
    return '{"N":"' + text + '"}'


def value_text(value: Any) -> str:
    """Any value of the item shapes lead_to_item / decision_item make: strings, booleans, Decimal or int numbers,
    None, maps and lists. Anything else (a float included) raises rather than guess."""
    kind = type(value)
    if kind is str:
        return text(value)
    if kind is bool:
        return TRUE if value else FALSE
    if kind is Decimal or kind is int:
        return number(value)
    if value is None:
        return NULL
    if kind is dict:
        return map_text(value)
    if kind is list:
        return '{"L":[' + ",".join(value_text(v) for v in value) + "]}"
    raise TypeError(f"{kind.__name__} values are not stored (floats travel as Decimal)")


def map_text(values: dict[str, Any]) -> str:
    return '{"M":' + fields_text(values) + "}"


def fields_text(values: dict[str, Any]) -> str:
    """An item (or a map's contents): {"name":<value>,...}."""
    return "{" + ",".join(quoted(k) + ":" + value_text(v) for k, v in values.items()) + "}"


def item_from_text(item: str) -> dict[str, Any]:
    """An item's text back as the resource format (Decimal numbers)."""
    return {k: _deserializer.deserialize(v) for k, v in json.loads(item).items()}
