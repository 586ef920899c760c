"""End-to-end suite: the real `make run` process (`python -m local_stack`), driven over HTTP on loopback.

One process per session. On any failure its output tail is printed in the terminal summary.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
API = "/api/v1/leadscoring"
# Training and seeding take about a minute alone; on two cores shared with other work, several.
STARTUP_SECONDS = 360
TAIL_LINES = 60
_OUTPUT_TAIL = pytest.StashKey[str]()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", ""))


@dataclass(frozen=True)
class Stack:
    base: str
    api_key: str  # the local admin key of client `demo`
    process: subprocess.Popen[bytes]
    state_dir: Path | None = None  # LEADSCORING_STATE_DIR of the stack; None: the project's .local/

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The `leadscoring` command line with `--local` pointed at this stack (its port and state folder)."""
        env = {"LEADSCORING_STATE_DIR": str(self.state_dir)} if self.state_dir else {}
        return run_cli("--local", "--stack-port", str(self.port), *args, env=env)

    def request(self, method: str, path: str, key: str | None = None, body: Any = None, timeout: float = 30) -> Reply:
        headers = {"Accept": "*/*"}
        if key is not None:
            headers["x-api-key"] = key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310 - loopback only
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(output: IO[bytes]) -> str:
    output.flush()
    output.seek(0)
    lines = output.read().decode(errors="replace").splitlines()
    return "\n".join(lines[-TAIL_LINES:])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    port, moto_port = _free_port(), _free_port()
    while moto_port == port:
        moto_port = _free_port()
    api_key = "lsk_e2e_" + secrets.token_urlsafe(24)
    # The stack's state file goes to a folder of its own: the project's .local/ belongs to `make run`.
    state_dir = Path(tempfile.mkdtemp(prefix="leadscoring-e2e-state-"))
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        "LEADSCORING_API_KEY": api_key,
        "LEADSCORING_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    }
    for inherited in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):  # the stack points boto3 at its own moto
        env.pop(inherited, None)
    base = f"http://127.0.0.1:{port}"
    # Output goes to a file, not a pipe: a chatty process can never block on a full pipe.
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen([str(PYTHON), "-m", "local_stack"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(base, process, output)
            yield Stack(base, api_key, process, state_dir)
        finally:
            _stop(process)
            shutil.rmtree(state_dir, ignore_errors=True)
            if request.session.testsfailed:
                request.config.stash[_OUTPUT_TAIL] = _tail(output)


def _wait_until_serving(base: str, process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(f"{base}{API}/openapi.json"):
        if process.poll() is not None:
            pytest.fail(f"`python -m local_stack` exited with {process.returncode} before serving:\n{_tail(output)}")
        if time.monotonic() > deadline:
            pytest.fail(f"`python -m local_stack` did not serve {API}/openapi.json within {STARTUP_SECONDS} s:\n{_tail(output)}")
        time.sleep(0.5)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    tail = config.stash.get(_OUTPUT_TAIL, None)
    if tail is not None:
        terminalreporter.section("python -m local_stack: last lines of output")
        terminalreporter.write_line(tail)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `leadscoring` command line, run as a user would from the project folder (`Stack.cli` for `--local`)."""
    return subprocess.run(
        [str(PYTHON), "-m", "leadscoring.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
