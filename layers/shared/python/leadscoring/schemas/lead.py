from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic_core import PydanticCustomError

from leadscoring.schemas.base import MAX_MAGNITUDE, MIN_MAGNITUDE, InputModel, StoredModel
from leadscoring.schemas.emails import Email

ConversionStatus = Literal["new", "contacted", "qualified", "converted", "lost"]
MAX_ATTRIBUTE_TEXT = 500
ATTRIBUTE_TYPE_MESSAGE = "must be a number, true/false, null, or a string of at most 500 characters"


def _attribute_value(value: Any) -> Any:
    """One attribute value: a number, true/false, null, or a string (stripped, at most 500 characters).

    Checked by one plain function before pydantic's union of strict types sees it: one clear error naming the
    attribute (a union reports one contradicting error per member), in less time than the union's errors took
    to catch and rewrite.
    """
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is float and value.is_integer() and abs(value) <= MAX_MAGNITUDE:
        # A whole number is an int: DynamoDB keeps 7.0 as 7, so a lead (or a factor's baseline) reads back as it was
        # answered, and the same lead sent as 7 or 7.0 has one input hash.
        return int(value)
    if kind is int or kind is float:
        try:
            magnitude = abs(float(value))
        except OverflowError:  # an integer past float range
            magnitude = math.inf
        if not math.isfinite(magnitude) or magnitude > MAX_MAGNITUDE:
            raise PydanticCustomError("attribute_range", "must be a finite number between -1e15 and 1e15")
        if 0 < magnitude < MIN_MAGNITUDE:
            raise PydanticCustomError("attribute_range", "must be 0 or at least 1e-30 in magnitude")
        return value
    if kind is str:
        text = value.strip()
        if len(text) <= MAX_ATTRIBUTE_TEXT:
            return text
    raise PydanticCustomError("attribute_type", ATTRIBUTE_TYPE_MESSAGE)


# The strict union gives the type its JSON schema and fast serialisation; what reaches it already fits one member.
AttributeValue = Annotated[
    StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=MAX_ATTRIBUTE_TEXT)] | None,
    BeforeValidator(_attribute_value),
]
Attributes = Annotated[dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")], AttributeValue], Field(max_length=200)]


class FeatureFamily(StrEnum):
    BEHAVIORAL = "behavioral"
    DEMOGRAPHIC = "demographic"
    FIRMOGRAPHIC = "firmographic"
    ENGAGEMENT = "engagement"


class LeadAttributes(InputModel):
    """A lead's scoring inputs, grouped by the spec's feature families; names are the tenant's features."""

    behavioral: Attributes = Field(default_factory=dict)
    demographic: Attributes = Field(default_factory=dict)
    firmographic: Attributes = Field(default_factory=dict)
    engagement: Attributes = Field(default_factory=dict)

    @field_validator("behavioral", "demographic", "firmographic", "engagement", mode="after")
    @classmethod
    def _without_nulls(cls, values: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        """An attribute sent as null is missing, as an absent one is: neither is kept, so a lead reads and stores
        the same however its sender writes a gap (a file's empty cell, a CRM's null)."""
        return values if None not in values.values() else {k: v for k, v in values.items() if v is not None}

    def by_family(self) -> dict[FeatureFamily, dict[str, AttributeValue]]:
        return {family: getattr(self, family.value) for family in FeatureFamily}


class LeadInput(InputModel):
    """A lead as a CRM or integration sends it. Server-owned fields are not accepted."""

    email: Email
    name: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ().\-]{5,30}$")] | None = None
    company: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=100)]
    external_id: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The lead's id in the sending CRM"
    )
    attributes: LeadAttributes = Field(default_factory=LeadAttributes)

    # Frameworks format their arguments into debug messages whether or not debug is on (Powertools does on every
    # call): a lead's text form names no PII, and costs nothing to build.
    def __repr__(self) -> str:
        return f"LeadInput(source={self.source!r}, <personal fields withheld>)"

    __str__ = __repr__


class ScoreRequest(LeadInput):
    """POST /score's body: the lead, and the sending CRM's id for this delivery when it has one."""

    event_id: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description=(
            "The sending CRM's id for this delivery (its event or message id): a redelivery with the same id scores "
            "once and gets the same response, as with an Idempotency-Key header"
        ),
    )

    def lead(self) -> LeadInput:
        """The lead alone, as the scoring path and the idempotency record's payload check see it."""
        fields = {name: getattr(self, name) for name in LeadInput.model_fields}
        return LeadInput.model_construct(_fields_set=self.model_fields_set - {"event_id"}, **fields)


Priority = Literal["high", "medium", "low"]
Grade = Literal["A", "B", "C", "D"]


class Factor(StoredModel):
    """One feature's part in a score: what the lead had, and how far it moved the score from the baseline."""

    feature: str
    value: AttributeValue
    baseline: AttributeValue
    contribution: float = Field(description="Change in log-odds of conversion against the feature's training baseline")
    score_impact: float = Field(description="Change in score points (0-100 scale) against the feature's training baseline")


class Explanation(StoredModel):
    top_positive: list[Factor] = Field(default_factory=list)
    top_negative: list[Factor] = Field(default_factory=list)


class Lead(StoredModel):
    """The spec's Lead, plus what the decision rested on (model, version, attributes)."""

    id: str
    client_id: str
    email: str
    name: str
    phone: str | None = None
    company: str | None = None
    source: str
    score: float = Field(ge=0, le=100)
    score_confidence: float = Field(ge=0, le=1)
    qualified: bool
    conversion_status: ConversionStatus = "new"
    conversion_date: datetime | None = None
    revenue: float | None = None
    created_at: datetime
    updated_at: datetime
    scored_at: datetime
    external_id: str | None = None
    model_id: str | None = None
    model_version: str | None = None
    priority: Priority | None = None
    grade: Grade | None = None
    explanation: Explanation | None = None
    attributes: LeadAttributes = Field(default_factory=LeadAttributes)


class LeadPage(StoredModel):
    items: list[Lead]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` to get the next page")
