"""`leadscoring` command line: API keys for clients and roles.

Against AWS it uses the usual credentials and the table names in the environment (as the stack outputs them);
`--local` reaches the stack `make run` started, through the state file it wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from leadscoring.resources import local_environment
from leadscoring.routes import Role

LOCAL_STATE = Path(".local/stack.json")


def _use_local_stack() -> None:
    if not LOCAL_STATE.exists():
        sys.exit(f"No local stack found ({LOCAL_STATE} is missing): start it with `make run` from the project folder.")
    state = json.loads(LOCAL_STATE.read_text())
    os.environ.update(local_environment(state["moto_endpoint"]))


def create_key(args: argparse.Namespace) -> int:
    from leadscoring.services.wiring import api_key_repository

    key = api_key_repository().create(args.client, Role(args.role), args.label)
    print(json.dumps({"client_id": args.client, "role": args.role, "api_key": key}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadscoring", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--local", action="store_true", help="use the local stack started by `make run`")
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-key", help="create an API key for a client and role (printed once; only its hash is stored)")
    key.add_argument("--client", required=True, help="the client (tenant) id, e.g. acme")
    key.add_argument("--role", required=True, choices=[r.value for r in Role])
    key.add_argument("--label", default="", help="what the key is for")
    key.set_defaults(run=create_key)
    args = parser.parse_args(argv)
    if args.local:
        _use_local_stack()
    if not args.client or not args.client.replace("-", "").replace("_", "").isalnum():
        parser.error("--client must be letters, digits, '-' or '_'")
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
