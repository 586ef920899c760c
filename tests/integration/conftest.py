"""Integration suite: one moto server over real HTTP, one seeded tenant, the real gateway, authorizer and handlers.

Everything is session-scoped so the suite stays fast; tests that change a tenant's configuration make their own
tenant with `make_tenant` (a copy of the seeded tenant's model, no retraining).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from werkzeug.test import Client

from .support import Api, Tables

if TYPE_CHECKING:  # imported by the fixtures themselves, once the moto server's environment is set
    from local_stack.gateway import LocalGateway
    from local_stack.streams import StreamPoller

SEEDED = "acme"
SEEDED_LEADS = 30
MODEL_ID = "baseline"


@dataclass(frozen=True)
class Tenant:
    client_id: str
    admin: str
    analyst: str
    integration: str

    def key(self, role: str) -> str:
        return str(getattr(self, role))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from local_stack.moto_stack import moto_stack

    environment = {
        # Thresholds and model swaps must show on the very next request.
        "CONFIG_CACHE_SECONDS": "0",
        # Metrics on, as deployed: their output is part of what the privacy tests inspect.
        "POWERTOOLS_METRICS_DISABLED": "false",
        # A loaded 2-core machine (two workers, each with its moto server, running training and batch jobs in-process)
        # makes moto slow, not broken: an AWS call waits longer for its answer than against DynamoDB (a timed-out read
        # is retried while moto still works on it, which only adds load), and an API request's time limit (data/aws.py:
        # a dependency slower than it is a 503) is generous. test_hostile_inputs sets its own.
        "AWS_READ_TIMEOUT_SECONDS": "60",
        "LOCAL_LAMBDA_TIMEOUT_SECONDS": "300",
        "POWERTOOLS_DEV": None,
    }
    with moto_stack(environment) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def seeded(moto_endpoint: str) -> str:
    """The seeded tenant: a trained, active baseline model and demo leads with known outcomes."""
    from local_stack.seed import seed_tenant

    result = seed_tenant(SEEDED, leads=SEEDED_LEADS, history=1500)
    assert result.leads == SEEDED_LEADS
    return SEEDED


def _keys_for(client_id: str) -> dict[str, str]:
    from leadscoring.routes import Role
    from leadscoring.services import wiring

    repo = wiring.api_key_repository()
    return {role.value: repo.create(client_id, role, f"integration tests ({role.value})") for role in Role}


@pytest.fixture(scope="session")
def tenant(seeded: str) -> Tenant:
    return Tenant(seeded, **_keys_for(seeded))


@pytest.fixture(scope="session")
def make_tenant(seeded: str) -> Callable[..., Tenant]:
    """A new tenant with keys for every role and, unless with_model=False, the seeded model (v1) active."""
    from leadscoring.domain.auth import Principal
    from leadscoring.routes import Role
    from leadscoring.services import wiring

    def make(prefix: str = "t", with_model: bool = True) -> Tenant:
        client_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
        if with_model:
            registry = wiring.model_registry()
            model = registry.get_version(seeded, MODEL_ID, "1")
            assert model is not None
            onnx_bytes, metadata = registry.load_artifact(seeded, MODEL_ID, "1")
            registry.register(client_id, model, onnx_bytes, metadata)
            wiring.configuration_service().activate(Principal(client_id, Role.ADMIN, "system"), MODEL_ID, "1")
        return Tenant(client_id, **_keys_for(client_id))

    return make


@pytest.fixture(scope="session")
def other_tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("globex")


@pytest.fixture(scope="session")
def gateway(moto_endpoint: str) -> LocalGateway:
    from local_stack.gateway import LocalGateway

    return LocalGateway()


@pytest.fixture(scope="session")
def stream(moto_endpoint: str) -> StreamPoller:
    """The leads table's stream delivered to the real aggregator on demand (`stream.drain()`), as Lambda would."""
    from local_stack.streams import leads_stream_poller

    return leads_stream_poller()


@pytest.fixture(scope="session")
def api(gateway: LocalGateway) -> Api:
    return Api(Client(gateway))


@pytest.fixture(scope="session")
def tables(moto_endpoint: str) -> Tables:
    return Tables()


@pytest.fixture
def unique() -> str:
    """A short random token for emails and names, so tests never collide."""
    return uuid.uuid4().hex[:10]
