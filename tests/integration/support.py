"""Helpers for the integration suite: a JSON client over the local gateway, table counts, the error shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from leadscoring import API_PREFIX
from leadscoring.resources import AUDIT, LEADS

_NO_BODY = object()


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: Headers

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


class Api:
    """Real HTTP requests (WSGI) through the local API Gateway: authorizer, then the function handler."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body: Any = _NO_BODY,
        raw: str | bytes | None = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = API_PREFIX + path + ("?" + urlencode(query) if query else "")
        sent = dict(headers or {})
        if key is not None:
            sent["x-api-key"] = key
        data = raw if raw is not None else (None if body is _NO_BODY else json.dumps(body))
        response = self._client.open(url, method=method, data=data, headers=sent)
        text = response.get_data(as_text=True)
        # Parsed whatever the Content-Type says: the content type is asserted separately.
        parsed = json.loads(text) if text else None
        return Reply(response.status_code, parsed, response.headers)

    def get(self, path: str, key: str | None = None, **kw: Any) -> Reply:
        return self.call("GET", path, key, **kw)

    def post(self, path: str, key: str | None = None, **kw: Any) -> Reply:
        return self.call("POST", path, key, **kw)

    def put(self, path: str, key: str | None = None, **kw: Any) -> Reply:
        return self.call("PUT", path, key, **kw)


def assert_error(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """The reply is `status` with exactly {"error": {"code", "message", "details"}}; returns the error object."""
    assert reply.status == status, f"expected {status}, got {reply.status}: {reply.body}"
    assert isinstance(reply.body, dict) and set(reply.body) == {"error"}, reply.body
    error = reply.body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], list), error
    if code is not None:
        assert error["code"] == code, error
    return error


def error_fields(reply: Reply) -> set[str]:
    return {d.get("field") for d in reply.body["error"]["details"]}


class Tables:
    """Direct reads of the moto tables, independent of the repositories under test."""

    def __init__(self) -> None:
        self.client = boto3.client("dynamodb")
        self.resource = boto3.resource("dynamodb")

    def count(self, table: str) -> int:
        """Every item in the table, read with a full scan."""
        total = 0
        kwargs: dict[str, Any] = {"TableName": table, "Select": "COUNT"}
        while True:
            page = self.client.scan(**kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def item_count(self, table: str) -> int:
        """The table's ItemCount: moto keeps it exact (AWS refreshes it every few hours), and it costs no scan."""
        return int(self.client.describe_table(TableName=table)["Table"]["ItemCount"])

    def counts(self) -> tuple[int, int]:
        """(leads, audit events) across every tenant (test_the_table_counts_are_exact checks them against scans)."""
        return self.item_count(LEADS.local_name), self.item_count(AUDIT.local_name)

    def tenant_items(self, table: str, key: str, value: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        handle = self.resource.Table(table)
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key(key).eq(value)}
        while True:
            page = handle.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def leads(self, client_id: str) -> list[dict[str, Any]]:
        """The tenant's leads, from every write shard, by id."""
        from leadscoring.data.keys import shards

        items = [i for shard in shards(client_id) for i in self.tenant_items(LEADS.local_name, "shard", shard)]
        return sorted(items, key=lambda i: str(i["id"]))

    def audit(self, client_id: str) -> list[dict[str, Any]]:
        """The tenant's audit events, from every write shard, in event key order."""
        from leadscoring.data.keys import shards

        items = [i for shard in shards(client_id) for i in self.tenant_items(AUDIT.local_name, "shard", shard)]
        return sorted(items, key=lambda i: str(i["event_key"]))


def lead_body(email: str, name: str = "Test Lead", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"email": email, "name": name, "source": "webinar"}
    body.update(extra)
    return body
