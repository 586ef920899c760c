"""DynamoDB items into and out of moto's server at the cost of copying them, not of walking botocore's model for
every value.

moto (5.2) reads every DynamoDB request and writes every DynamoDB and DynamoDB Streams response through generic,
model-driven code: for each attribute value it visits the ten members of the AttributeValue shape, and when
writing asks up to six alias rules for each where to find it on the object. A scored lead has about a hundred
values (its attributes, explanation and decision), so reading one lead cost about 4 ms and one GetRecords batch of
the leads stream (old and new images) about 70 ms of the server's single interpreter, which every request waits on.

An AttributeValue that is a plain dict of AttributeValue members takes the same rules applied directly, member
by member in the shape's order:
- reading a request (JSON already decoded): strings, numbers, NULL and BOOL as sent, binaries base64-decoded,
  sets and lists item by item, maps value by value (a null value kept as None);
- writing a response (moto keeps items in that wire format): strings and numbers as `str`, binaries base64-encoded
  by the serializer's own `_base64`, sets and lists item by item, maps value by value (None values left out),
  NULL and BOOL as stored.
Anything else (an unknown member, a value of another type, a service with response transformers, another map
type) goes the generic way. tests/unit/test_moto_patches.py checks both directions give the generic results.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from moto.core.parse import BaseJSONParser
from moto.core.serialize import BaseJSONSerializer

_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})
_STRINGS = frozenset({"S", "N"})
_STRING_SETS = frozenset({"SS", "NS"})
_AS_STORED = frozenset({"NULL", "BOOL"})
MEMBERS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")  # the shape's order
_MEMBER_SET = frozenset(MEMBERS)
# AttributeValue's members and their types in botocore's models of both services; install() checks them.
MEMBER_TYPES = {
    "S": "string",
    "N": "string",
    "B": "blob",
    "SS": "list",
    "NS": "list",
    "BS": "list",
    "M": "map",
    "L": "list",
    "NULL": "boolean",
    "BOOL": "boolean",
}

_original_structure = BaseJSONSerializer._serialize_type_structure
_original_parse_structure = BaseJSONParser._parse_structure
_installed = False


class _Unusual(Exception):
    """A value the direct rules do not cover: the generic serializer writes it."""


def _string(value: Any) -> Any:
    # BaseJSONSerializer._serialize_type_string
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _attribute_value(value: Any, base64: Callable[[Any], str]) -> dict[str, Any]:
    if type(value) is not dict or not value.keys() <= _MEMBER_SET:
        raise _Unusual
    out: dict[str, Any] = {}
    for name in MEMBERS:
        member = value.get(name)
        if member is None:  # the generic path skips a member it finds to be None
            continue
        if name in _STRINGS:
            out[name] = _string(member)
        elif name == "M":
            if type(member) is not dict:
                raise _Unusual
            out[name] = {key: _attribute_value(item, base64) for key, item in member.items() if item is not None}
        elif name == "L":
            out[name] = [None if item is None else _attribute_value(item, base64) for item in member]
        elif name in _STRING_SETS:
            out[name] = [_string(item) for item in member]
        elif name == "B":
            out[name] = base64(member)
        elif name == "BS":
            out[name] = [base64(item) for item in member]
        else:  # NULL, BOOL: the JSON serializer has no rule for booleans and writes them as they are
            out[name] = member
    return out


def _parsed_attribute_value(value: Any, decode: Callable[[Any], Any]) -> dict[str, Any]:
    if type(value) is not dict or not value.keys() <= _MEMBER_SET:
        raise _Unusual
    out: dict[str, Any] = {}
    for name in MEMBERS:
        member = value.get(name)
        if member is None:  # the generic path leaves out a member that is absent or null
            continue
        if name == "M":
            if type(member) is not dict:
                raise _Unusual
            out[name] = {key: None if item is None else _parsed_attribute_value(item, decode) for key, item in member.items()}
        elif name == "L":
            if type(member) is not list:
                raise _Unusual
            out[name] = [None if item is None else _parsed_attribute_value(item, decode) for item in member]
        elif name in _STRING_SETS:
            if type(member) is not list:
                raise _Unusual
            out[name] = list(member)
        elif name == "B":
            out[name] = decode(member)
        elif name == "BS":
            if type(member) is not list:
                raise _Unusual
            out[name] = [decode(item) for item in member]
        else:  # S, N, NULL, BOOL: the JSON parser has no rule for strings and booleans and keeps them as sent
            out[name] = member
    return out


def _parse_structure(self: BaseJSONParser, shape: Any, value: Any) -> Any:
    if shape.name == "AttributeValue" and self.MAP_TYPE is dict and self.operation_model.service_model.service_name in _SERVICES:
        try:
            return _parsed_attribute_value(value, self._blob_parser)
        except _Unusual:
            pass
    return _original_parse_structure(self, shape, value)


def _serialize_type_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if key and shape.name == "AttributeValue" and self.service_model.service_name in _SERVICES and not _transformers(self):
        try:
            serialized[self.get_serialized_name(shape, key)] = _attribute_value(value, self._base64)
            return
        except _Unusual:
            pass
    _original_structure(self, serialized, value, shape, key)


def _transformers(serializer: BaseJSONSerializer) -> Any:
    # moto's per-service response transformers (EC2, ECS) live in one dict shared by every service: with any
    # installed, a key path could match, so the generic path runs.
    return getattr(serializer._value_picker, "response_transformers", None)


def _models_match() -> bool:
    from moto.core.utils import get_service_model

    for service in _SERVICES:
        shape: Any = get_service_model(service).shape_for("AttributeValue")  # a StructureShape
        if {name: member.type_name for name, member in shape.members.items()} != MEMBER_TYPES:
            return False
        if any(member.serialization for member in shape.members.values()):
            return False
    return True


def install() -> None:
    """Read and write DynamoDB attribute values directly (idempotent); left out if botocore's model is not the one
    checked."""
    global _installed
    if _installed or not _models_match():
        return
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    BaseJSONParser._parse_structure = _parse_structure  # type: ignore[method-assign]
    _installed = True
