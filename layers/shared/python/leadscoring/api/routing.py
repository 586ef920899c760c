"""Routers that register their functions from the route table, so a route's method, path and summary are written
once (in leadscoring.routes) and the OpenAPI document shows the table's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.router import Router

from leadscoring.routes import Route

Handler = TypeVar("Handler", bound=Callable[..., Any])


def resolver_path(route: Route) -> str:
    """The table's /leads/{id} as Powertools' resolver writes it: /api/v1/leadscoring/leads/<id>."""
    return re.sub(r"\{(\w+)\}", r"<\1>", route.full_path)


class TableRouter(Router):
    """A Powertools Router whose routes are route table entries; `tags` group this router's operations."""

    def __init__(self, tags: list[str]) -> None:
        super().__init__()
        self._tags = tags

    def serve(self, route: Route, **openapi: Any) -> Callable[[Handler], Handler]:
        """Registers the decorated function for `route`; `openapi` adds what only the router knows (description,
        responses, extensions)."""
        return self.route(rule=resolver_path(route), method=route.method, summary=route.summary, tags=self._tags, **openapi)
