"""A tenant's scoring configuration and feature definitions: read, change (on the record), and model activation."""

from __future__ import annotations

from datetime import UTC, datetime

from leadscoring.data.audit import AuditRepository
from leadscoring.data.registry import ConfigRepository
from leadscoring.domain.auth import Principal
from leadscoring.domain.errors import FeatureExists, InvalidInput, NotFound
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.feature_definitions import MAX_FEATURES, definition_problems
from leadscoring.schemas.model import ActiveModel, FeatureUpdate, ScoringConfig, ScoringConfigUpdate, ScoringFeature, Thresholds
from leadscoring.training.transformations import InvalidFeatureDefinition, parse_transformation


class ConfigurationService:
    def __init__(self, configs: ConfigRepository, audit: AuditRepository) -> None:
        self._configs = configs
        self._audit = audit

    def get(self, client_id: str) -> ScoringConfig:
        return self._configs.get_config(client_id)

    def features(self, client_id: str) -> list[ScoringFeature]:
        return self._configs.get_features(client_id) or default_features()

    def create_feature(self, principal: Principal, feature: ScoringFeature) -> ScoringFeature:
        """Add a feature definition, on the record. Leads may carry it at once; models use it from their next training."""
        _check_definition(feature)
        stored = self._configs.get_features(principal.client_id)
        current = default_features() if stored is None else stored
        if any(f.name == feature.name for f in current):
            raise _exists(feature.name)
        if len(current) >= MAX_FEATURES:
            detail = {"field": "name", "message": "too many features", "type": "limit"}
            raise InvalidInput(f"A client has at most {MAX_FEATURES} features", [detail])
        if stored is None:  # the catalog becomes the client's own, so adding one keeps the rest
            self._configs.put_features(principal.client_id, current)
        if not self._configs.put_feature(principal.client_id, feature, new=True):  # created in between
            raise _exists(feature.name)
        self._record(principal, f"feature {feature.name} created", feature.name, None, feature)
        return feature

    def update_feature(self, principal: Principal, name: str, update: FeatureUpdate) -> ScoringFeature:
        """Change what the update carries, on the record; the name never changes."""
        stored = self._configs.get_features(principal.client_id)
        current = default_features() if stored is None else stored
        before = next((f for f in current if f.name == name), None)
        if before is None:
            raise NotFound(f"No feature named {name}")
        after = ScoringFeature.model_validate({**before.model_dump(), **update.model_dump(exclude_unset=True)})
        _check_definition(after)
        if after == before:
            return before
        if stored is None:
            self._configs.put_features(principal.client_id, current)
        if not self._configs.put_feature(principal.client_id, after, new=False):
            raise NotFound(f"No feature named {name}")
        self._record(principal, f"feature {name} updated", name, before, after)
        return after

    def _record(self, principal: Principal, what: str, name: str, before: ScoringFeature | None, after: ScoringFeature) -> None:
        self._audit.record_change(
            principal.client_id,
            "config_change",
            principal.key_id,
            what,
            feature=name,
            before=None if before is None else before.model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )

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


def _check_definition(feature: ScoringFeature) -> None:
    """422 with every problem of the definition, the transformation's included (the trainer's own parser)."""
    problems = definition_problems(feature)
    try:
        parse_transformation(feature)
    except InvalidFeatureDefinition as exc:
        problems.append({"field": "transformation", "message": str(exc.details[0]["message"]), "type": "invalid_transformation"})
    if problems:
        raise InvalidInput(f"Feature '{feature.name}' cannot be used as defined", problems)


def _exists(name: str) -> FeatureExists:
    detail = {"field": "name", "message": "choose another name, or update that feature", "type": "exists"}
    return FeatureExists(f"A feature named {name} already exists", [detail])
