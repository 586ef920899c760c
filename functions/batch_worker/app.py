"""Lambda entry point for the batch file workflow: the Distributed Map's chunks, then Finalize or RecordFailure.

Separate from the batch_score API function, which holds the state machine's ARN: the state machine holds this
function's ARN, and one function holding both would make a CloudFormation cycle.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadscoring.services.wiring import batch_worker

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(log_event=False, clear_state=True)  # rows carry PII: never log the event
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """{"Items", "BatchInput"} from ItemBatcher; or {"step": "finalize" | "record_failure", "job", ["error"]}."""
    if "Items" in event:
        batch = event["BatchInput"]
        logger.append_keys(step="score_chunk", client_id=batch.get("client_id"), job_id=batch.get("job_id"))
        result = batch_worker().score_chunk(event["Items"], batch)
        logger.info("chunk stored", extra=result["chunk"])
        return result
    step, job = event.get("step"), event.get("job") or {}
    logger.append_keys(step=step, client_id=job.get("client_id"), job_id=job.get("job_id"))
    if step == "finalize":
        return batch_worker().finalize(job)
    if step == "record_failure":
        return batch_worker().record_failure(job, event.get("error") or {})
    raise ValueError(f"Unknown batch worker event (step {step!r})")
