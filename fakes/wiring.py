"""A ScoringService (on in-memory storage) installed where the API's handlers get theirs, for one block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord

from leadscoring.services import wiring
from leadscoring.services.scoring import ScoringService


class UnusedIdempotencyStore(BasePersistenceLayer):
    """Requests without an Idempotency-Key never reach the store; this one fails loudly if one does."""

    def _get_record(self, idempotency_key: str) -> DataRecord:
        raise AssertionError("no Idempotency-Key is sent here")

    def _put_record(self, data_record: DataRecord) -> None:
        raise AssertionError("no Idempotency-Key is sent here")

    def _update_record(self, data_record: DataRecord) -> None:
        raise AssertionError("no Idempotency-Key is sent here")

    def _delete_record(self, data_record: DataRecord) -> None:
        raise AssertionError("no Idempotency-Key is sent here")


@contextmanager
def installed(service: ScoringService) -> Iterator[None]:
    """Make the handlers' cached factories build on `service`: the score router calls `idempotent_scoring()`,
    whose cache is cleared here so that its next call builds an IdempotentScoring around `service`."""
    saved = {name: getattr(wiring, name) for name in ("scoring_service", "idempotency_store")}
    wiring.reset()

    def scoring_service() -> ScoringService:
        return service

    def idempotency_store(table: str) -> BasePersistenceLayer:
        return UnusedIdempotencyStore()

    wiring.scoring_service = scoring_service  # type: ignore[assignment]  # a plain function in place of the lru_cache'd one
    wiring.idempotency_store = idempotency_store  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(wiring, name, value)
        wiring.reset()
