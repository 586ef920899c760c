from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routing import TableRouter
from leadscoring.domain.errors import InvalidInput
from leadscoring.schemas.batch import BatchJob, BatchScoreRequest, BatchScoreResponse
from leadscoring.services.wiring import batch_jobs, batch_scoring

router = TableRouter(tags=["Lead scoring"])
metrics = Metrics()
JobIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The job id POST /batch-score returned")]


@router.serve(
    routes.BATCH_SCORE,
    description=(
        "`leads` (up to 1,000, synchronous, 200), `file` (a CSV/JSONL file in your folder: "
        "the job starts, 202) or `upload` (a job and a presigned PUT URL, 201; then POST /batch-score/{job_id}/start)"
    ),
)
def batch_score(request: Annotated[BatchScoreRequest, Body()]) -> tuple[BatchScoreResponse | BatchJob, int]:
    principal = principal_of(router.current_event.raw_event)
    if request.file is not None:
        return batch_jobs().create_from_file(principal, request.file), 202
    if request.upload is not None:
        return batch_jobs().create_upload(principal, request.upload), 201
    if request.leads is None:
        raise InvalidInput(
            "Send `leads` (a list of 1 to 1000 leads), `file` or `upload`",
            [{"field": "leads", "message": "Field required", "type": "missing"}],
        )
    response = batch_scoring().score_batch(principal, request.leads)
    metrics.add_metric(name="LeadsScored", unit=MetricUnit.Count, value=response.summary.scored)
    metrics.add_metric(name="BatchItemsInvalid", unit=MetricUnit.Count, value=response.summary.invalid)
    return response, 200


@router.serve(routes.START_BATCH_JOB)
def start_batch_job(job_id: JobIdPath) -> tuple[BatchJob, int]:
    return batch_jobs().start(principal_of(router.current_event.raw_event), job_id), 202


@router.serve(routes.GET_BATCH_JOB)
def get_batch_job(job_id: JobIdPath) -> BatchJob:
    return batch_jobs().status(principal_of(router.current_event.raw_event).client_id, job_id)
