"""Browser suite: Debian's Chromium, headless, driven by Playwright against the real local stack.

The stack is the e2e suite's (`python -m local_stack` on free ports); Playwright's own browser downloads are
never used. Every page records its console errors, uncaught exceptions and failed or 4xx/5xx requests; a
test fails unless it names each one it expected. Screenshots go to build/test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Request, Response, expect, sync_playwright

from tests.e2e import conftest as e2e
from tests.e2e.conftest import ROOT, Stack

pytest_terminal_summary = e2e.pytest_terminal_summary
if os.environ.get("DASHBOARD_TEST_BASE"):
    # Against a stack that is already running (`make run`): DASHBOARD_TEST_BASE=http://127.0.0.1:8080 and its
    # LEADSCORING_API_KEY. Handy while working on the dashboard; `make test` always starts its own.
    @pytest.fixture(scope="session")
    def stack() -> Stack:
        return Stack(os.environ["DASHBOARD_TEST_BASE"].rstrip("/"), os.environ["LEADSCORING_API_KEY"], None)  # type: ignore[arg-type]

else:
    # The e2e suite's fixture: one `python -m local_stack` per session on free ports, its output on failure.
    stack = e2e.stack

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium phones home, and the closed network refuses it noisily.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "build" / "test-artifacts" / "screenshots"
KEY_STORAGE = "leadscoring.apiKey"
# Waits for the app (first paint, a report, a feed poll); generous because two cores are shared.
UI_TIMEOUT_MS = 30_000
expect.set_options(timeout=UI_TIMEOUT_MS)  # assertions wait as long as actions


@dataclass
class Watched:
    """A page and everything that went wrong on it."""

    page: Page
    problems: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        """A problem this test provokes on purpose (e.g. the 401 of a bad key)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(e.search(p) for e in self.expected)]

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def _watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            watched.problems.append(f"console {message.type}: {message.text} @ {message.location.get('url', '')}")

    def on_request_failed(request: Request) -> None:
        # The app aborts a superseded report or the feed poll of a page it leaves: a cancellation, not a failure.
        if request.failure != "net::ERR_ABORTED":
            watched.problems.append(f"request failed: {request.method} {urlsplit(request.url).path} {request.failure}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            watched.problems.append(f"HTTP {response.status}: {response.request.method} {urlsplit(response.url).path}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    return watched


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-browser` installs Debian's chromium package")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_page(browser: Browser, stack: Stack) -> Iterator[Callable[..., Watched]]:
    """Opens watched pages (a fresh browser context each: its own sessionStorage) and checks them at the end."""
    contexts: list[BrowserContext] = []
    pages: list[Watched] = []

    def open_(viewport: dict[str, int] = LAPTOP) -> Watched:
        context = browser.new_context(base_url=stack.base, viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        pages.append(_watch(context.new_page()))
        return pages[-1]

    yield open_
    problems = [p for watched in pages for p in watched.unexpected()]
    for context in contexts:
        context.close()
    assert not problems, "console errors or failed requests:\n" + "\n".join(problems)


@pytest.fixture
def page(open_page: Callable[..., Watched]) -> Watched:
    return open_page()


def sign_in(watched: Watched, key: str, path: str = "/") -> None:
    page = watched.page
    page.goto(path)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def wait_for_report(watched: Watched) -> None:
    """Until the Performance page has drawn a report (or its error), whichever request came last."""
    watched.page.wait_for_function(
        "() => { const r = document.getElementById('report'); return r && !r.hasAttribute('aria-busy') && "
        "document.getElementById('report-status').textContent !== 'Loading…' }"
    )


def api_get(stack: Stack, url: str) -> Any:
    """GET the API at url (as the page requested it: path and query), with the demo admin key."""
    parts = urlsplit(url)
    reply = stack.request("GET", f"{parts.path}?{parts.query}", stack.api_key)
    assert reply.status == 200, (url, reply.raw[:500])
    return reply.json


def chart(watched: Watched, canvas_id: str) -> dict[str, Any]:
    """The data of the Chart.js instance on a canvas, and how many elements it drew per dataset."""
    return dict(
        watched.page.evaluate(
            """id => {
                const c = Chart.getChart(document.getElementById(id));
                if (!c) return null;
                return {
                    type: c.config.type,
                    labels: c.data.labels,
                    datasets: c.data.datasets.map(d => ({label: d.label, data: d.data})),
                    drawn: c.data.datasets.map((d, i) => c.getDatasetMeta(i).data.length),
                    width: c.width, height: c.height,
                };
            }""",
            canvas_id,
        )
        or {}
    )


def json_attribute(watched: Watched, selector: str, name: str) -> Any:
    value = watched.page.locator(selector).get_attribute(name)
    assert value is not None, f"{selector} has no {name}"
    return json.loads(value)
