"""CDK entry point: `cdk synth` (cdk.json runs `.venv/bin/python infra/app.py`) or `make synth`.

build_app() is what the infra tests synthesize in-process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aws_cdk as cdk

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, object]:
    """cdk.json's feature flags, so running this file directly synthesizes what `cdk synth` does."""
    path = ROOT / "cdk.json"
    return dict(json.loads(path.read_text()).get("context", {})) if path.exists() else {}


def build_app(outdir: str | None = None, *, nag: bool = True) -> cdk.App:
    # Imported here, after __main__ below has fixed sys.path when this file runs as a script.
    import aws_cdk as cdk

    from infra import config
    from infra.compliance import register_nag
    from infra.stacks.dashboard import DASHBOARD_STACK, DashboardStack
    from infra.stacks.stateful import StatefulStack
    from infra.stacks.stateless import StatelessStack

    app = cdk.App(
        outdir=outdir or os.environ.get("CDK_OUTDIR", "cdk.out"),
        context={**config.CONTEXT, **cdk_json_context()},
    )
    stateful = StatefulStack(app, config.STATEFUL_STACK, description="Lead scoring: data key, DynamoDB tables, S3 buckets")
    stateless = StatelessStack(app, config.STATELESS_STACK, data=stateful, description="Lead scoring: layers, Lambda functions, REST API")
    DashboardStack(app, DASHBOARD_STACK, data=stateful, compute=stateless, description="Lead scoring: admin dashboard on CloudFront + S3")
    cdk.Tags.of(app).add("project", config.RESOURCE_PREFIX)
    if nag:
        register_nag(app)
    return app


if __name__ == "__main__":
    # Run as a script, Python puts infra/ first on sys.path, where infra/constructs would shadow the
    # `constructs` library: replace it with the repository root (and the shared package, if not installed).
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "infra"]
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
    build_app().synth()
