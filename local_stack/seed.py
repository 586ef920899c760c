"""Demo data: a tenant with a trained, active baseline model and scored leads with known outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from leadscoring.demo_data import generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.routes import Role
from leadscoring.schemas.lead import ConversionStatus, LeadInput
from leadscoring.schemas.model import ModelDefinition
from leadscoring.services import wiring
from leadscoring.training.trainer import train_model

DEMO_CLIENT = "demo"
BASELINE_MODEL = "baseline"
HISTORY_ROWS = 3000
SEEDED_LEADS = 200


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

    scoring, repository = wiring.scoring_service(), wiring.lead_repository()
    for i, demo in enumerate(generate(leads, seed=29)):
        lead = scoring.score_lead(system, LeadInput.model_validate(demo.lead))
        # Most demo leads have a known outcome; the newest fifth are still open.
        if i < leads * 4 // 5:
            status: ConversionStatus = "converted" if demo.converted else "lost"
            repository.set_outcome(client_id, lead.id, status, lead.scored_at.isoformat(), demo.revenue)
    return SeedResult("1", trained.model.roc_auc or 0.0, leads)
