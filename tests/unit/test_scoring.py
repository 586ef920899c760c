import pytest

from leadscoring.domain.scoring import input_hash, score_from_probability
from leadscoring.schemas.model import Thresholds


def test_score_is_probability_on_0_to_100_and_qualification_follows_threshold():
    outcome = score_from_probability(0.734567, completeness=1.0, thresholds=Thresholds(qualified=70, high_priority=90, low_priority=10))
    assert outcome.score == 73.46
    assert outcome.qualified is True and outcome.threshold == 70
    assert score_from_probability(0.69, 1.0, Thresholds(qualified=70, high_priority=90, low_priority=10)).qualified is False


def test_boundary_score_equal_to_threshold_qualifies():
    assert score_from_probability(0.5, 1.0, Thresholds()).qualified is True


@pytest.mark.parametrize(("p", "completeness", "expected"), [(0.5, 1.0, 0.5), (1.0, 1.0, 1.0), (0.0, 1.0, 1.0), (0.9, 0.5, 0.45)])
def test_confidence_combines_certainty_and_completeness(p, completeness, expected):
    assert score_from_probability(p, completeness, Thresholds()).score_confidence == pytest.approx(expected)


def test_probabilities_outside_0_1_are_clamped():
    assert score_from_probability(1.0000001, 1.0, Thresholds()).score == 100
    assert score_from_probability(-1e-9, 1.0, Thresholds()).score == 0


def test_input_hash_is_stable_and_sensitive():
    a = input_hash("m", "1", {"x": 1, "y": "a"})
    assert a == input_hash("m", "1", {"y": "a", "x": 1})
    assert a != input_hash("m", "2", {"x": 1, "y": "a"})
    assert a != input_hash("m", "1", {"x": 2, "y": "a"})
