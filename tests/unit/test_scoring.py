import numpy as np
import pytest

from leadscoring.domain.scoring import input_hash, round_half_even, score_columns, score_from_probability, score_parts
from leadscoring.schemas.model import Thresholds


def test_score_is_probability_on_0_to_100_and_qualification_follows_threshold() -> None:
    outcome = score_from_probability(0.734567, completeness=1.0, thresholds=Thresholds(qualified=70, high_priority=90, low_priority=10))
    assert outcome.score == 73.46
    assert outcome.qualified is True and outcome.threshold == 70
    assert score_from_probability(0.69, 1.0, Thresholds(qualified=70, high_priority=90, low_priority=10)).qualified is False


def test_boundary_score_equal_to_threshold_qualifies() -> None:
    assert score_from_probability(0.5, 1.0, Thresholds()).qualified is True


@pytest.mark.parametrize(("p", "completeness", "expected"), [(0.5, 1.0, 0.5), (1.0, 1.0, 1.0), (0.0, 1.0, 1.0), (0.9, 0.5, 0.45)])
def test_confidence_combines_certainty_and_completeness(p: float, completeness: float, expected: float) -> None:
    assert score_from_probability(p, completeness, Thresholds()).score_confidence == pytest.approx(expected)


def test_probabilities_outside_0_1_are_clamped() -> None:
    assert score_from_probability(1.0000001, 1.0, Thresholds()).score == 100
    assert score_from_probability(-1e-9, 1.0, Thresholds()).score == 0


def test_input_hash_is_stable_and_sensitive() -> None:
    a = input_hash("m", "1", {"x": 1, "y": "a"})
    assert a == input_hash("m", "1", {"y": "a", "x": 1})
    assert a != input_hash("m", "2", {"x": 1, "y": "a"})
    assert a != input_hash("m", "1", {"x": 2, "y": "a"})


def test_score_columns_are_score_parts_to_the_last_bit() -> None:
    rng = np.random.default_rng(7)
    # Random probabilities, float32 model outputs, and values at a hair of every rounding half (x.xx5, x.xxxx5).
    halves = np.array([(k + 0.5) / 10_000 for k in range(0, 10_000, 7)] + [(k + 0.5) / 1_000_000 for k in range(0, 10**6, 997)])
    probabilities = np.concatenate(
        (rng.random(3000), rng.random(1000).astype(np.float32), halves, np.nextafter(halves, 0), np.nextafter(halves, 1), [0.0, 1.0])
    )
    completeness = rng.choice([0.0, 0.25, 0.5, 0.96, 1.0], len(probabilities))
    thresholds = Thresholds(qualified=55.5, high_priority=80.0, low_priority=20.0)
    columns = score_columns(probabilities, completeness, thresholds)
    expected = [score_parts(float(p), float(c), thresholds) for p, c in zip(probabilities, completeness, strict=True)]
    assert list(zip(*columns, strict=True)) == expected
    assert round_half_even(probabilities, 6).tolist() == [round(float(p), 6) for p in probabilities]
    assert round_half_even(np.array([0.285, 2.675, 1.005]), 2).tolist() == [round(0.285, 2), round(2.675, 2), round(1.005, 2)]
