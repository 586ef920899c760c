"""Point boto3 at a moto server exactly as it would point at AWS: through the environment."""

from __future__ import annotations

import logging
import os

from moto.server import ThreadedMotoServer

from leadscoring.resources import local_environment
from local_stack import moto_patches


def start_moto(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """A moto server on loopback; port 0 picks a free one."""
    # moto's werkzeug logs every S3/DynamoDB call; the gateway logs its own requests instead.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_patches.install()  # local_stack/moto_*.py, each saying what it changes and why
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def configure_environment(endpoint: str) -> None:
    os.environ.update(local_environment(endpoint))
    os.environ.update({"POWERTOOLS_METRICS_NAMESPACE": "LeadScoring", "POWERTOOLS_TRACE_DISABLED": "true"})
    # CONFIG_CACHE_SECONDS is left to the deployed default (settings.py: each tenant's config and features are read
    # at most every 5 s): re-reading them for every lead was two of a score's five DynamoDB calls and a third of
    # make run's time per lead. CONFIG_CACHE_SECONDS=0 makes every change show on the very next request (the
    # integration suite sets it).
    from leadscoring.data import aws
    from leadscoring.services import wiring

    aws.reset()
    wiring.reset()
