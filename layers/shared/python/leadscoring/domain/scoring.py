"""From a model's probability to the lead's score, confidence and qualification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

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
    p = min(max(float(probability), 0.0), 1.0)
    score = round(p * 100, 2)
    certainty = 0.5 + 0.5 * abs(2 * p - 1)
    confidence = round(min(max(completeness, 0.0), 1.0) * certainty, 4)
    return ScoreOutcome(
        score, confidence, score >= thresholds.qualified, thresholds.qualified, priority_of(score, thresholds), grade_of(score, thresholds)
    )


def input_hash(model_id: str, model_version: str, features: dict[str, Any]) -> str:
    """A stable fingerprint of what the model saw: same inputs and model, same hash; no PII goes in."""
    canonical = json.dumps(
        {"model": model_id, "version": model_version, "features": features}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
