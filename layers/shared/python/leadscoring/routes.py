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
    # Answered without an API key: API Gateway calls no authorizer (CDK: authorization NONE), nor does the local gateway.
    public: bool = False

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


# Each entry is written once: the routers register their functions from these (api/routing.py), so the method,
# path and summary the OpenAPI shows are the table's.
# Lead scoring
SCORE = Route("POST", "/score", "score", WRITERS_OF_LEADS, "Score a lead")
LIST_LEADS = Route("GET", "/leads", "score", ALL_ROLES, "List scored leads")
GET_LEAD = Route("GET", "/leads/{id}", "score", ALL_ROLES, "Get one scored lead")
RECORD_CONVERSION = Route("POST", "/leads/{id}/conversion", "score", WRITERS_OF_LEADS, "Record a lead's conversion status")
CONVERSION_HISTORY = Route("GET", "/leads/{id}/conversions", "score", ALL_ROLES, "A lead's conversion history")
PERFORMANCE = Route("GET", "/performance", "analytics", READERS, "Get performance metrics")
ANALYTICS = Route("GET", "/analytics", "analytics", READERS, "Get analytics data")
BATCH_SCORE = Route(
    "POST",
    "/batch-score",
    "batch_score",
    WRITERS_OF_LEADS,
    "Score multiple leads (200), or start a batch file job (202, or 201 with an upload URL)",
)
START_BATCH_JOB = Route(
    "POST", "/batch-score/{job_id}/start", "batch_score", WRITERS_OF_LEADS, "Start a batch file job once its file is uploaded (202)"
)
GET_BATCH_JOB = Route(
    "GET",
    "/batch-score/{job_id}",
    "batch_score",
    ALL_ROLES,
    "Get a batch file job: status, progress, counts, and presigned links to its results and error files",
)
# Model management
LIST_MODELS = Route("GET", "/models", "models", READERS, "List scoring models (every registered version)")
CREATE_MODEL = Route("POST", "/models", "models", ADMINS, "Create new model (201): what to train (type, features, thresholds)")
GET_MODEL = Route("GET", "/models/{id}", "models", READERS, "Get a model: definition, versions, training runs and their status")
UPDATE_MODEL = Route("PUT", "/models/{id}", "models", ADMINS, "Update model")
# Starts the training workflow; the steps themselves run in the `train` container function.
TRAIN_MODEL = Route("POST", "/models/{id}/train", "models", ADMINS, "Train model: starts the training workflow (202)")
DEPLOY_MODEL = Route("POST", "/models/{id}/deploy", "models", ADMINS, "Deploy a model version (deploying an older one is the rollback)")
MODEL_PERFORMANCE = Route("GET", "/models/{id}/performance", "models", READERS, "Get model performance: every version's holdout metrics")
# Configuration
GET_CONFIG = Route("GET", "/config", "config", READERS, "Get scoring configuration")
UPDATE_CONFIG = Route(
    "PUT", "/config", "config", ADMINS, "Update configuration (thresholds, currency, cost per lead); recorded in the audit trail"
)
LIST_FEATURES = Route("GET", "/features", "config", READERS, "List scoring features")
CREATE_FEATURE = Route(
    "POST", "/features", "config", ADMINS, "Create feature (201); leads may carry it at once, models use it from their next training"
)
UPDATE_FEATURE = Route("PUT", "/features/{id}", "config", ADMINS, "Update feature (the id is its name; recorded in the audit trail)")
# Audit
LIST_AUDIT_EVENTS = Route("GET", "/audit/events", "audit", READERS, "List audit events (decisions and changes), newest first")
DATA_QUALITY = Route("GET", "/audit/data-quality", "audit", READERS, "Data quality of recent leads: completeness, ranges, freshness")
DRIFT = Route("GET", "/audit/drift", "audit", READERS, "Model drift: score, feature and performance drift against training")
BIAS = Route("GET", "/audit/bias", "audit", READERS, "Bias detection: qualification and outcomes compared across groups")
# Documentation: what the local stack served without a key, the deployed API serves the same way.
OPENAPI_DOCUMENT = Route("GET", "/openapi.json", "config", ALL_ROLES, "The OpenAPI document of this API (no API key needed)", public=True)

ROUTES: tuple[Route, ...] = (
    SCORE,
    LIST_LEADS,
    GET_LEAD,
    RECORD_CONVERSION,
    CONVERSION_HISTORY,
    PERFORMANCE,
    ANALYTICS,
    BATCH_SCORE,
    START_BATCH_JOB,
    GET_BATCH_JOB,
    LIST_MODELS,
    CREATE_MODEL,
    GET_MODEL,
    UPDATE_MODEL,
    TRAIN_MODEL,
    DEPLOY_MODEL,
    MODEL_PERFORMANCE,
    GET_CONFIG,
    UPDATE_CONFIG,
    LIST_FEATURES,
    CREATE_FEATURE,
    UPDATE_FEATURE,
    LIST_AUDIT_EVENTS,
    DATA_QUALITY,
    DRIFT,
    BIAS,
    OPENAPI_DOCUMENT,
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
