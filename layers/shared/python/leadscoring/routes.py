"""The one route table: every API endpoint, the function that serves it and who may call it.

It drives the CDK REST API, the local gateway, the authorizer's policy and the OpenAPI document;
tests fail when a function's resolver disagrees with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leadscoring import API_PREFIX


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    INTEGRATION = "integration"


ALL_ROLES = frozenset(Role)
READERS = frozenset({Role.ADMIN, Role.ANALYST})
ADMINS = frozenset({Role.ADMIN})
WRITERS_OF_LEADS = frozenset({Role.ADMIN, Role.INTEGRATION})


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # relative to API_PREFIX, with {param} placeholders as API Gateway writes them
    function: str  # folder under functions/
    roles: frozenset[Role]
    summary: str

    @property
    def full_path(self) -> str:
        return API_PREFIX + self.path

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(self.full_path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        )

    def allows(self, role: Role) -> bool:
        return role in self.roles


ROUTES: tuple[Route, ...] = (
    # Lead scoring
    Route("POST", "/score", "score", WRITERS_OF_LEADS, "Score a lead"),
    Route("GET", "/leads", "score", ALL_ROLES, "List scored leads"),
    Route("GET", "/leads/{id}", "score", ALL_ROLES, "Get one scored lead"),
    Route("POST", "/leads/{id}/conversion", "score", WRITERS_OF_LEADS, "Record a lead's conversion status"),
    Route("GET", "/leads/{id}/conversions", "score", ALL_ROLES, "A lead's conversion history"),
    Route("GET", "/performance", "analytics", READERS, "Get performance metrics"),
    Route("GET", "/analytics", "analytics", READERS, "Get analytics data"),
    Route("POST", "/batch-score", "batch_score", WRITERS_OF_LEADS, "Score multiple leads"),
    Route("POST", "/batch-score/{job_id}/start", "batch_score", WRITERS_OF_LEADS, "Start a batch file job after its upload"),
    Route("GET", "/batch-score/{job_id}", "batch_score", ALL_ROLES, "Get a batch file job: status, progress, counts, files"),
    # Model management
    Route("GET", "/models", "models", READERS, "List scoring models"),
    Route("POST", "/models", "models", ADMINS, "Create new model"),
    Route("GET", "/models/{id}", "models", READERS, "Get a model with its versions and training runs"),
    Route("PUT", "/models/{id}", "models", ADMINS, "Update model"),
    # Starts the training workflow; the steps themselves run in the `train` container function.
    Route("POST", "/models/{id}/train", "models", ADMINS, "Train model"),
    Route("POST", "/models/{id}/deploy", "models", ADMINS, "Deploy model"),
    Route("GET", "/models/{id}/performance", "models", READERS, "Get model performance"),
    # Configuration
    Route("GET", "/config", "config", READERS, "Get scoring configuration"),
    Route("PUT", "/config", "config", ADMINS, "Update configuration"),
    Route("GET", "/features", "config", READERS, "List scoring features"),
    Route("POST", "/features", "config", ADMINS, "Create feature"),
    Route("PUT", "/features/{id}", "config", ADMINS, "Update feature"),
    # Audit
    Route("GET", "/audit/events", "audit", READERS, "List audit events (decisions and changes)"),
    Route("GET", "/audit/data-quality", "audit", READERS, "Data quality of recent leads: completeness, ranges, freshness"),
    Route("GET", "/audit/drift", "audit", READERS, "Model drift: score, feature and performance drift against training"),
    Route("GET", "/audit/bias", "audit", READERS, "Bias detection: qualification and outcomes compared across groups"),
)

FUNCTIONS: tuple[str, ...] = tuple(sorted({r.function for r in ROUTES}))


def routes_of(function: str) -> tuple[Route, ...]:
    return tuple(r for r in ROUTES if r.function == function)


def match(method: str, full_path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and path parameters for a concrete request path, or None."""
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(full_path)
            if found:
                return route, found.groupdict()
    return None


def find(method: str, resource: str) -> Route | None:
    """The route for an API Gateway resource template such as /api/v1/leadscoring/leads/{id}."""
    for route in ROUTES:
        if route.method == method and route.full_path == resource:
            return route
    return None
