"""What one lead adds to the analytics aggregates, and the change a write to a lead makes to them (pure).

A lead counts in the day it was created (a cohort view) and in six series: every combination of
(all sources | its source) x (all models | its model | its model version), so a filtered read touches one
item per day. A write changes the aggregates by contribution(new image) - contribution(old image), which
makes inserts, re-scores, conversions and deletes all exact.

Counter names (flat attributes, so DynamoDB's ADD can create them):
  n, ss, q                 leads, score sum, leads qualified when scored
  conv, lost, rev          converted, lost, revenue of converted leads
  q_conv, q_lost           qualified leads that converted / were lost (precision, recall)
  st:<status>              leads whose current status is <status>
  h:<bin>:n|c|l            1-point score histogram (bin = floor(score), 100 in bin 99): leads, converted, lost
  g:<grade>:n|c|r          per grade as scored: leads, converted, revenue
  gs:<grade>:<source>      leads per grade and source (cost per band)
  src:<source>:n|ss|q|c|r  per source: leads, score sum, qualified, converted, revenue
  reg:<region>:n|ss|q|c    per country: leads, score sum, qualified, converted
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

ALL = "*"
HISTOGRAM_BINS = 100
UNKNOWN_REGION = "unknown"
MAX_KEY_PART = 100  # a source or country longer than this is cut, so one lead cannot bloat the day's item

Counters = dict[str, Decimal]
BucketKey = tuple[str, str]  # (series, day)


def series_key(client_id: str, source: str | None, model_id: str | None, model_version: str | None) -> str:
    """The series a filtered read takes: the tenant, a source or all, a model (or model version) or all."""
    source_part = ALL if source is None else f"s:{source[:MAX_KEY_PART]}"
    if model_id is None:
        model_part = ALL
    elif model_version is None:
        model_part = f"m:{model_id}"
    else:
        model_part = f"v:{model_id}@{model_version}"
    return f"{client_id}|{source_part}|{model_part}"


def score_bin(score: float | Decimal) -> int:
    return min(max(int(score), 0), HISTOGRAM_BINS - 1)


def region_of(image: Mapping[str, Any]) -> str:
    demographic = (image.get("attributes") or {}).get("demographic") or {}
    country = demographic.get("country")
    return str(country)[:MAX_KEY_PART] if isinstance(country, str) and country else UNKNOWN_REGION


def is_lead(image: Mapping[str, Any] | None) -> bool:
    return bool(image) and all(k in image for k in ("client_id", "id", "score", "source", "created_at"))  # type: ignore[operator]


def lead_counters(image: Mapping[str, Any]) -> Counters:
    """What one stored lead (a DynamoDB image as plain values) adds to each series it counts in."""
    one = Decimal(1)
    score = Decimal(str(image["score"]))
    source = str(image["source"])[:MAX_KEY_PART]
    region = region_of(image)
    status = str(image.get("conversion_status") or "new")
    qualified = bool(image.get("qualified"))
    grade = image.get("grade")
    converted, lost = status == "converted", status == "lost"
    revenue = Decimal(str(image["revenue"])) if converted and image.get("revenue") is not None else Decimal(0)
    b = score_bin(score)

    c: Counters = {"n": one, "ss": score, f"st:{status}": one, f"h:{b}:n": one}
    c.update({f"src:{source}:n": one, f"src:{source}:ss": score, f"reg:{region}:n": one, f"reg:{region}:ss": score})
    if qualified:
        c.update({"q": one, f"src:{source}:q": one, f"reg:{region}:q": one})
    if grade:
        c.update({f"g:{grade}:n": one, f"gs:{grade}:{source}": one})
    if converted:
        c.update({"conv": one, "rev": revenue, f"h:{b}:c": one, f"src:{source}:c": one, f"src:{source}:r": revenue})
        c[f"reg:{region}:c"] = one
        if grade:
            c.update({f"g:{grade}:c": one, f"g:{grade}:r": revenue})
        if qualified:
            c["q_conv"] = one
    if lost:
        c.update({"lost": one, f"h:{b}:l": one})
        if qualified:
            c["q_lost"] = one
    return {k: v for k, v in c.items() if v != 0}


def buckets_of(image: Mapping[str, Any]) -> list[BucketKey]:
    client_id = str(image["client_id"])
    day = str(image["created_at"])[:10]
    source = str(image["source"])
    model_id, version = image.get("model_id"), image.get("model_version")
    keys = [series_key(client_id, s, None, None) for s in (None, source)]
    if model_id:
        for s in (None, source):
            keys.append(series_key(client_id, s, str(model_id), None))
            if version is not None:
                keys.append(series_key(client_id, s, str(model_id), str(version)))
    return [(k, day) for k in keys]


def lead_delta(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[BucketKey, Counters]:
    """The change a write (old image -> new image; None when absent) makes, per (series, day); zeros left out."""
    delta: dict[BucketKey, Counters] = {}
    for image, sign in ((old, -1), (new, 1)):
        if image is None or not is_lead(image):
            continue
        counters = lead_counters(image)
        for key in buckets_of(image):
            into = delta.setdefault(key, {})
            for name, value in counters.items():
                into[name] = into.get(name, Decimal(0)) + sign * value
    cleaned = {key: {n: v for n, v in c.items() if v != 0} for key, c in delta.items()}
    return {key: c for key, c in cleaned.items() if c}


def add_into(total: Counters, delta: Mapping[str, Decimal]) -> None:
    for name, value in delta.items():
        total[name] = total.get(name, Decimal(0)) + value
