"""Report figures from aggregated counters (see domain/aggregation.py for what each counter holds); pure.

Rates are None when their denominator is 0. ROC-AUC comes from the 1-point histograms of converted and
lost leads, a pair in the same bin counting as half; precision and recall use each lead's `qualified` as
it was scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from leadscoring.domain.aggregation import HISTOGRAM_BINS, Counters, add_into
from leadscoring.schemas.analytics import (
    FunnelStage,
    Granularity,
    HistogramBin,
    PerformanceMetrics,
    RegionStats,
    ScoreAccuracy,
    ScoreBand,
    SourceStats,
    TrendPoint,
)
from leadscoring.schemas.model import LeadCosts, Thresholds

FUNNEL = ("new", "contacted", "qualified", "converted")
BIN_WIDTHS = (1, 2, 4, 5, 10, 20, 25, 50, 100)  # the widths that split 0-100 into whole 1-point bins


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def total(items: Iterable[Mapping[str, Decimal]]) -> Counters:
    out: Counters = {}
    for item in items:
        add_into(out, item)
    return out


def _get(c: Mapping[str, Decimal], name: str) -> float:
    return float(c.get(name, 0))


def _int(c: Mapping[str, Decimal], name: str) -> int:
    return int(c.get(name, 0))


def _grouped(c: Mapping[str, Decimal], prefix: str) -> dict[str, dict[str, Decimal]]:
    """{"src:web:n": 3, "src:web:c": 1} -> {"web": {"n": 3, "c": 1}} for prefix "src"."""
    out: dict[str, dict[str, Decimal]] = {}
    for name, value in c.items():
        if name.startswith(prefix + ":"):
            key, _, field = name[len(prefix) + 1 :].rpartition(":")
            out.setdefault(key, {})[field] = value
    return out


def cost_of(c: Mapping[str, Decimal], costs: LeadCosts) -> float:
    return sum(float(v.get("n", 0)) * costs.of(source) for source, v in _grouped(c, "src").items())


def roc_auc(converted: list[int], lost: list[int]) -> float | None:
    """P(a converted lead outscores a lost one) from per-bin counts (index = score bin); ties count half."""
    positives, negatives = sum(converted), sum(lost)
    if positives == 0 or negatives == 0:
        return None
    wins, below = 0.0, 0
    for pos, neg in zip(converted, lost, strict=True):
        wins += pos * below + 0.5 * pos * neg
        below += neg
    return wins / (positives * negatives)


def histogram_column(c: Mapping[str, Decimal], field: str) -> list[int]:
    return [_int(c, f"h:{b}:{field}") for b in range(HISTOGRAM_BINS)]


def accuracy(c: Mapping[str, Decimal]) -> ScoreAccuracy:
    converted, lost = _int(c, "conv"), _int(c, "lost")
    q_conv, q_lost = _int(c, "q_conv"), _int(c, "q_lost")
    return ScoreAccuracy(
        roc_auc=roc_auc(histogram_column(c, "c"), histogram_column(c, "l")),
        precision=ratio(q_conv, q_conv + q_lost),
        recall=ratio(q_conv, converted),
        based_on=converted + lost,
        converted=converted,
        lost=lost,
    )


def performance(c: Mapping[str, Decimal], costs: LeadCosts) -> PerformanceMetrics:
    volume, conversions = _int(c, "n"), _int(c, "conv")
    revenue, cost = _get(c, "rev"), cost_of(c, costs)
    return PerformanceMetrics(
        lead_volume=volume,
        average_score=ratio(_get(c, "ss"), volume),
        high_quality_leads=_int(c, "q"),
        high_quality_share=ratio(_int(c, "q"), volume),
        conversions=conversions,
        conversion_rate=ratio(conversions, volume),
        score_accuracy=accuracy(c),
        revenue=revenue,
        revenue_per_lead=ratio(revenue, volume),
        cost=cost,
        cost_per_conversion=ratio(cost, conversions),
        roi=ratio(revenue - cost, cost),
    )


def histogram(c: Mapping[str, Decimal], bin_width: int) -> list[HistogramBin]:
    if bin_width not in BIN_WIDTHS:
        raise ValueError(f"bin_width must be one of {BIN_WIDTHS}")
    leads, conversions = histogram_column(c, "n"), histogram_column(c, "c")
    return [
        HistogramBin(
            lower=float(lo),
            upper=float(lo + bin_width),
            leads=sum(leads[lo : lo + bin_width]),
            conversions=sum(conversions[lo : lo + bin_width]),
        )
        for lo in range(0, HISTOGRAM_BINS, bin_width)
    ]


def funnel(c: Mapping[str, Decimal]) -> list[FunnelStage]:
    """Leads at a stage or a later one along new -> converted; a lost lead counts as created (new) and lost."""
    created = _int(c, "n")
    stages: list[FunnelStage] = []
    for i, stage in enumerate(FUNNEL):
        reached = created if i == 0 else sum(_int(c, f"st:{s}") for s in FUNNEL[i:])
        stages.append(FunnelStage(stage=stage, leads=reached, share=ratio(reached, created)))  # type: ignore[arg-type]
    lost = _int(c, "st:lost")
    stages.append(FunnelStage(stage="lost", leads=lost, share=ratio(lost, created)))
    return stages


def score_bands(c: Mapping[str, Decimal], thresholds: Thresholds, costs: LeadCosts) -> list[ScoreBand]:
    bounds = {
        "A": (thresholds.high_priority, 100.0),
        "B": (thresholds.qualified, thresholds.high_priority),
        "C": (thresholds.low_priority, thresholds.qualified),
        "D": (0.0, thresholds.low_priority),
    }
    bands = []
    for grade, (lower, upper) in bounds.items():
        leads, conversions, revenue = _int(c, f"g:{grade}:n"), _int(c, f"g:{grade}:c"), _get(c, f"g:{grade}:r")
        prefix = f"gs:{grade}:"
        cost = sum(float(v) * costs.of(name[len(prefix) :]) for name, v in c.items() if name.startswith(prefix))
        bands.append(
            ScoreBand(
                band=grade,  # type: ignore[arg-type]
                lower=lower,
                upper=upper,
                leads=leads,
                conversions=conversions,
                conversion_rate=ratio(conversions, leads),
                revenue=revenue,
                cost=cost,
                roi=ratio(revenue - cost, cost),
            )
        )
    return bands


def _group_figures(v: Mapping[str, Decimal]) -> dict[str, Any]:
    """The figures every breakdown (by source, by region) shows for one group's counters."""
    leads, conversions = int(v.get("n", 0)), int(v.get("c", 0))
    return {
        "leads": leads,
        "average_score": ratio(float(v.get("ss", 0)), leads),
        "high_quality_share": ratio(int(v.get("q", 0)), leads),
        "conversions": conversions,
        "conversion_rate": ratio(conversions, leads),
    }


def source_stats(c: Mapping[str, Decimal], costs: LeadCosts) -> list[SourceStats]:
    stats = []
    for source, v in _grouped(c, "src").items():
        figures = _group_figures(v)
        if figures["leads"] == 0:
            continue
        revenue, cost = float(v.get("r", 0)), figures["leads"] * costs.of(source)
        stats.append(SourceStats(source=source, revenue=revenue, roi=ratio(revenue - cost, cost), **figures))
    return sorted(stats, key=lambda s: (-(s.average_score or 0.0), s.source))


def region_stats(c: Mapping[str, Decimal]) -> list[RegionStats]:
    stats = []
    for region, v in _grouped(c, "reg").items():
        figures = _group_figures(v)
        if figures["leads"] > 0:
            stats.append(RegionStats(region=region, **figures))
    return sorted(stats, key=lambda s: (-s.leads, s.region))


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the bucket holding `day`: itself, its ISO week's Monday, or the 1st of its month."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def by_period(days: Mapping[date, Counters], start: date, end: date, granularity: Granularity) -> list[tuple[date, Counters]]:
    """Counters summed per bucket, oldest first, empty buckets included; a bucket is reported from its first day
    inside the period (so a week cut by `start` starts at `start`)."""
    buckets: dict[date, Counters] = {}
    day = start
    while day <= end:
        key = max(period_start(day, granularity), start)
        add_into(buckets.setdefault(key, {}), days.get(day, {}))
        day += timedelta(days=1)
    return sorted(buckets.items())


def trend(points: list[tuple[date, Counters]]) -> list[TrendPoint]:
    return [
        TrendPoint(
            period_start=start,
            lead_volume=_int(c, "n"),
            average_score=ratio(_get(c, "ss"), _int(c, "n")),
            conversions=_int(c, "conv"),
            conversion_rate=ratio(_int(c, "conv"), _int(c, "n")),
        )
        for start, c in points
    ]
