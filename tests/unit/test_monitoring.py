"""The drift, bias and data-quality figures (domain/monitoring.py) against hand counts and scikit-learn."""

from __future__ import annotations

import math
import random

import pytest
from sklearn.metrics import roc_auc_score

from leadscoring.domain import monitoring as m
from leadscoring.schemas.model_metadata import BinsReference, CalibrationBin, CategoriesReference


def test_psi_is_the_textbook_sum_and_zero_for_the_same_shares() -> None:
    expected, actual = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    assert m.psi(expected, actual) == pytest.approx(-0.1 * math.log(0.8) + 0.1 * math.log(4 / 3))
    assert m.psi(expected, expected) == 0
    # An empty bin counts at the floor, not as an infinite term.
    assert m.psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1]) == pytest.approx(-0.1 * math.log(0.8) + (0.1 - 1e-4) * math.log(0.1 / 1e-4))
    # With no drift, PSI averages (bins - 1)(1/n + 1/m): measured here on samples of one distribution.
    rng = random.Random(3)
    reference = [0.1] * 10
    runs = [m.psi(reference, [c / 200 for c in _counts(rng, 200)]) for _ in range(400)]
    assert sum(runs) / len(runs) == pytest.approx(m.chance_psi(10, 200, 10**9), rel=0.15)
    assert [m.drift_level(x) for x in (0.0, 0.099, 0.1, 0.2499, 0.25, 3.0)] == ["stable"] * 2 + ["moderate"] * 2 + ["significant"] * 2


def _counts(rng: random.Random, n: int) -> list[int]:
    counts = [0] * 10
    for _ in range(n):
        counts[rng.randrange(10)] += 1
    return counts


def test_a_numeric_reference_bins_training_values_at_their_deciles() -> None:
    values = [float(v) for v in range(100)] + [None] * 25
    reference = m.feature_reference(values, numerical=True)
    assert isinstance(reference, BinsReference)
    assert reference.missing == pytest.approx(0.2) and reference.rows == 125
    assert len(reference.edges) == 9 and reference.edges[0] == pytest.approx(9.9)
    assert sum(reference.shares) + reference.missing == pytest.approx(1)
    assert (reference.min, reference.max) == (0.0, 99.0)

    labels, expected, live = m.binned(reference, [0.0, 50.0, 1000.0, None, "text"])
    assert labels[0] == "< 9.9" and labels[-2] == ">= 89.1" and labels[-1] == m.MISSING
    assert expected[-1] == pytest.approx(0.2)
    # 0 in the first bin, 50 in the sixth, 1000 in the last; None and text (the model sees no number) are missing.
    assert live == pytest.approx([0.2, 0, 0, 0, 0, 0.2, 0, 0, 0, 0.2, 0.4])


def test_a_categorical_reference_keeps_the_top_values_and_the_rest_as_other() -> None:
    values = ["a"] * 50 + ["b"] * 30 + [f"rare{k}" for k in range(20)] + [True, False, None, None]
    reference = m.feature_reference(values, numerical=False)
    assert isinstance(reference, CategoriesReference)
    assert len(reference.shares) == m.TOP_CATEGORIES
    assert reference.shares["a"] == pytest.approx(50 / 104) and reference.missing == pytest.approx(2 / 104)
    assert reference.other == pytest.approx(4 / 104)  # 22 values are seen once: 18 make the top 20, 4 do not
    labels, _, live = m.binned(reference, ["a", "b", "never", None])
    assert labels[-2:] == [m.OTHER, m.MISSING]
    assert live[labels.index("a")] == 0.25 and live[-2] == 0.25 and live[-1] == 0.25


def test_roc_auc_matches_scikit_learn_with_ties() -> None:
    rng = random.Random(5)
    scores = [round(rng.uniform(0, 100)) for _ in range(300)]  # whole numbers: many ties
    outcomes = [rng.random() < s / 120 for s in scores]
    assert m.roc_auc(scores, outcomes) == pytest.approx(roc_auc_score(outcomes, scores))
    assert m.roc_auc([1.0, 2.0], [True, True]) is None


def test_score_reference_reads_the_calibration_curve_counts() -> None:
    curve = [CalibrationBin(lower=k / 10, upper=(k + 1) / 10, count=k + 1) for k in range(10)]
    shares, rows = m.score_reference(curve) or ([], 0)
    assert shares == pytest.approx([(k + 1) / 55 for k in range(10)]) and rows == 55
    assert m.score_reference(curve[:5]) is None
    assert m.score_bins([0.0, 9.99, 10.0, 99.5, 100.0]) == pytest.approx([0.4, 0.2, 0, 0, 0, 0, 0, 0, 0, 0.4])


def test_group_figures() -> None:
    members = [(80.0, True, "converted"), (70.0, True, "lost"), (20.0, False, "converted"), (10.0, False, "new")]
    figures = m.group_figures(members)
    assert figures == {
        "leads": 4,
        "mean_score": 45.0,
        "qualified_rate": 0.5,
        "with_outcome": 3,
        "conversion_rate": pytest.approx(2 / 3),
        "true_positive_rate": 0.5,
        "false_positive_rate": 1.0,
        "converted": 2,
    }


def test_a_scheduled_run_is_known_by_its_due_time() -> None:
    from datetime import UTC, datetime

    from leadscoring.services.report_schedule import scheduled_time

    due = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    assert scheduled_time({"time": "2026-12-03T05:00:00Z", "detail-type": "Scheduled Event"}) == due
    assert scheduled_time({"time": "2026-12-03T06:00:00+01:00"}) == due
    assert scheduled_time({}, now=due) == due


def test_numbers_are_grouped_by_their_quartiles() -> None:
    values = [*range(1, 101), None, "n/a", True]
    bands = m.quartile_bands(values)
    assert bands[0] == "< 25.75" and bands[50] == "50.5 to 75.25" and bands[99] == ">= 75.25"
    assert bands[-3:] == [m.MISSING] * 3  # no number: missing (a boolean is not a size)
    assert {b: bands.count(b) for b in set(bands[:100])} == {"< 25.75": 25, "25.75 to 50.5": 25, "50.5 to 75.25": 25, ">= 75.25": 25}
    assert m.quartile_bands([None, None]) == [m.MISSING, m.MISSING]
