"""moto's server with HTTP keep-alive and its per-request lookups done once.

- Keep-alive. werkzeug's development server answers every request with `Connection: close` (http.server cannot
  tell where an unread request body ends), so each boto3 call opened a TCP connection and the server started a
  thread for it: a score makes six calls, each paying connect, accept, a thread and its teardown. Here the
  request body is read whole before moto sees it (so the next request always starts where this one ended), the
  response is sent with its length, and the connection stays open for the client's next call, as DynamoDB's
  endpoints do. A request this cannot frame (a chunked body, HTTP/1.0) is left to werkzeug, which closes it.
- moto's dispatcher finds each request's backend by listing moto's package directory and matching the host
  against every service's URL patterns, under a lock every request waits on; and each action call lists the
  response class's methods with `inspect.getmembers`. Both answers depend only on their input and never change
  while the server runs, so each is worked out once.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import socket
import threading
from typing import Any

from moto.core import responses as moto_responses
from moto.moto_server import threaded_moto_server
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import connection_dropped_errors

_NO_BODY_STATUSES = frozenset({204, 304})
_original_get_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_original_stop = ThreadedMotoServer.stop
_installed = False
_werkzeug_log = logging.getLogger("werkzeug")
_lock = threading.Lock()


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, keeping the connection open between requests whose bodies have a length."""

    def setup(self) -> None:
        super().setup()
        # The headers and the body are two writes: without this, Nagle's algorithm holds the body back until the
        # client acknowledges the headers, which it delays by 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _open_connections(self.server).add(self.connection)

    def finish(self) -> None:
        _open_connections(self.server).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        framed = "Transfer-Encoding" not in self.headers and (length is None or length.isdigit())
        if not framed or self.request_version != "HTTP/1.1":
            super().run_wsgi()  # werkzeug's own way, which closes the connection
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self.rfile.read(int(length)) if length else b""
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            status, headers, payload = self._call(environ)
        except connection_dropped_errors as error:
            self.connection_dropped(error, environ)
            self.close_connection = True
            return
        except Exception as error:
            if self.server.passthrough_errors:
                raise
            self.server.log("error", f"Error on request: {error!r}")
            status, headers, payload = self._call(environ, InternalServerError())
        self._respond(status, headers, payload)

    def _call(self, environ: dict[str, Any], app: Any = None) -> tuple[str, list[tuple[str, str]], bytes]:
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]  # nothing is sent before the app returns, so a later call replaces it
            return written.append

        result = (app or self.server.app)(environ, start_response)
        try:
            written.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = started
        return status, headers, b"".join(written)

    def _respond(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        self.send_response(code, reason)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        carries_body = self.command != "HEAD" and code >= 200 and code not in _NO_BODY_STATUSES
        if "content-length" not in names and carries_body:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if carries_body:
            self.wfile.write(payload)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats the line before its logger decides to drop it (start_moto sets it to ERROR).
        if _werkzeug_log.isEnabledFor(logging.INFO):
            super().log_request(code, size)


def _open_connections(server: Any) -> set[socket.socket]:
    connections: set[socket.socket] | None = getattr(server, "_keep_alive_connections", None)
    if connections is None:
        with _lock:
            connections = server.__dict__.setdefault("_keep_alive_connections", set())
    assert connections is not None
    return connections


def _stop(self: ThreadedMotoServer) -> None:
    """Stop as moto does, then end the connections still open, so no client reaches a stopped server."""
    server = self._server
    _original_stop(self)
    for connection in list(_open_connections(server)) if server is not None else []:
        with contextlib.suppress(OSError):  # already closed by its client
            connection.shutdown(socket.SHUT_RDWR)


@functools.cache
def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    return _original_get_backend_for_host(self, host)


@functools.cache
def _method_names(cls: type) -> frozenset[str]:
    return frozenset(_original_method_names(cls))


_original_method_names = moto_responses.method_names_from_class


def install() -> None:
    """Serve moto with keep-alive and remember its per-request lookups (idempotent)."""
    global _installed
    if _installed:
        return
    threaded_moto_server.MotoRequestHandler = KeepAliveRequestHandler  # type: ignore[misc]  # what _server_entry builds
    ThreadedMotoServer.stop = _stop  # type: ignore[method-assign]
    DomainDispatcherApplication.get_backend_for_host = _backend_for_host  # type: ignore[method-assign]
    moto_responses.method_names_from_class = _method_names  # type: ignore[assignment]
    _installed = True
