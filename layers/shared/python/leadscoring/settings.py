"""The environment a function runs in, validated once at cold start."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, SecretStr, model_validator

MIN_CURSOR_KEY = 32  # characters of the key that signs cursors


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
    # How long one attempt of an AWS call waits for the answer (data/aws.py; within a handler's time limit, no longer
    # than what is left of it). The integration tests give moto on a loaded machine more.
    aws_read_timeout_seconds: float = Field(default=10.0, alias="AWS_READ_TIMEOUT_SECONDS", gt=0)
    # The key that signs pagination cursors (HMAC-SHA256), one of: deployed, the ARN of the Secrets Manager secret
    # CDK generates (read on first use, see cursor_key); the local stack and tests, the key itself.
    cursor_key: SecretStr | None = Field(default=None, alias="CURSOR_KEY", min_length=MIN_CURSOR_KEY)
    cursor_key_secret_arn: str | None = Field(default=None, alias="CURSOR_KEY_SECRET_ARN", min_length=1)

    @model_validator(mode="after")
    def _one_cursor_key(self) -> Settings:
        if (self.cursor_key is None) == (self.cursor_key_secret_arn is None):
            raise ValueError(f"set exactly one of CURSOR_KEY (the key, at least {MIN_CURSOR_KEY} characters) and CURSOR_KEY_SECRET_ARN")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def cursor_key() -> bytes:
    """The key that signs pagination cursors: CURSOR_KEY, or the secret CURSOR_KEY_SECRET_ARN names, read once per
    container when a cursor is first made or read (the scoring path's cold start does not wait for it)."""
    settings = get_settings()
    if settings.cursor_key is not None:
        return settings.cursor_key.get_secret_value().encode()
    from leadscoring.data import aws

    value = str(aws.secretsmanager().get_secret_value(SecretId=settings.cursor_key_secret_arn)["SecretString"])
    if len(value) < MIN_CURSOR_KEY:
        raise ValueError(f"the secret CURSOR_KEY_SECRET_ARN names has fewer than {MIN_CURSOR_KEY} characters")
    return value.encode()
