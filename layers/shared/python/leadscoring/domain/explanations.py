"""Model-agnostic explanations computed with the served model itself.

For each lead, every feature in turn is set back to its training baseline (median of numbers, most common
category) and all the variants are scored in one batch. A feature's contribution is the change in log-odds
that its actual value causes against that baseline. For a logistic regression this equals the feature's
exact linear term, w*(x - baseline) in the transformed space; for other models it is an occlusion estimate.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from leadscoring.schemas.lead import AttributeValue, Explanation, Factor
from leadscoring.schemas.model import FeatureType

TOP_FACTORS = 3
_EPS = 1e-9


def training_baselines(rows: Sequence[dict[str, AttributeValue]], schema: Sequence[tuple[str, FeatureType]]) -> dict[str, AttributeValue]:
    """The value a feature takes 'by default' in the training data: its median, or its most common category."""
    baselines: dict[str, AttributeValue] = {}
    for name, ftype in schema:
        present = [r.get(name) for r in rows if r.get(name) is not None]
        if not present:
            baselines[name] = None
        elif ftype == "categorical":
            baselines[name] = Counter(map(str, present)).most_common(1)[0][0]
        elif ftype == "boolean":
            baselines[name] = sum(bool(v) for v in present) * 2 >= len(present)
        else:
            baselines[name] = float(np.median(np.asarray(present, dtype=float)))
    return baselines


def variants(rows: Sequence[dict[str, AttributeValue]], names: Sequence[str], baselines: dict[str, AttributeValue]) -> list[dict[str, Any]]:
    """For each row: the row itself, then one copy per feature with that feature at its baseline."""
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(row)
        for name in names:
            out.append({**row, name: baselines.get(name)})
    return out


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def explain(
    rows: Sequence[dict[str, AttributeValue]],
    names: Sequence[str],
    baselines: dict[str, AttributeValue],
    probabilities: np.ndarray,
    top: int = TOP_FACTORS,
) -> list[Explanation]:
    """Explanations from the probabilities of `variants(rows, names, baselines)`, in the same order."""
    width = len(names) + 1
    out = []
    for i, row in enumerate(rows):
        block = probabilities[i * width : (i + 1) * width]
        p, logit = float(block[0]), _logit(float(block[0]))
        factors = []
        for j, name in enumerate(names):
            if row.get(name) == baselines.get(name):
                continue
            q = float(block[j + 1])
            factors.append(
                Factor(
                    feature=name,
                    value=row.get(name),
                    baseline=baselines.get(name),
                    contribution=round(logit - _logit(q), 6),
                    score_impact=round((p - q) * 100, 4),
                )
            )
        positive = sorted((f for f in factors if f.contribution > 0), key=lambda f: -f.contribution)[:top]
        negative = sorted((f for f in factors if f.contribution < 0), key=lambda f: f.contribution)[:top]
        out.append(Explanation(top_positive=positive, top_negative=negative))
    return out
