"""The command line: `--local` finds the state of the stack on its port (two stacks side by side never share a
file), and `create-key` prints what a script can capture."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leadscoring import cli


def _write_state(folder: Path, port: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    state = {"moto_endpoint": f"http://127.0.0.1:{port + 1}", "api": f"http://127.0.0.1:{port}", "reports_state_machine_arn": f"arn-{port}"}
    (folder / f"stack-{port}.json").write_text(json.dumps(state))


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """os.environ as a copy, so what the CLI sets stays in this test."""
    copy = dict(os.environ)
    for name in ("PORT", "LEADSCORING_STATE_DIR", "REPORTS_STATE_MACHINE_ARN"):
        copy.pop(name, None)
    monkeypatch.setattr(os, "environ", copy)
    return copy


def test_the_state_file_is_keyed_by_port_in_the_state_folder(environ: dict[str, str], tmp_path: Path) -> None:
    assert cli.local_state_file(8080) == Path(".local/stack-8080.json")
    environ["LEADSCORING_STATE_DIR"] = str(tmp_path)
    assert cli.local_state_file(9123) == tmp_path / "stack-9123.json"


@pytest.mark.parametrize(
    ("port_env", "stack_port", "used"), [(None, None, 8080), ("9001", None, 9001), ("9001", 9002, 9002), (None, 9002, 9002)]
)
def test_local_uses_the_stack_on_port_or_stack_port(
    environ: dict[str, str], tmp_path: Path, port_env: str | None, stack_port: int | None, used: int
) -> None:
    environ["LEADSCORING_STATE_DIR"] = str(tmp_path)
    for port in (8080, 9001, 9002):
        _write_state(tmp_path, port)
    if port_env:
        environ["PORT"] = port_env
    cli._use_local_stack(stack_port)
    assert environ["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{used + 1}"
    assert environ["REPORTS_STATE_MACHINE_ARN"] == f"arn-{used}"


def test_no_stack_on_the_port_says_which_port(environ: dict[str, str], tmp_path: Path) -> None:
    environ["LEADSCORING_STATE_DIR"] = str(tmp_path)
    _write_state(tmp_path, 8080)
    with pytest.raises(SystemExit, match="port 9005"):
        cli.main(["--local", "--stack-port", "9005", "create-key", "--client", "acme", "--role", "admin"])


class _Keys:
    def create(self, client_id: str, role: object, label: str) -> str:
        return f"lsk_for_{client_id}"


@pytest.mark.parametrize(("flags", "printed"), [([], None), (["--key-only"], "lsk_for_acme")])
def test_create_key_prints_json_or_the_key_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flags: list[str], printed: str | None
) -> None:
    from leadscoring.services import wiring

    monkeypatch.setattr(wiring, "api_key_repository", _Keys)
    assert cli.main(["create-key", "--client", "acme", "--role", "admin", *flags]) == 0
    out = capsys.readouterr().out
    if printed is None:
        assert json.loads(out) == {"client_id": "acme", "role": "admin", "api_key": "lsk_for_acme"}
    else:
        assert out == printed + "\n"  # what KEY=$(...) captures is the key itself
