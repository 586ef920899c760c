"""A tenant's scoring configuration: read, change (on the record), and model activation."""

from __future__ import annotations

from datetime import UTC, datetime

from leadscoring.data.audit import AuditRepository
from leadscoring.data.registry import ConfigRepository
from leadscoring.domain.auth import Principal
from leadscoring.domain.feature_catalog import default_features
from leadscoring.schemas.model import ActiveModel, ScoringConfig, ScoringConfigUpdate, ScoringFeature, Thresholds


class ConfigurationService:
    def __init__(self, configs: ConfigRepository, audit: AuditRepository) -> None:
        self._configs = configs
        self._audit = audit

    def get(self, client_id: str) -> ScoringConfig:
        return self._configs.get_config(client_id)

    def features(self, client_id: str) -> list[ScoringFeature]:
        return self._configs.get_features(client_id) or default_features()

    def set_thresholds(self, principal: Principal, thresholds: Thresholds) -> ScoringConfig:
        before = self._configs.get_config(principal.client_id)
        return self._save(principal, before.model_copy(update={"thresholds": thresholds}), before, "thresholds updated")

    def update(self, principal: Principal, update: ScoringConfigUpdate) -> ScoringConfig:
        """Change what the update carries (thresholds, currency, lead costs), on the record."""
        before = self._configs.get_config(principal.client_id)
        changes = {name: getattr(update, name) for name in type(update).model_fields if getattr(update, name) is not None}
        return self._save(principal, before.model_copy(update=changes), before, ", ".join(sorted(changes)) + " updated")

    def activate(self, principal: Principal, model_id: str, version: str) -> ScoringConfig:
        before = self._configs.get_config(principal.client_id)
        after = before.model_copy(update={"active_model": ActiveModel(id=model_id, version=version)})
        return self._save(principal, after, before, "model activated")

    def _save(self, principal: Principal, after: ScoringConfig, before: ScoringConfig, what: str) -> ScoringConfig:
        now = datetime.now(UTC)
        after = after.model_copy(update={"updated_at": now, "updated_by": principal.key_id})
        self._configs.put_config(principal.client_id, after)
        self._audit.record_change(
            principal.client_id,
            "config_change",
            principal.key_id,
            what,
            before=before.model_dump(mode="json", exclude={"updated_at", "updated_by"}),
            after=after.model_dump(mode="json", exclude={"updated_at", "updated_by"}),
        )
        return after
