"""The dashboard as CloudFront serves it: build/dashboard (built by `make dashboard`) with the same headers.

The app's routes answer index.html (deep links reload to the right page), files under /assets/ are served
with their content type, and any other path is a 404: index.html for a browser (the app shows its not-found
view), the API's JSON error for any other client. The routes and the security headers come from
dashboard/site.json, which the CDK construct (CloudFront) reads too.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from werkzeug.wrappers import Request, Response

from leadscoring.api.errors import error_body

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "build" / "dashboard"
SITE_FILE = ROOT / "dashboard" / "site.json"
ASSETS_PREFIX = "/assets/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".map": "application/json",
}
# index.html names the content-hashed asset folder, so it is revalidated; the assets never change.
INDEX_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"


SITE = json.loads(SITE_FILE.read_text())
APP_ROUTES: frozenset[str] = frozenset(SITE["routes"])
SECURITY_HEADERS: dict[str, str] = dict(SITE["headers"])


class DashboardSite:
    def __init__(self, site_dir: Path = SITE_DIR) -> None:
        self.site_dir = site_dir.resolve()
        self.headers = SECURITY_HEADERS

    def serve(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if request.method not in ("GET", "HEAD"):
            return self._text(405, "Method not allowed")
        if request.path.startswith(ASSETS_PREFIX):
            return self._asset(request.path)
        if path in APP_ROUTES:
            return self._index(200)
        if "text/html" in request.headers.get("Accept", ""):
            return self._index(404)
        return Response(json.dumps(error_body("NOT_FOUND", "No such page")), status=404, content_type="application/json")

    def _index(self, status: int) -> Response:
        index = self.site_dir / "index.html"
        if not index.is_file():
            return self._text(503, "The dashboard is not built: run `make dashboard` (or `make run`, which builds it).")
        return self._response(index.read_bytes(), status, CONTENT_TYPES[".html"], INDEX_CACHE)

    def _asset(self, path: str) -> Response:
        file = (self.site_dir / path.lstrip("/")).resolve()
        # resolve() folds any ../ away; anything outside the site folder is simply not there.
        if not file.is_relative_to(self.site_dir / "assets") or not file.is_file():
            return self._text(404, "Not found")
        content_type = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return self._response(file.read_bytes(), 200, content_type, ASSET_CACHE)

    def _response(self, body: bytes, status: int, content_type: str, cache: str) -> Response:
        return Response(body, status=status, headers={**self.headers, "Content-Type": content_type, "Cache-Control": cache})

    def _text(self, status: int, message: str) -> Response:
        return Response(message, status=status, headers={**self.headers, "Content-Type": "text/plain; charset=utf-8"})
