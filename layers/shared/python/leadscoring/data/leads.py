"""LeadRepository: leads and their scoring decisions; a lead is never stored without the decision that scored it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr, Key

from leadscoring.data import aws
from leadscoring.data.audit import decision_item
from leadscoring.data.batch_get import batch_get
from leadscoring.data.codec import from_item, to_item
from leadscoring.data.item_writes import put_items, put_items_if_unchanged
from leadscoring.data.pages import query_page
from leadscoring.data.wire_text import fields_text
from leadscoring.domain.cursor import decode_cursor, encode_cursor
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import ConversionStatus, Lead

if TYPE_CHECKING:  # the reports' record is built on their path only, not imported when scoring starts
    from leadscoring.domain.lead_record import LeadRecord


@dataclass(frozen=True)
class LeadFilter:
    min_score: float | None = None
    max_score: float | None = None
    qualified: bool | None = None
    conversion_status: ConversionStatus | None = None
    source: str | None = None

    def as_query(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class LeadRepository:
    def __init__(self, leads_table: str, audit_table: str) -> None:
        self._leads_table = leads_table
        self._audit_table = audit_table

    def save_scored(self, scored: Sequence[tuple[Lead, AuditEvent]], seen: Mapping[str, ConversionStatus | None]) -> set[str]:
        """Store scored leads and their decision records: the one writer of every scoring path.

        Decision records go first (BatchWriteItem; each key is its scoring attempt's own, so writing it again after a
        lost race or a retry rewrites it), so a lead is never visible without the decision that scored it. Then each
        lead is written only if it is as it was read (`seen`: its conversion status by lead id, None when it did
        not exist), so a conversion recorded meanwhile is never overwritten. Returns the ids of the leads not
        written because they had changed: the caller reads them again and decides again.
        """
        put_items(self._audit_table, [fields_text(decision_item(lead.client_id, decision)) for lead, decision in scored])
        items = [(fields_text(lead_to_item(lead)), seen[lead.id]) for lead, _ in scored]
        return {scored[n][0].id for n in put_items_if_unchanged(self._leads_table, items)}

    def stored_fields(self, client_id: str, lead_ids: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The named attributes of the tenant's stored leads among `lead_ids`, by id (absent leads are missing)."""
        projection = ", ".join(f"#a{n}" for n in range(len(names) + 1))
        attribute_names = {f"#a{n}": name for n, name in enumerate(["id", *names])}
        keys = [{"client_id": client_id, "id": i} for i in dict.fromkeys(lead_ids)]
        options = {"ProjectionExpression": projection, "ExpressionAttributeNames": attribute_names}
        return {str(item["id"]): item for item in batch_get(self._leads_table, keys, **options)}

    def get_many(self, client_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        """The tenant's leads among `lead_ids`, by id (absent ones are simply missing)."""
        keys = [{"client_id": client_id, "id": i} for i in dict.fromkeys(lead_ids)]
        leads = (item_to_lead(item) for item in batch_get(self._leads_table, keys))
        return {lead.id: lead for lead in leads}

    def get(self, client_id: str, lead_id: str) -> Lead | None:
        return self.get_many(client_id, [lead_id]).get(lead_id)

    def with_outcomes(self, client_id: str) -> list[Lead]:
        """Every lead of the client whose outcome is known (converted or lost): training data."""
        table = aws.dynamodb().Table(self._leads_table)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("client_id").eq(client_id),
            "FilterExpression": Attr("conversion_status").is_in(["converted", "lost"]),
        }
        leads: list[Lead] = []
        while True:
            page = table.query(**kwargs)
            leads.extend(item_to_lead(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return leads
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def created_between(self, client_id: str, first_day: date, last_day: date, limit: int) -> tuple[list[LeadRecord], bool]:
        """What the audit reports read of the client's leads created in those days (UTC), newest first, at most
        `limit`; and whether there were more. No contact details are read."""
        table = aws.dynamodb().Table(self._leads_table)
        # "~" sorts after every character of an ISO time, so the last day is included whole.
        days = Key("created_at").between(first_day.isoformat(), last_day.isoformat() + "~")
        names = {f"#{k}": name for k, name in enumerate(_RECORD_FIELDS)}
        kwargs: dict[str, Any] = {
            "IndexName": "by_created",
            "KeyConditionExpression": Key("client_id").eq(client_id) & days,
            "ProjectionExpression": ",".join(names),
            "ExpressionAttributeNames": names,
        }
        items: list[dict[str, Any]] = []
        while True:
            page = table.query(ScanIndexForward=False, Limit=min(limit + 1 - len(items), 1000), **kwargs)
            items.extend(page.get("Items", []))
            if len(items) > limit or "LastEvaluatedKey" not in page:
                return [_record(i) for i in items[:limit]], len(items) > limit
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_outcome(self, client_id: str, lead_id: str, status: ConversionStatus, at: str | None, revenue: float | None) -> None:
        """Record where a lead ended up (demo seeding; the conversion endpoint adds transition rules)."""
        aws.dynamodb().Table(self._leads_table).update_item(
            Key={"client_id": client_id, "id": lead_id},
            UpdateExpression="SET conversion_status = :s, conversion_date = :d, revenue = :r, updated_at = :u",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":s": status, ":d": at, ":r": None if revenue is None else Decimal(str(revenue)), ":u": at},
        )

    def list(self, client_id: str, filters: LeadFilter, limit: int, cursor: str | None) -> tuple[list[Lead], str | None]:
        query_shape = {"client": client_id, **filters.as_query()}
        start = decode_cursor(cursor, client_id, query_shape)
        table = aws.dynamodb().Table(self._leads_table)
        kwargs: dict[str, Any] = {"ScanIndexForward": False}
        key = Key("client_id").eq(client_id)
        if filters.min_score is not None or filters.max_score is not None:
            lo = Decimal(str(filters.min_score if filters.min_score is not None else 0))
            hi = Decimal(str(filters.max_score if filters.max_score is not None else 100))
            kwargs["IndexName"] = "by_score"
            kwargs["KeyConditionExpression"] = key & Key("score").between(lo, hi)
        else:
            kwargs["IndexName"] = "by_created"
            kwargs["KeyConditionExpression"] = key
        condition = _filter_expression(filters)
        if condition is not None:
            kwargs["FilterExpression"] = condition
        index = kwargs["IndexName"]
        items, last_key = query_page(table, kwargs, limit, start, lambda item: _key_of(item, index))
        leads = [item_to_lead(i) for i in items]
        return leads, encode_cursor(last_key, query_shape) if last_key else None


_RECORD_FIELDS = (
    "id", "source", "score", "qualified", "conversion_status", "created_at", "scored_at", "model_id", "model_version", "attributes"
)  # fmt: skip


def _record(item: dict[str, Any]) -> LeadRecord:
    from leadscoring.domain.lead_record import LeadRecord

    return LeadRecord(
        id=str(item["id"]),
        source=str(item["source"]),
        score=float(item["score"]),
        qualified=bool(item["qualified"]),
        conversion_status=item.get("conversion_status") or "new",
        created_at=datetime.fromisoformat(str(item["created_at"])),
        scored_at=datetime.fromisoformat(str(item.get("scored_at") or item["created_at"])),
        model_id=item.get("model_id"),
        model_version=item.get("model_version"),
        attributes={name: value for family in (item.get("attributes") or {}).values() for name, value in from_item(family or {}).items()},
    )


def _filter_expression(filters: LeadFilter) -> Any:
    parts = []
    if filters.qualified is not None:
        parts.append(Attr("qualified").eq(filters.qualified))
    if filters.conversion_status is not None:
        parts.append(Attr("conversion_status").eq(filters.conversion_status))
    if filters.source is not None:
        parts.append(Attr("source").eq(filters.source))
    condition: Any = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


def _key_of(item: dict[str, Any], index: str) -> dict[str, Any]:
    sort = "score" if index == "by_score" else "created_at"
    return {"client_id": item["client_id"], "id": item["id"], sort: item[sort]}


def lead_to_item(lead: Lead) -> dict[str, Any]:
    item = to_item(lead.model_dump(mode="json"))
    if lead.external_id:
        item["client_external_key"] = f"{lead.client_id}#{lead.external_id}"
    return {k: v for k, v in item.items() if v is not None}


def item_to_lead(item: dict[str, Any]) -> Lead:
    return Lead.model_validate(from_item(item))
