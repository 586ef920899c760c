"""Analytics domain: what a lead contributes, deltas of writes, and every report figure on hand-computed cases."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from leadscoring.domain import analytics as fig
from leadscoring.domain.aggregation import add_into, buckets_of, lead_counters, lead_delta, score_bin, series_key
from leadscoring.domain.conversions import InvalidTransition, allowed, check_transition
from leadscoring.schemas.model import LeadCosts, Thresholds


def lead(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "client_id": "c1",
        "id": "l1",
        "score": Decimal("62.5"),
        "source": "webinar",
        "created_at": "2026-03-04T10:00:00+00:00",
        "conversion_status": "new",
        "qualified": True,
        "grade": "B",
        "model_id": "baseline",
        "model_version": "1",
        "attributes": {"demographic": {"country": "DE"}},
    }
    base.update(overrides)
    return base


def summed(*images: dict[str, Any]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for image in images:
        add_into(total, lead_counters(image))
    return total


# --- contributions and deltas -------------------------------------------------------------------------------


def test_a_lead_counts_in_six_series_on_the_day_it_was_created() -> None:
    keys = buckets_of(lead())
    assert {day for _, day in keys} == {"2026-03-04"}
    assert {series for series, _ in keys} == {
        "c1|*|*",
        "c1|*|m:baseline",
        "c1|*|v:baseline@1",
        "c1|s:webinar|*",
        "c1|s:webinar|m:baseline",
        "c1|s:webinar|v:baseline@1",
    }
    assert series_key("c1", "webinar", "baseline", "1") == "c1|s:webinar|v:baseline@1"


def test_counters_of_a_converted_lead() -> None:
    c = lead_counters(lead(conversion_status="converted", revenue=Decimal("1200.5")))
    assert c["n"] == 1 and c["ss"] == Decimal("62.5") and c["q"] == 1
    assert c["conv"] == 1 and c["rev"] == Decimal("1200.5") and c["q_conv"] == 1
    assert c["st:converted"] == 1 and "st:new" not in c
    assert c["h:62:n"] == 1 and c["h:62:c"] == 1 and "h:62:l" not in c
    assert c["g:B:n"] == 1 and c["g:B:c"] == 1 and c["g:B:r"] == Decimal("1200.5") and c["gs:B:webinar"] == 1
    assert c["src:webinar:c"] == 1 and c["reg:DE:c"] == 1 and c["reg:DE:ss"] == Decimal("62.5")


def test_a_lost_lead_and_a_missing_country() -> None:
    c = lead_counters(lead(conversion_status="lost", qualified=False, attributes={}))
    assert c["lost"] == 1 and c["h:62:l"] == 1 and "q_lost" not in c and "q" not in c
    assert c["reg:unknown:n"] == 1


def test_score_bins_put_100_in_the_last_bin() -> None:
    assert [score_bin(s) for s in (0, 0.99, 1, 49.99, 99.5, 100)] == [0, 0, 1, 49, 99, 99]


def test_insert_modify_and_remove_deltas_are_exact() -> None:
    old = lead()
    new = lead(score=Decimal("80"), grade="A", source="referral", conversion_status="contacted")
    inserted = lead_delta(None, old)
    changed = lead_delta(old, new)
    removed = lead_delta(new, None)
    # Applying all three leaves nothing behind.
    total: dict[tuple[str, str], dict[str, Decimal]] = {}
    for delta in (inserted, changed, removed):
        for key, counters in delta.items():
            add_into(total.setdefault(key, {}), counters)
    assert all(v == 0 for c in total.values() for v in c.values())
    # The all-sources series only moves the score; the source series lose one lead and gain one.
    all_series = changed[("c1|*|*", "2026-03-04")]
    assert all_series["ss"] == Decimal("17.5") and "n" not in all_series
    assert changed[("c1|s:webinar|*", "2026-03-04")]["n"] == -1
    assert changed[("c1|s:referral|*", "2026-03-04")]["n"] == 1


def test_a_write_that_changes_nothing_counted_has_no_delta() -> None:
    assert lead_delta(lead(), lead(updated_at="later", email="x@example.com")) == {}
    assert lead_delta(None, {"client_id": "c1", "id": "not-a-lead"}) == {}


# --- figures --------------------------------------------------------------------------------------------------


def pairwise_auc(converted: Sequence[float], lost: Sequence[float]) -> float:
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in converted for n in lost)
    return wins / (len(converted) * len(lost))


def test_roc_auc_hand_computed() -> None:
    # converted at bins 3 and 1, lost at bins 1 and 0: pairs (3>1, 3>0, 1=1 half, 1>0) = 3.5 / 4
    converted, lost = [0] * 100, [0] * 100
    converted[3] += 1
    converted[1] += 1
    lost[1] += 1
    lost[0] += 1
    assert fig.roc_auc(converted, lost) == 0.875
    assert fig.roc_auc([0] * 100, lost) is None


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_the_pairwise_definition(seed: int) -> None:
    rng = random.Random(seed)
    pos = [rng.randint(0, 99) for _ in range(rng.randint(1, 40))]
    neg = [rng.randint(0, 99) for _ in range(rng.randint(1, 40))]
    converted, lost = [0] * 100, [0] * 100
    for b in pos:
        converted[b] += 1
    for b in neg:
        lost[b] += 1
    assert fig.roc_auc(converted, lost) == pytest.approx(pairwise_auc(pos, neg))


def test_performance_figures_by_hand() -> None:
    c = summed(
        lead(id="a", score=Decimal("80"), grade="A", conversion_status="converted", revenue=Decimal("1000")),
        lead(id="b", score=Decimal("60"), grade="B", conversion_status="lost"),
        lead(id="c", score=Decimal("30"), grade="C", qualified=False, conversion_status="converted", revenue=Decimal("500"), source="ads"),
        lead(id="d", score=Decimal("10"), grade="D", qualified=False, source="ads"),
    )
    costs = LeadCosts(default=100, by_source={"ads": 50})
    m = fig.performance(c, costs)
    assert (m.lead_volume, m.average_score, m.high_quality_leads, m.high_quality_share) == (4, 45.0, 2, 0.5)
    assert (m.conversions, m.conversion_rate, m.revenue, m.revenue_per_lead) == (2, 0.5, 1500.0, 375.0)
    assert m.cost == 2 * 100 + 2 * 50 and m.cost_per_conversion == 150.0 and m.roi == pytest.approx((1500 - 300) / 300)
    # Accuracy: converted {80, 30} vs lost {60}: 80>60 wins, 30<60 loses -> 0.5. Qualified: a (converted), b (lost).
    a = m.score_accuracy
    assert (a.roc_auc, a.precision, a.recall, a.based_on, a.converted, a.lost) == (0.5, 0.5, 0.5, 3, 2, 1)


def test_empty_figures_are_null_not_zero_division() -> None:
    m = fig.performance({}, LeadCosts())
    assert (m.lead_volume, m.average_score, m.conversion_rate, m.roi, m.cost_per_conversion) == (0, None, None, None, None)
    assert m.score_accuracy.roc_auc is None and m.score_accuracy.precision is None


def test_histogram_rebinned() -> None:
    c = summed(
        lead(id="a", score=Decimal("0")),
        lead(id="b", score=Decimal("24.9")),
        lead(id="c", score=Decimal("100"), conversion_status="converted"),
    )
    bins = fig.histogram(c, 25)
    assert [(b.lower, b.upper, b.leads, b.conversions) for b in bins] == [(0, 25, 2, 0), (25, 50, 0, 0), (50, 75, 0, 0), (75, 100, 1, 1)]
    assert len(fig.histogram(c, 1)) == 100 and sum(b.leads for b in fig.histogram(c, 1)) == 3
    with pytest.raises(ValueError):
        fig.histogram(c, 3)


def test_funnel_counts_leads_at_a_stage_or_later() -> None:
    c = summed(
        lead(id="a", conversion_status="new"),
        lead(id="b", conversion_status="contacted"),
        lead(id="c", conversion_status="qualified"),
        lead(id="d", conversion_status="converted"),
        lead(id="e", conversion_status="lost"),
    )
    assert [(s.stage, s.leads, s.share) for s in fig.funnel(c)] == [
        ("new", 5, 1.0),
        ("contacted", 3, 0.6),
        ("qualified", 2, 0.4),
        ("converted", 1, 0.2),
        ("lost", 1, 0.2),
    ]


def test_score_bands_use_each_leads_grade_and_cost_by_source() -> None:
    c = summed(
        lead(id="a", grade="A", conversion_status="converted", revenue=Decimal("300")),
        lead(id="b", grade="A", source="ads"),
        lead(id="c", grade="D"),
    )
    bands = {
        b.band: b
        for b in fig.score_bands(
            c, Thresholds(qualified=60, high_priority=80, low_priority=20), LeadCosts(default=100, by_source={"ads": 50})
        )
    }
    a = bands["A"]
    assert (a.lower, a.upper, a.leads, a.conversions, a.conversion_rate, a.revenue, a.cost) == (80, 100, 2, 1, 0.5, 300.0, 150.0)
    assert a.roi == 1.0
    assert (bands["B"].leads, bands["B"].roi, bands["D"].cost, bands["D"].lower, bands["D"].upper) == (0, None, 100.0, 0, 20)


def test_sources_by_average_score_and_regions_by_volume() -> None:
    c = summed(
        lead(id="a", source="ads", score=Decimal("90")),
        lead(id="b", source="web", score=Decimal("40"), attributes={"demographic": {"country": "FR"}}),
        lead(id="c", source="web", score=Decimal("60"), attributes={"demographic": {"country": "FR"}}),
    )
    assert [(s.source, s.leads, s.average_score) for s in fig.source_stats(c, LeadCosts())] == [("ads", 1, 90.0), ("web", 2, 50.0)]
    assert [(r.region, r.leads) for r in fig.region_stats(c)] == [("FR", 2), ("DE", 1)]


def test_periods_include_empty_buckets_and_start_inside_the_period() -> None:
    days = {date(2026, 3, 4): {"n": Decimal(2)}, date(2026, 3, 10): {"n": Decimal(1)}}
    weeks = fig.by_period(days, date(2026, 3, 4), date(2026, 3, 20), "week")
    # 2026-03-04 is a Wednesday: the first week starts there, the next ones on Mondays.
    assert [(d.isoformat(), int(c.get("n", 0))) for d, c in weeks] == [("2026-03-04", 2), ("2026-03-09", 1), ("2026-03-16", 0)]
    months = fig.by_period(days, date(2026, 2, 27), date(2026, 4, 2), "month")
    assert [d.isoformat() for d, _ in months] == ["2026-02-27", "2026-03-01", "2026-04-01"]
    assert len(fig.by_period(days, date(2026, 3, 1), date(2026, 3, 31), "day")) == 31


# --- conversion rules -----------------------------------------------------------------------------------------

STATUSES = ("new", "contacted", "qualified", "converted", "lost")
ALLOWED = {
    ("new", "contacted"),
    ("new", "qualified"),
    ("new", "converted"),
    ("new", "lost"),
    ("contacted", "qualified"),
    ("contacted", "converted"),
    ("contacted", "lost"),
    ("qualified", "converted"),
    ("qualified", "lost"),
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_transitions(current: str, target: str) -> None:
    assert allowed(current, target) is ((current, target) in ALLOWED)  # type: ignore[arg-type]
    if (current, target) not in ALLOWED:
        with pytest.raises(InvalidTransition) as refused:
            check_transition(current, target)  # type: ignore[arg-type]
        assert current in refused.value.message and target in refused.value.message
