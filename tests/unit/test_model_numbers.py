"""A numeric model input takes numbers and text that reads as a finite number; anything else is missing to it
(a feature made categorical since the model was trained sends text until the model is retrained)."""

import math

import pytest

from leadscoring.domain.feature_values import model_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (3, 3.0),
        (2.5, 2.5),
        (True, 1.0),
        ("12", 12.0),
        (" -1.5e2 ", -150.0),
        ("many", None),
        ("inf", None),
        ("nan", None),
        ("", None),
    ],
)
def test_numbers_and_their_text_and_nothing_else(value: object, expected: float | None) -> None:
    got = model_number(value)
    assert math.isnan(got) if expected is None else got == expected, (value, got)
