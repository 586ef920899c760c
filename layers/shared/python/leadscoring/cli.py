"""`leadscoring` command line: API keys for clients and roles, importing past leads, recording the audit reports.

Against AWS it uses the usual credentials and the table names in the environment (as the stack outputs them);
`--local` reaches the stack `make run` started, through the state file it wrote for its port.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from leadscoring.resources import local_environment
from leadscoring.routes import Role

DEFAULT_PORT = 8080


def local_state_file(port: int) -> Path:
    """Where the local stack serving on `port` keeps its state: one file per port, so a second stack (a test
    suite's) never overwrites the state of `make run`. LEADSCORING_STATE_DIR moves the folder (tests use a temp one)."""
    return Path(os.environ.get("LEADSCORING_STATE_DIR") or ".local") / f"stack-{port}.json"


def _use_local_stack(port: int | None) -> None:
    port = port or int(os.environ.get("PORT") or DEFAULT_PORT)  # the port `make run` serves on
    state_file = local_state_file(port)
    if not state_file.exists():
        sys.exit(f"No local stack found on port {port} ({state_file} is missing): start it with `make run` from the project folder.")
    state = json.loads(state_file.read_text())
    os.environ.update(local_environment(state["moto_endpoint"]))
    for name in ("training", "reports"):
        if state.get(f"{name}_state_machine_arn"):
            os.environ[f"{name.upper()}_STATE_MACHINE_ARN"] = state[f"{name}_state_machine_arn"]


def create_key(args: argparse.Namespace) -> int:
    from leadscoring.services.wiring import api_key_repository

    key = api_key_repository().create(args.client, Role(args.role), args.label)
    print(key if args.key_only else json.dumps({"client_id": args.client, "role": args.role, "api_key": key}))
    return 0


def import_file(args: argparse.Namespace) -> int:
    """Upload a CSV/JSONL of past leads to the client's folder and train on it: the API's own path."""
    from leadscoring.domain.auth import Principal
    from leadscoring.schemas.model import FileSource, ModelCreate, TrainRequest
    from leadscoring.services.wiring import client_files, model_management

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"No such file: {path}")
    key = f"imports/{path.name}"
    client_files().write(args.client, key, path.read_bytes(), "text/csv" if path.suffix == ".csv" else "application/x-ndjson")
    principal = Principal(client_id=args.client, role=Role.ADMIN, key_id="cli")
    models = model_management()
    definition = models.create(principal, ModelCreate(name=args.name or path.stem, model_type=args.model_type))
    source = FileSource(kind="file", key=key, target=args.target, positive_values=args.positive or None, drop_columns=args.drop or [])
    run = models.start_training(principal, definition.id, TrainRequest(source=source))
    print(json.dumps({"model_id": definition.id, "version": run.version, "status": run.status, "file": key}))
    return 0


def record_reports(args: argparse.Namespace) -> int:
    """What the daily schedule does: run the reports workflow (every tenant's audit reports on the record) and wait."""
    from leadscoring.data.workflows import WorkflowStarter
    from leadscoring.services.report_schedule import scheduled_time

    arn = os.environ.get("REPORTS_STATE_MACHINE_ARN")
    if not arn:
        sys.exit("REPORTS_STATE_MACHINE_ARN is not set: pass --local, or set it to the stack's ReportsStateMachineArn output.")
    at = scheduled_time({"time": args.at})
    payload: dict[str, object] = {"time": at.isoformat()}
    if args.clients:
        payload["client_ids"] = args.clients
    status, output = WorkflowStarter(arn).run(f"reports-{at:%Y%m%dT%H%M%S}-{os.getpid()}", payload)
    print(json.dumps({"status": status, **(output.get("summary", output) if isinstance(output, dict) else {})}))
    return 0 if status == "SUCCEEDED" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadscoring", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--local", action="store_true", help="use the local stack started by `make run`")
    parser.add_argument(
        "--stack-port", type=int, default=None, help=f"with --local: the port of the stack to use (default $PORT, else {DEFAULT_PORT})"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-key", help="create an API key for a client and role (printed once; only its hash is stored)")
    key.add_argument("--client", required=True, help="the client (tenant) id, e.g. acme")
    key.add_argument("--role", required=True, choices=[r.value for r in Role])
    key.add_argument("--label", default="", help="what the key is for")
    key.add_argument("--key-only", action="store_true", help="print the key alone (for KEY=$(leadscoring ... create-key ...))")
    key.set_defaults(run=create_key)
    imp = commands.add_parser("import", help="upload past leads (CSV/JSONL with outcomes) and train a model on them")
    imp.add_argument("--client", required=True)
    imp.add_argument("--file", required=True, help="CSV or JSONL with one row per past lead")
    imp.add_argument("--target", required=True, help="the outcome column, e.g. Converted")
    imp.add_argument("--positive", action="append", help="a value of the target that means converted (repeatable)")
    imp.add_argument("--drop", action="append", help="a column not to use, e.g. one filled in after contact (repeatable)")
    imp.add_argument("--model-type", default="logistic_regression", choices=["logistic_regression", "random_forest", "neural_network"])
    imp.add_argument("--name", default="", help="the model's name (default: the file's name)")
    imp.set_defaults(run=import_file)
    reports = commands.add_parser("record-reports", help="append every tenant's data-quality, drift and bias reports to its audit trail")
    reports.add_argument("--at", default="", help="the run's time, ISO 8601 (default now); the same time records nothing twice")
    reports.add_argument("--client", dest="clients", action="append", help="only this tenant (repeatable; default every tenant)")
    reports.set_defaults(run=record_reports, client=None)
    args = parser.parse_args(argv)
    if args.local:
        _use_local_stack(args.stack_port)
    if args.command != "record-reports" and (not args.client or not args.client.replace("-", "").replace("_", "").isalnum()):
        parser.error("--client must be letters, digits, '-' or '_'")
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
