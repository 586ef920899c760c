"""The container's service wiring, as the suites and `make run` rely on it."""

from __future__ import annotations

from leadscoring.services import wiring


def test_reset_forgets_every_built_service(moto_endpoint: str) -> None:
    idempotent, batch = wiring.idempotent_scoring(), wiring.batch_scoring()
    wiring.reset()
    assert wiring.idempotent_scoring() is not idempotent
    assert wiring.batch_scoring() is not batch
