"""Demo data: a tenant with a trained, active baseline model and scored leads with known outcomes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3

from leadscoring.data.keys import lead_item_key
from leadscoring.demo_data import DemoLead, generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.resources import LEADS
from leadscoring.routes import Role
from leadscoring.schemas.conversion import ConversionUpdate
from leadscoring.schemas.lead import ConversionStatus, Lead, LeadInput
from leadscoring.schemas.model import LeadCosts, ModelDefinition, ScoringConfigUpdate
from leadscoring.services import wiring
from leadscoring.training.trainer import train_model

DEMO_CLIENT = "demo"
BASELINE_MODEL = "baseline"
HISTORY_ROWS = 3000
SEEDED_LEADS = 200
SPREAD_DAYS = 60  # demo leads are created over the last two months, so the Performance page has history
DEMO_COSTS = {
    "paid_search": 60.0,
    "trade_show": 120.0,
    "webinar": 40.0,
    "partner": 50.0,
    "social": 30.0,
    "referral": 15.0,
    "organic_search": 10.0,
}
OPEN_DAYS = 14  # leads younger than this are still being worked: some contacted or qualified, none closed


@dataclass(frozen=True)
class SeedResult:
    model_version: str
    roc_auc: float
    leads: int


def seed_tenant(client_id: str = DEMO_CLIENT, leads: int = SEEDED_LEADS, history: int = HISTORY_ROWS) -> SeedResult:
    """Train the first model on generated history, activate it, then score demo leads through the product's path."""
    system = Principal(client_id=client_id, role=Role.ADMIN, key_id="system")
    registry = wiring.model_registry()
    existing = registry.list_versions(client_id)
    if existing:
        active = wiring.config_repository().get_config(client_id).active_model
        version = active.version if active else existing[-1].version
        return SeedResult(version, existing[-1].roc_auc or 0.0, 0)

    past = generate(history, seed=11)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in past]
    trained = train_model(
        rows, [d.converted for d in past], default_features(), BASELINE_MODEL, "1", "Baseline logistic regression", created_by="bootstrap"
    )
    now = trained.model.created_at
    definition = ModelDefinition(
        id=BASELINE_MODEL, name=trained.model.name, model_type="logistic_regression", created_at=now, updated_at=now, created_by="bootstrap"
    )
    registry.create_definition(client_id, definition)
    registry.register(client_id, trained.model, trained.onnx_bytes, trained.metadata)
    wiring.configuration_service().activate(system, BASELINE_MODEL, "1")
    # Demo acquisition costs, so the Performance page shows cost per conversion and ROI from the start.
    wiring.configuration_service().update(system, ScoringConfigUpdate(cost_per_lead=LeadCosts(default=25.0, by_source=DEMO_COSTS)))

    scoring, conversions = wiring.scoring_service(), wiring.conversion_service()
    rng = random.Random(43)
    now = datetime.now(UTC)
    for i, demo in enumerate(generate(leads, seed=29)):
        lead = scoring.score_lead(system, LeadInput.model_validate(demo.lead))
        # Oldest first: lead i of n was created (n - i) / n of the spread ago; the newest fifth are still open.
        created = now - timedelta(days=SPREAD_DAYS * (leads - i) / leads, hours=rng.uniform(0, 6))
        lead = _backdate(lead, created)
        for status, when, revenue in _progress(demo, created, now, open_=i >= leads * 4 // 5, rng=rng):
            conversions.record(system, lead.id, ConversionUpdate(conversion_status=status, conversion_date=when, revenue=revenue))
    return SeedResult("1", trained.model.roc_auc or 0.0, leads)


def _backdate(lead: Lead, created: datetime) -> Lead:
    """Demo history: move a just-scored lead's creation back in time (the stream carries the move to the aggregates)."""
    stamp = created.isoformat()
    boto3.resource("dynamodb").Table(LEADS.local_name).update_item(
        Key=lead_item_key(lead.client_id, lead.id),
        UpdateExpression="SET created_at = :c, updated_at = :c",
        ExpressionAttributeValues={":c": stamp},
    )
    return lead.model_copy(update={"created_at": created, "updated_at": created})


def _progress(
    demo: DemoLead, created: datetime, now: datetime, open_: bool, rng: random.Random
) -> list[tuple[ConversionStatus, datetime, float | None]]:
    """The status changes a demo lead went through, dated between its creation and now."""
    if open_:
        path: list[ConversionStatus] = rng.choice([[], [], ["contacted"], ["contacted", "qualified"], ["qualified"]])
    elif demo.converted:
        path = rng.choice([["contacted", "qualified", "converted"], ["qualified", "converted"], ["converted"]])
    else:
        path = rng.choice([["contacted", "lost"], ["contacted", "qualified", "lost"], ["lost"]])
    span = (now - created) * 0.9
    steps = []
    for n, status in enumerate(path, start=1):
        revenue = demo.revenue if status == "converted" else None
        steps.append((status, created + span * n / len(path), revenue))
    return steps
