from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from leadscoring import routes
from leadscoring.api.context import principal_of
from leadscoring.api.routing import TableRouter
from leadscoring.schemas.conversion import ConversionHistory, ConversionUpdate
from leadscoring.schemas.lead import Lead
from leadscoring.services.wiring import conversion_service

router = TableRouter(tags=["Lead scoring"])


@router.serve(
    routes.RECORD_CONVERSION,
    description=(
        "Forward along new, contacted, qualified, converted (skips allowed) or from any open stage to lost; converted and "
        "lost are final. Anything else is 409 INVALID_TRANSITION. The same status with the same data again is a no-op."
    ),
)
def record_conversion(id: Annotated[str, Path(min_length=1, max_length=100)], update: Annotated[ConversionUpdate, Body()]) -> Lead:
    return conversion_service().record(principal_of(router.current_event.raw_event), id, update)


@router.serve(routes.CONVERSION_HISTORY)
def conversion_history(id: Annotated[str, Path(min_length=1, max_length=100)]) -> ConversionHistory:
    return conversion_service().history(principal_of(router.current_event.raw_event).client_id, id)
