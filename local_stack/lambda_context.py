"""The context object Lambda hands a handler, for handlers run in-process."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field

# How long a local invocation may run (its remaining time counts down from there). An API request: about what API
# Gateway waits for its integration (29 s), unless LOCAL_LAMBDA_TIMEOUT_SECONDS says otherwise (the integration tests
# give a loaded machine more). A workflow step: Lambda's longest (each is deployed with its own, infra/config.py).
DEFAULT_TIMEOUT_SECONDS = 30.0
WORKFLOW_STEP_SECONDS = 900.0


def _timeout() -> float:
    return float(os.environ.get("LOCAL_LAMBDA_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


@dataclass
class LocalLambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    timeout_seconds: float = field(default_factory=_timeout)
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._started + self.timeout_seconds - time.monotonic()) * 1000))
