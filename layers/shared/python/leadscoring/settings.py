"""The environment a function runs in, validated once at cold start."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Read from environment variables named by each field's alias (a plain model: pydantic-settings would add
    about 0.05 s of imports to every cold start for features these functions do not use)."""

    leads_table: str = Field(alias="LEADS_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    registry_table: str = Field(alias="REGISTRY_TABLE")
    api_keys_table: str = Field(alias="API_KEYS_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    aggregates_table: str = Field(alias="AGGREGATES_TABLE")
    models_bucket: str = Field(alias="MODELS_BUCKET")
    batch_bucket: str = Field(alias="BATCH_BUCKET")
    # Set where training runs (the models function starts them); unset, training answers 503.
    training_state_machine_arn: str | None = Field(default=None, alias="TRAINING_STATE_MACHINE_ARN")
    # Set where batch file jobs start (the batch_score function); unset, file jobs answer 503.
    batch_state_machine_arn: str | None = Field(default=None, alias="BATCH_STATE_MACHINE_ARN")
    # How long a container trusts its copy of a tenant's config (thresholds, active model) before re-reading.
    config_cache_seconds: float = Field(default=5.0, alias="CONFIG_CACHE_SECONDS", ge=0)
    max_body_bytes: int = Field(default=1_048_576, alias="MAX_BODY_BYTES", gt=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
