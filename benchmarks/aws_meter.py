"""Every AWS request the product makes, seen at the botocore level, and every Lambda handler call, timed.

Requests: handlers on botocore's `request-created`, `after-call` and `after-call-error` events. They are appended to
botocore.handlers.BUILTIN_HANDLERS, which every new botocore session registers, and registered on boto3's default
session, so every client made afterwards carries them whoever makes it (boto3.client, boto3.resource, Powertools'
idempotency store with its own session). A client copies its session's handlers when it is made, so `install`
drops the product's cached clients and services (aws.reset, wiring.reset): it makes them again, with the handlers.
Nothing here knows how the product builds its requests: DynamoDB's are read from the request body botocore sends.

DynamoDB units need the items as stored: a write costs the larger of the item before and after, a read the whole
item whatever it projects. The meter reads them itself, with a client made before its handlers were added (so those
reads are never recorded): before the request goes out (`request-created`) and, for updates, after its answer.
That work happens inside the handler's call, so its time is taken off the call's measured duration.
A Query or Scan is read again without its filter and projection, with the same key condition, limit and start key,
which yields the items DynamoDB reads for it.

Lambda: `metered(name, handler, memory_mb)` wraps a handler; a call inside an open window is timed and what it
writes to stdout/stderr (Powertools' JSON log lines and EMF metric lines: what Lambda sends to CloudWatch Logs) is
counted, and swallowed. Requests made during the call are attributed to it: those of its own thread by a context
variable; those of threads it starts (a pool of writers), which do not inherit it, to the one call running then,
when only one is (the figures never depend on attribution, only the breakdown by function does).

Only what happens inside `window(name)` is recorded; one window is open at a time.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from benchmarks.dynamodb_capacity import (
    Item,
    TableModel,
    Units,
    failed_write,
    index_entry,
    item_reads,
    item_size,
    item_write,
    merge,
    range_read,
    write_units,
)

Handler = Callable[[dict[str, Any], Any], Any]
EVENTBRIDGE_CHUNK_BYTES = 64 * 1024
_CONTEXT_KEY = "benchmarks.aws_meter"


@dataclass
class Invocation:
    function: str
    memory_mb: int
    duration_ms: float = 0.0  # the handler's wall time less the meter's own work inside it (`meter_ms`)
    log_bytes: int = 0
    log_lines: int = 0
    error: str | None = None
    meter_ms: float = 0.0
    # The meter's work in threads the call started, by thread: they run side by side, so their mean is taken off.
    meter_ms_by_thread: dict[int, float] = field(default_factory=dict)

    def add_meter_time(self, ms: float, own_thread: bool) -> None:
        if own_thread:
            self.meter_ms += ms
        else:
            thread = threading.get_ident()
            self.meter_ms_by_thread[thread] = self.meter_ms_by_thread.get(thread, 0.0) + ms

    def overhead_ms(self) -> float:
        threads = self.meter_ms_by_thread
        return self.meter_ms + (sum(threads.values()) / len(threads) if threads else 0.0)


@dataclass
class Request:
    service: str  # botocore's service id: dynamodb, s3, sfn, lambda, dynamodb-streams, eventbridge ...
    operation: str
    actor: str | None  # the metered function making it, a named actor (acting_as), or None
    invocation: Invocation | None
    status: int | None = None
    error: str | None = None
    attempts: int = 1
    read: Units = field(default_factory=dict)  # DynamoDB read units by (table, index)
    write: Units = field(default_factory=dict)  # DynamoDB write units by (table, index)
    written: list[tuple[str, int]] = field(default_factory=list)  # (table, item size) of every item stored
    events: int = 0  # EventBridge events, in 64 KB chunks
    body: dict[str, Any] | None = None  # the JSON request body (DynamoDB, EventBridge)
    state: Any = None  # items read before the request went out
    costing_error: str | None = None  # the meter could not price it (never raised into the product's call)
    scanned_mismatch: bool = False  # a Query/Scan read again found another number of items than it scanned


@dataclass
class Window:
    name: str
    requests: list[Request] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    counters: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_request(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def add_invocation(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)

    def count(self, name: str, amount: float = 1) -> None:
        with self._lock:
            self.counters[name] = self.counters.get(name, 0) + amount


_INVOCATION: ContextVar[Invocation | None] = ContextVar("metered_invocation", default=None)
_ACTOR: ContextVar[str | None] = ContextVar("metered_actor", default=None)
_UNMETERED: ContextVar[bool] = ContextVar("unmetered", default=False)


def _key_text(item: Item) -> str:
    return json.dumps(item, sort_keys=True)


class DynamoDBCosting:
    """The units of DynamoDB requests from their JSON bodies and the items as stored, read with `client` (a
    low-level DynamoDB client that is not metered)."""

    def __init__(self, tables: Iterable[TableModel], client: Any) -> None:
        self._tables = {t.name: t for t in tables}
        self._client = client

    def table(self, name: str) -> TableModel:
        return self._tables.get(name) or TableModel(name, ())

    # -- items as stored ----------------------------------------------------------------------------

    def _get(self, table: str, key: Item) -> Item | None:
        if not key:
            return None
        found = self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return dict(found) if found else None

    def _get_many(self, table: str, keys: list[Item]) -> dict[str, Item]:
        unique = list({_key_text(k): k for k in keys if k}.values())
        found: dict[str, Item] = {}
        model = self.table(table)
        for start in range(0, len(unique), 100):
            pending: dict[str, Any] = {table: {"Keys": unique[start : start + 100], "ConsistentRead": True}}
            while pending:
                answer = self._client.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(table, []):
                    found[_key_text(model.key(item))] = dict(item)
                pending = answer.get("UnprocessedKeys") or {}
        return found

    def _items_read(self, operation: str, body: dict[str, Any]) -> list[int]:
        """The sizes of the items a Query or Scan reads: the same request without filter or projection."""
        table = self.table(body["TableName"])
        params = {
            k: v
            for k, v in body.items()
            if k in ("TableName", "IndexName", "KeyConditionExpression", "KeyConditions", "Limit", "ExclusiveStartKey",
                     "ScanIndexForward", "ConsistentRead", "Segment", "TotalSegments")
        }  # fmt: skip
        used = set(re.findall(r"[#:][A-Za-z0-9_]+", str(body.get("KeyConditionExpression", ""))))
        names = {k: v for k, v in (body.get("ExpressionAttributeNames") or {}).items() if k in used}
        values = {k: v for k, v in (body.get("ExpressionAttributeValues") or {}).items() if k in used}
        if names:
            params["ExpressionAttributeNames"] = names
        if values:
            params["ExpressionAttributeValues"] = values
        read = getattr(self._client, "query" if operation == "Query" else "scan")
        items = [dict(i) for i in read(**params).get("Items", [])]
        index_name = body.get("IndexName")
        if not index_name:
            return [item_size(i) for i in items]
        # An index read costs its entries: the projection of the whole item, as the resource spec defines it.
        index = next((i for i in table.indexes if i.name == index_name), None)
        whole = self._get_many(table.name, [table.key(i) for i in items])
        sizes = []
        for item in items:
            stored = whole.get(_key_text(table.key(item)), item)
            sizes.append(item_size(index_entry(table, index, stored) if index else stored))
        return sizes

    # -- before the request ------------------------------------------------------------------------

    def before(self, operation: str, body: dict[str, Any]) -> Any:
        if operation == "GetItem":
            return self._get(body["TableName"], body["Key"])
        if operation == "BatchGetItem":
            return {t: self._get_many(t, list(spec.get("Keys", []))) for t, spec in body.get("RequestItems", {}).items()}
        if operation in ("Query", "Scan"):
            return self._items_read(operation, body)
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = self.table(body["TableName"])
            return self._get(table.name, table.key(body.get("Item") or body.get("Key") or {}))
        if operation == "BatchWriteItem":
            out = {}
            for name, writes in body.get("RequestItems", {}).items():
                table = self.table(name)
                keys = [
                    table.key((w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key") or {}) for w in writes
                ]
                out[name] = self._get_many(name, keys)
            return out
        if operation in ("TransactWriteItems", "TransactGetItems"):
            by_table: dict[str, list[Item]] = {}
            for entry in body.get("TransactItems", []):
                ((_, action),) = entry.items()
                table = self.table(action["TableName"])
                by_table.setdefault(table.name, []).append(table.key(action.get("Item") or action.get("Key") or {}))
            return {name: self._get_many(name, keys) for name, keys in by_table.items()}
        return None

    # -- after the answer --------------------------------------------------------------------------

    def after(self, request: Request, parsed: dict[str, Any]) -> None:
        """Fill `request`'s read/write units and the sizes of the items it stored."""
        operation, body, before, error = request.operation, request.body or {}, request.state, request.error
        if operation == "GetItem":
            request.read = item_reads(
                body["TableName"], [item_size(before) if before else None], consistent=bool(body.get("ConsistentRead"))
            )
        elif operation == "BatchGetItem":
            unprocessed = parsed.get("UnprocessedKeys") or {}
            for name, spec in body.get("RequestItems", {}).items():
                table = self.table(name)
                skipped = {_key_text(table.key(k)) for k in (unprocessed.get(name) or {}).get("Keys", [])}
                keys = [_key_text(table.key(k)) for k in spec.get("Keys", [])]
                stored = (before or {}).get(name, {})
                sizes = [item_size(stored[k]) if k in stored else None for k in keys if k not in skipped]
                merge(request.read, item_reads(name, sizes, consistent=bool(spec.get("ConsistentRead"))))
        elif operation in ("Query", "Scan"):
            if not error:
                read: list[int] = list(before or [])
                request.read = range_read(body["TableName"], body.get("IndexName"), read, consistent=bool(body.get("ConsistentRead")))
                request.scanned_mismatch = "ScannedCount" in parsed and int(parsed["ScannedCount"]) != len(read)
        elif operation == "TransactGetItems":
            if not error:
                for entry in body.get("TransactItems", []):
                    action = entry["Get"]
                    table = self.table(action["TableName"])
                    stored = (before or {}).get(table.name, {}).get(_key_text(table.key(action["Key"])))
                    merge(
                        request.read, item_reads(table.name, [item_size(stored) if stored else None], consistent=True, transactional=True)
                    )
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._single_write(request, body, before, error)
        elif operation == "BatchWriteItem":
            self._batch_write(request, body, before or {}, parsed)
        elif operation == "TransactWriteItems":
            self._transaction(request, body, before or {}, error)

    def _single_write(self, request: Request, body: dict[str, Any], before: Item | None, error: str | None) -> None:
        table = self.table(body["TableName"])
        if error == "ConditionalCheckFailedException":
            request.write = failed_write(table, before)
            return
        if error:
            return
        if request.operation == "PutItem":
            after: Item | None = body["Item"]
        elif request.operation == "UpdateItem":
            after = self._get(table.name, table.key(body["Key"]))
        else:
            after = None
        request.write = item_write(table, before, after)
        if after is not None:
            request.written.append((table.name, item_size(after)))

    def _batch_write(self, request: Request, body: dict[str, Any], before: dict[str, dict[str, Item]], parsed: dict[str, Any]) -> None:
        unprocessed = parsed.get("UnprocessedItems") or {}
        for name, writes in body.get("RequestItems", {}).items():
            table = self.table(name)
            skipped = {_key_text(w) for w in (unprocessed.get(name) or [])}
            for write in writes:
                if _key_text(write) in skipped:
                    continue
                put = (write.get("PutRequest") or {}).get("Item")
                key = table.key(put or (write.get("DeleteRequest") or {}).get("Key") or {})
                merge(request.write, item_write(table, before.get(name, {}).get(_key_text(key)), put))
                if put is not None:
                    request.written.append((name, item_size(put)))

    def _transaction(self, request: Request, body: dict[str, Any], before: dict[str, dict[str, Item]], error: str | None) -> None:
        if error and error != "TransactionCanceledException":
            return
        for entry in body.get("TransactItems", []):
            ((kind, action),) = entry.items()
            table = self.table(action["TableName"])
            key = table.key(action.get("Item") or action.get("Key") or {})
            stored = before.get(table.name, {}).get(_key_text(key))
            if error:  # cancelled: each item's prepare phase (dynamodb_capacity.failed_write)
                merge(request.write, failed_write(table, stored))
                continue
            if kind == "ConditionCheck":
                # Checked, not written: the existing item's size, as a transactional write.
                merge(request.write, {(table.name, None): 2.0 * write_units(item_size(stored))})
                continue
            after: Item | None
            if kind == "Put":
                after = action["Item"]
            elif kind == "Update":
                after = self._get(table.name, key)
            else:
                after = None
            merge(request.write, item_write(table, stored, after, transactional=True))
            if after is not None:
                request.written.append((table.name, item_size(after)))


class _LogTap(io.TextIOBase):
    """sys.stdout / sys.stderr while the meter is installed: what a metered call writes is counted and swallowed
    (in Lambda it goes to CloudWatch Logs); everything else passes through."""

    def __init__(self, through: Any) -> None:
        self._through = through

    def write(self, text: str) -> int:
        invocation = _INVOCATION.get()
        if invocation is None:
            return int(self._through.write(text))
        invocation.log_bytes += len(text.encode())
        invocation.log_lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        self._through.flush()

    def fileno(self) -> int:
        return int(self._through.fileno())

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._through, "encoding", "utf-8"))


class AwsMeter:
    def __init__(self, tables: Iterable[TableModel]) -> None:
        self._tables = tuple(tables)
        self._window: Window | None = None
        self._installed = False
        self._costing: DynamoDBCosting | None = None
        self._hooks: list[tuple[str, Callable[..., Any]]] = [
            ("request-created", self._on_request),
            ("after-call", self._on_response),
            ("after-call-error", self._on_error),
        ]
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._saved_std: tuple[Any, Any] | None = None
        self._running: list[Invocation] = []
        self._running_lock = threading.Lock()

    # -- install -----------------------------------------------------------------------------------

    def install(self) -> None:
        import boto3
        from botocore import handlers

        from leadscoring.data import aws
        from leadscoring.services import wiring

        # Made before the hooks exist, so the meter's own reads are never recorded.
        self._costing = DynamoDBCosting(self._tables, boto3.session.Session().client("dynamodb"))
        session = boto3._get_default_session()  # made (if it is not yet) before the hooks join the built-in ones
        for spec in self._hooks:
            handlers.BUILTIN_HANDLERS.append(spec)
        for event, hook in self._hooks:
            session.events.register(event, hook)
        self._tap_std()
        self._installed = True
        aws.reset()
        wiring.reset()

    def uninstall(self) -> None:
        import boto3
        from botocore import handlers

        from leadscoring.data import aws
        from leadscoring.services import wiring

        self._installed = False
        for spec in self._hooks:
            if spec in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(spec)
        session = boto3._get_default_session()
        for event, hook in self._hooks:
            session.events.unregister(event, hook)
        self._untap_std()
        aws.reset()
        wiring.reset()

    @contextmanager
    def installed(self) -> Iterator[AwsMeter]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    def _tap_std(self) -> None:
        self._saved_std = (sys.stdout, sys.stderr)
        taps = {id(sys.stdout): _LogTap(sys.stdout), id(sys.stderr): _LogTap(sys.stderr)}
        for original in (sys.__stdout__, sys.__stderr__):
            if original is not None and id(original) not in taps:
                taps[id(original)] = _LogTap(original)
        # Logging handlers keep the stream they were made with (Powertools' Logger: sys.stdout at its creation).
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                    tap = taps.get(id(handler.stream))
                    if tap is not None:
                        self._streams.append((handler, handler.stream))
                        handler.setStream(tap)
        sys.stdout, sys.stderr = taps[id(sys.stdout)], taps[id(sys.stderr)]

    def _untap_std(self) -> None:
        if self._saved_std is not None:
            sys.stdout, sys.stderr = self._saved_std
            self._saved_std = None
        for handler, stream in self._streams:
            handler.setStream(stream)
        self._streams.clear()
        # Loggers made while tapped hold a tap: point them back at what it passes through.
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if isinstance(handler, logging.StreamHandler) and isinstance(handler.stream, _LogTap):
                    handler.setStream(handler.stream._through)

    # -- windows, actors ---------------------------------------------------------------------------

    @contextmanager
    def window(self, name: str) -> Iterator[Window]:
        if self._window is not None:
            raise RuntimeError(f"window {self._window.name} is still open")
        window = Window(name)
        self._window = window
        try:
            yield window
        finally:
            window.seconds = time.perf_counter() - window.started
            self._window = None

    @contextmanager
    def acting_as(self, actor: str) -> Iterator[None]:
        """Requests made in this block (outside a metered call) are attributed to `actor`."""
        token = _ACTOR.set(actor)
        try:
            yield
        finally:
            _ACTOR.reset(token)

    @contextmanager
    def unmetered(self) -> Iterator[None]:
        """Requests made in this block (the benchmark's own) are not recorded."""
        token = _UNMETERED.set(True)
        try:
            yield
        finally:
            _UNMETERED.reset(token)

    def as_actor(self, actor: str, handler: Handler) -> Handler:
        def run(event: dict[str, Any], context: Any) -> Any:
            with self.acting_as(actor):
                return handler(event, context)

        return run

    def metered(self, function: str, handler: Handler, memory_mb: int) -> Handler:
        def run(event: dict[str, Any], context: Any) -> Any:
            window = self._window
            if window is None:
                return handler(event, context)
            invocation = Invocation(function, memory_mb)
            token = _INVOCATION.set(invocation)
            with self._running_lock:
                self._running.append(invocation)
            started = time.perf_counter()
            try:
                return handler(event, context)
            except Exception as exc:
                invocation.error = type(exc).__name__
                raise
            finally:
                invocation.duration_ms = max(0.0, (time.perf_counter() - started) * 1000 - invocation.overhead_ms())
                with self._running_lock:
                    self._running.remove(invocation)
                _INVOCATION.reset(token)
                window.add_invocation(invocation)

        return run

    # -- botocore hooks ----------------------------------------------------------------------------

    def _on_request(self, request: Any, operation_name: str, event_name: str, **_: Any) -> None:
        window = self._window
        if not self._installed or window is None or _UNMETERED.get():
            return
        started = time.perf_counter()
        self._record_request(request, operation_name, event_name, window)
        self._charge_meter_time(request.context, started)

    def _charge_meter_time(self, context: dict[str, Any], started: float) -> None:
        entry = context.get(_CONTEXT_KEY)
        invocation = entry[0].invocation if entry else None
        if invocation is not None:
            invocation.add_meter_time((time.perf_counter() - started) * 1000, own_thread=_INVOCATION.get() is invocation)

    def _record_request(self, request: Any, operation_name: str, event_name: str, window: Window) -> None:
        context = request.context
        if _CONTEXT_KEY in context:  # a retry of a request already seen: the same request, one more attempt
            context[_CONTEXT_KEY][0].attempts += 1
            return
        service = event_name.split(".")[1]
        invocation, actor = _INVOCATION.get(), _ACTOR.get()
        if invocation is None and actor is None:
            with self._running_lock:
                invocation = self._running[0] if len(self._running) == 1 else None
        recorded = Request(service, operation_name, invocation.function if invocation else actor, invocation)
        if service in ("dynamodb", "eventbridge") and request.body:
            raw = request.body
            recorded.body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        if service == "dynamodb" and self._costing is not None and recorded.body is not None:
            try:
                with self.unmetered():
                    recorded.state = self._costing.before(operation_name, recorded.body)
            except Exception as exc:  # a hook must never fail the product's request
                recorded.costing_error = f"{type(exc).__name__}: {exc}"
        if service == "eventbridge" and operation_name == "PutEvents" and recorded.body is not None:
            recorded.events = sum(
                max(1, math.ceil(len(json.dumps(entry).encode()) / EVENTBRIDGE_CHUNK_BYTES)) for entry in recorded.body.get("Entries", [])
            )
        context[_CONTEXT_KEY] = (recorded, window)

    def _on_response(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        entry = context.get(_CONTEXT_KEY)
        if entry is None:
            return
        started = time.perf_counter()
        recorded, window = entry
        try:
            self._record_response(recorded, window, http_response, parsed)
        finally:
            self._charge_meter_time(context, started)
            context.pop(_CONTEXT_KEY, None)

    def _record_response(self, recorded: Request, window: Window, http_response: Any, parsed: dict[str, Any]) -> None:
        recorded.status = int(http_response.status_code)
        if recorded.status >= 300:
            recorded.error = str((parsed.get("Error") or {}).get("Code") or recorded.status)
        if recorded.service == "dynamodb" and self._costing is not None and recorded.costing_error is None:
            try:
                with self.unmetered():
                    self._costing.after(recorded, parsed)
            except Exception as exc:  # a hook must never fail the product's request
                recorded.costing_error = f"{type(exc).__name__}: {exc}"
        recorded.state = None
        window.add_request(recorded)

    def _on_error(self, exception: Exception, context: dict[str, Any], **_: Any) -> None:
        entry = context.pop(_CONTEXT_KEY, None)
        if entry is not None:
            recorded, window = entry
            recorded.error = type(exception).__name__
            recorded.state = None
            window.add_request(recorded)
