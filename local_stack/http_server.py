"""The local API Gateway's HTTP server: werkzeug's, with a fixed pool of threads instead of a new one per connection.

werkzeug's threaded server starts a thread for every connection and closes every connection after one request,
so each request ran on a thread that had never run one before. What the handlers keep per thread (the DynamoDB
resource, data/aws.py: boto3's are not thread-safe) was then built again for every request, a third of what a
score cost the local stack. A pool keeps its threads, as Lambda keeps a warm execution environment for the next
request; at most WORKERS requests are handled at once and the rest wait their turn in the pool's queue.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werkzeug.serving import BaseWSGIServer

WORKERS = 16  # concurrent requests: more than a dashboard page or a load test at concurrency 8 sends


class PooledWSGIServer(BaseWSGIServer):
    multithread = True  # werkzeug's environ says so, and it speaks HTTP/1.1 as for its threaded server
    daemon_threads = True

    def __init__(self, host: str, port: int, app: Any, workers: int = WORKERS) -> None:
        super().__init__(host, port, app)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="local-gateway")

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        # socketserver.ThreadingMixIn.process_request_thread, on a pool thread
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def pooled_server(host: str, port: int, app: Any) -> PooledWSGIServer:
    """A server for `app` on host:port (0: a free one); serve_forever() to run it, shutdown() to stop."""
    return PooledWSGIServer(host, port, app)
