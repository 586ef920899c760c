"""Lambda entry point for the training workflow's steps (a container image: scikit-learn lives here only)."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.services.wiring import training_workflow

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Step Functions passes {"step", "run": {client_id, model_id, version, run_id}} (and "error" on failure)."""
    logger.append_keys(step=event.get("step"), model_id=(event.get("run") or {}).get("model_id"))
    return training_workflow().run_step(str(event["step"]), dict(event["run"]), event.get("error"))
