"""Which conversion status changes are possible: forward along the funnel (skips allowed), any open stage to
lost; converted and lost are final."""

from __future__ import annotations

from leadscoring.domain.errors import Conflict
from leadscoring.schemas.lead import ConversionStatus

FUNNEL_ORDER: dict[str, int] = {"new": 0, "contacted": 1, "qualified": 2, "converted": 3}
FINAL = frozenset({"converted", "lost"})


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"


class ConcurrentUpdate(Conflict):
    code = "CONCURRENT_UPDATE"


def allowed(current: ConversionStatus, target: ConversionStatus) -> bool:
    if current in FINAL or current == target:
        return False
    return target == "lost" or FUNNEL_ORDER[target] > FUNNEL_ORDER[current]


def check_transition(current: ConversionStatus, target: ConversionStatus) -> None:
    if allowed(current, target):
        return
    why = f"'{current}' is final" if current in FINAL else "a lead only moves forward (new, contacted, qualified, converted) or to lost"
    raise InvalidTransition(
        f"A lead cannot go from '{current}' to '{target}': {why}",
        [{"field": "conversion_status", "message": f"from '{current}' to '{target}' is not allowed", "type": "invalid_transition"}],
    )
