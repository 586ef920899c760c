"""LeadRepository: leads and their scoring decisions; a lead is never stored without the decision that scored it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr, Key

from leadscoring.data import aws
from leadscoring.data.audit import decision_item, event_key, explanation_from_item
from leadscoring.data.batch_get import batch_get
from leadscoring.data.codec import from_item, to_item
from leadscoring.data.item_writes import put_items, put_items_if_unchanged
from leadscoring.data.keys import lead_item_key, shards
from leadscoring.data.pages import merged_page, packed_positions, unpacked_positions
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
        items = [(fields_text(lead_to_item(lead, decision.event_id)), seen[lead.id]) for lead, decision in scored]
        return {scored[n][0].id for n in put_items_if_unchanged(self._leads_table, items)}

    def get_many(self, client_id: str, lead_ids: Sequence[str], explained: bool = False) -> dict[str, Lead]:
        """The tenant's leads among `lead_ids`, by id (absent ones are simply missing); `explained`: with the
        explanation of each one's latest decision (read from its decision record)."""
        keys = [lead_item_key(client_id, i) for i in dict.fromkeys(lead_ids)]
        items = list(batch_get(self._leads_table, keys))
        explanations = self._explanations(client_id, items) if explained else {}
        leads = (item_to_lead(item, explanations.get(str(item.get("decision_key")))) for item in items)
        return {lead.id: lead for lead in leads}

    def get(self, client_id: str, lead_id: str) -> Lead | None:
        return self.get_many(client_id, [lead_id], explained=True).get(lead_id)

    def _explanations(self, client_id: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        keys = [event_key(client_id, str(i["decision_key"])) for i in items if i.get("decision_key")]
        names = {"#k": "event_key", "#d": "details", "#e": "explanation"}
        found = batch_get(self._audit_table, keys, ProjectionExpression="#k, #d.#e", ExpressionAttributeNames=names)
        return {
            str(d["event_key"]): explanation_from_item(from_item(d["details"])["explanation"])
            for d in found
            if (d.get("details") or {}).get("explanation")
        }

    def with_outcomes(self, client_id: str) -> list[Lead]:
        """Every lead of the client whose outcome is known (converted or lost): training data."""
        table = aws.dynamodb().Table(self._leads_table)
        leads: list[Lead] = []
        for shard in shards(client_id):
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": Key("shard").eq(shard),
                "FilterExpression": Attr("conversion_status").is_in(["converted", "lost"]),
            }
            while True:
                page = table.query(**kwargs)
                leads.extend(item_to_lead(i) for i in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(leads, key=lambda lead: lead.id)  # one order whatever the shards: training is reproducible

    def created_between(self, client_id: str, first_day: date, last_day: date, limit: int) -> tuple[list[LeadRecord], bool]:
        """What the audit reports read of the client's leads created in those days (UTC), newest first, at most
        `limit`; and whether there were more. No contact details are read."""
        table = aws.dynamodb().Table(self._leads_table)
        # "~" sorts after every character of an ISO time, so the last day is included whole.
        days = Key("created_at").between(first_day.isoformat(), last_day.isoformat() + "~")
        queries = {
            s: {"IndexName": "by_created", "KeyConditionExpression": Key("shard").eq(s) & days, "ScanIndexForward": False}
            for s in shards(client_id)
        }
        entries, _ = merged_page(table, queries, limit + 1, None, _index_key("by_created"), _order("by_created"))
        names = {f"#{k}": name for k, name in enumerate(_RECORD_FIELDS)}
        options = {"ProjectionExpression": ",".join(names), "ExpressionAttributeNames": names}
        keys = [lead_item_key(client_id, str(e["id"])) for e in entries[:limit]]
        found = {str(i["id"]): i for i in batch_get(self._leads_table, keys, **options)}
        records = [_record(found[str(k["id"])]) for k in keys if str(k["id"]) in found]
        return records, len(entries) > limit

    def set_outcome(self, client_id: str, lead_id: str, status: ConversionStatus, at: str | None, revenue: float | None) -> None:
        """Record where a lead ended up (demo seeding; the conversion endpoint adds transition rules)."""
        aws.dynamodb().Table(self._leads_table).update_item(
            Key=lead_item_key(client_id, lead_id),
            UpdateExpression="SET conversion_status = :s, conversion_date = :d, revenue = :r, updated_at = :u",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":s": status, ":d": at, ":r": None if revenue is None else Decimal(str(revenue)), ":u": at},
        )

    def list(self, client_id: str, filters: LeadFilter, limit: int, cursor: str | None) -> tuple[list[Lead], str | None]:
        query_shape = {"client": client_id, **filters.as_query()}
        start = decode_cursor(cursor, client_id, query_shape)
        table = aws.dynamodb().Table(self._leads_table)
        kwargs: dict[str, Any] = {"ScanIndexForward": False}
        condition = _filter_expression(filters)
        if condition is not None:
            kwargs["FilterExpression"] = condition
        if filters.min_score is not None or filters.max_score is not None:
            lo = Decimal(str(filters.min_score if filters.min_score is not None else 0))
            hi = Decimal(str(filters.max_score if filters.max_score is not None else 100))
            index, sort = "by_score", Key("score").between(lo, hi)
        else:
            index, sort = "by_created", None
        queries = {}
        for s in shards(client_id):
            key = Key("shard").eq(s)
            queries[s] = {**kwargs, "IndexName": index, "KeyConditionExpression": key & sort if sort is not None else key}
        fields = _position_fields(index)
        resume = unpacked_positions((start or {}).get("shards"), list(queries), fields)
        entries, positions = merged_page(table, queries, limit, resume, _index_key(index), _order(index))
        found = self.get_many(client_id, [str(e["id"]) for e in entries], explained=True)
        leads = [found[str(e["id"])] for e in entries if str(e["id"]) in found]
        position = {"client_id": client_id, "shards": packed_positions(positions, fields)} if positions else None
        return leads, encode_cursor(position, query_shape)


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


def _index_key(index: str) -> Any:
    sort = "score" if index == "by_score" else "created_at"
    return lambda item: {"shard": item["shard"], "id": item["id"], sort: item[sort]}


def _position_fields(index: str) -> tuple[str, ...]:
    return ("id", "score" if index == "by_score" else "created_at")


def _order(index: str) -> Any:
    # The index's own sort key alone: among equal keys each shard's own order must be kept (the merge is stable).
    sort = "score" if index == "by_score" else "created_at"
    return lambda item: item[sort]


def lead_to_item(lead: Lead, decision_id: str | None = None) -> dict[str, Any]:
    """The lead's item. Its explanation is its latest decision's (`decision_id`), read from the decision record, not
    kept twice; updated_at is left out while it is the scoring time. Together about half the bytes."""
    dumped = lead.model_dump(mode="json", exclude={"explanation"})
    if dumped["updated_at"] == dumped["scored_at"]:
        del dumped["updated_at"]
    item = to_item(dumped)
    item.update(lead_item_key(lead.client_id, lead.id))
    if decision_id:
        item["decision_key"] = decision_id
    return {k: v for k, v in item.items() if v is not None}


def item_to_lead(item: dict[str, Any], explanation: dict[str, Any] | None = None) -> Lead:
    plain = from_item(item)
    plain.setdefault("updated_at", plain.get("scored_at"))
    for stored_only in ("shard", "decision_key"):
        plain.pop(stored_only, None)
    return Lead.model_validate({**plain, "explanation": explanation})
