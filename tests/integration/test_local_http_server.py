"""The local API Gateway's server answers each request on a thread of its pool, which outlives the request
(local_stack/http_server.py), so what a handler keeps per thread is built once, not for every request."""

from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local_stack.http_server import WORKERS, pooled_server


def _thread_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(threading.get_ident()).encode()]


def _get(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        return int(response.read())
    finally:
        connection.close()


def test_requests_reuse_the_pools_threads_and_the_server_stops() -> None:
    server = pooled_server("127.0.0.1", 0, _thread_app)
    port = server.server_address[1]
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        one_at_a_time = {_get(port) for _ in range(20)}
        assert len(one_at_a_time) <= 2  # a request after another finds an idle thread (a new connection each time)
        with ThreadPoolExecutor(8) as clients:
            at_once = set(clients.map(lambda _: _get(port), range(40)))
        assert threading.get_ident() not in at_once | one_at_a_time
        assert len(at_once | one_at_a_time) <= WORKERS
    finally:
        server.shutdown()
        server.server_close()
    serving.join(timeout=10)
    assert not serving.is_alive()
