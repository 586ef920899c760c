"""`make run`: moto, resources, demo data and a first model, then the local API Gateway on PORT (8080)."""

from __future__ import annotations

import json
import logging
import os
import sys

from local_stack.aws_env import configure_environment, start_moto
from local_stack.http_server import pooled_server
from local_stack.resources import create_resources
from local_stack.step_functions import install_batch_workflow, install_reports_workflow, install_training_workflow


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    port = int(os.environ.get("PORT", "8080"))
    moto, endpoint = start_moto(int(os.environ.get("MOTO_PORT", "0")))
    configure_environment(endpoint)
    create_resources()
    training_arn = install_training_workflow(endpoint)
    batch_arn = install_batch_workflow(endpoint)
    reports_arn = install_reports_workflow(endpoint)

    from leadscoring.cli import local_state_file
    from leadscoring.routes import Role
    from leadscoring.services import wiring
    from local_stack.gateway import LocalGateway
    from local_stack.seed import DEMO_CLIENT, seed_tenant
    from local_stack.streams import leads_stream_poller

    # The leads table's stream feeds the real aggregator, as the deployed event source mapping does.
    stream = leads_stream_poller()
    stream.start()
    print("Training the first model and seeding demo leads...", flush=True)
    seeded = seed_tenant()
    stream.drain()  # the Performance page shows the seeded leads from the first request
    key = wiring.api_key_repository().create(DEMO_CLIENT, Role.ADMIN, "local admin", key=os.environ.get("LEADSCORING_API_KEY") or None)
    gateway = LocalGateway()
    server = pooled_server("127.0.0.1", port, gateway)
    # Keyed by port: the CLI's --local finds this stack, and a test suite's stack never overwrites it.
    state_file = local_state_file(port)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(
        json.dumps(
            {
                "moto_endpoint": endpoint,
                "api": f"http://127.0.0.1:{port}",
                "training_state_machine_arn": training_arn,
                "batch_state_machine_arn": batch_arn,
                "reports_state_machine_arn": reports_arn,
            }
        )
    )
    base = f"http://127.0.0.1:{port}"
    print(
        f"\nLead scoring is running at {base}/\n"
        f"  API:      {base}/api/v1/leadscoring/   (OpenAPI: /api/v1/leadscoring/openapi.json, Swagger UI: /api/v1/leadscoring/docs)\n"
        f"  Model:    baseline v{seeded.model_version} (ROC-AUC {seeded.roc_auc:.3f} on its holdout), {seeded.leads} demo leads seeded\n"
        f"  API key:  {key}   (client 'demo', role admin; header x-api-key)\n"
        f"  moto:     {endpoint}\n",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        stream.stop()
        moto.stop()
        state_file.unlink(missing_ok=True)  # a stopped stack's state would point the CLI at nothing
    return 0


if __name__ == "__main__":
    sys.exit(main())
