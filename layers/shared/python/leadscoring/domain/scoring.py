"""From a model's probability to the lead's score, confidence and qualification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadscoring.schemas.lead import Grade, Priority
from leadscoring.schemas.model import Thresholds


@dataclass(frozen=True)
class ScoreOutcome:
    score: float
    score_confidence: float
    qualified: bool
    threshold: float
    priority: Priority
    grade: Grade


def priority_of(score: float, thresholds: Thresholds) -> Priority:
    if score >= thresholds.high_priority:
        return "high"
    return "low" if score < thresholds.low_priority else "medium"


def grade_of(score: float, thresholds: Thresholds) -> Grade:
    """A: high priority; B: qualified; C: between low priority and qualified; D: below low priority."""
    if score >= thresholds.high_priority:
        return "A"
    if score >= thresholds.qualified:
        return "B"
    return "C" if score >= thresholds.low_priority else "D"


def score_from_probability(probability: float, completeness: float, thresholds: Thresholds) -> ScoreOutcome:
    """score: the conversion probability on 0-100.

    score_confidence: how much the score can be trusted, in 0-1: the share of the model's features the lead
    supplied, times the model's certainty (0.5 at p=0.5 rising to 1 at p=0 or 1), so a confident model
    scoring a half-empty lead still reads as half confident.
    """
    score, confidence, qualified, priority, grade = score_parts(probability, completeness, thresholds)
    return ScoreOutcome(score, confidence, qualified, thresholds.qualified, priority, grade)


def score_parts(probability: float, completeness: float, thresholds: Thresholds) -> tuple[float, float, bool, Priority, Grade]:
    """score_from_probability as a plain tuple (score, confidence, qualified, priority, grade), for batches."""
    p = min(max(float(probability), 0.0), 1.0)
    score = round(p * 100, 2)
    certainty = 0.5 + 0.5 * abs(2 * p - 1)
    confidence = round(min(max(completeness, 0.0), 1.0) * certainty, 4)
    qualified = score >= thresholds.qualified
    if score >= thresholds.high_priority:
        return score, confidence, qualified, "high", "A"
    above_low = score >= thresholds.low_priority
    return score, confidence, qualified, "medium" if above_low else "low", "B" if qualified else "C" if above_low else "D"


def score_columns(
    probabilities: np.ndarray, completeness: np.ndarray, thresholds: Thresholds
) -> tuple[list[float], list[float], list[bool], list[Priority], list[Grade]]:
    """score_parts for many leads at once, with numpy, to the last bit: scores, confidences, qualified, priorities,
    grades as lists."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    score = round_half_even(p * 100, 2)
    certainty = 0.5 + 0.5 * np.abs(2 * p - 1)
    confidence = round_half_even(np.clip(np.asarray(completeness, dtype=np.float64), 0.0, 1.0) * certainty, 4)
    high, qualified, above_low = score >= thresholds.high_priority, score >= thresholds.qualified, score >= thresholds.low_priority
    priority = np.where(high, "high", np.where(above_low, "medium", "low"))
    grade = np.where(high, "A", np.where(qualified, "B", np.where(above_low, "C", "D")))
    return score.tolist(), confidence.tolist(), qualified.tolist(), priority.tolist(), grade.tolist()


def round_half_even(values: np.ndarray, digits: int) -> np.ndarray:
    """Python's round(x, digits) of each value, exactly: the nearest float to the value's exact binary expansion
    rounded to `digits` decimals. Scaling first is exact enough except within a hair of a half, where rounding
    the scaled product could go the other way: those few values are rounded by Python itself."""
    values = np.asarray(values, dtype=np.float64)  # a model's float32 output too: Python rounds the float64 it becomes
    scale = 10.0**digits
    scaled = values * scale
    out = np.rint(scaled) / scale
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6):
        out[i] = round(float(values[i]), digits)
    return out


def input_hash(model_id: str, model_version: str, features: dict[str, Any]) -> str:
    """A stable fingerprint of what the model saw: same inputs and model, same hash; no PII goes in."""
    canonical = json.dumps(
        {"model": model_id, "version": model_version, "features": features}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
