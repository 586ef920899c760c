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
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadscoring.schemas.lead import AttributeValue, Explanation
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


def log_odds(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)  # in float32 1 - 1e-9 would be 1
    return np.asarray(np.log(clipped / (1 - clipped)))


Factors = list[tuple[int, float, float]]
Ranked = list[Factors]


@dataclass(frozen=True)
class RankedFactors:
    """Per lead, its strongest positive and negative factors, strongest first: (feature index, contribution in
    log-odds rounded to 6 places, score impact in points rounded to 4).

    Held as 2n rows of plain lists, lead i's positive factors in row i and its negative ones in row n + i: the
    first kept[r] entries of features[r], contributions[r] and impacts[r] (any further entries are not factors).
    A batch formats them from there.
    """

    features: list[list[int]]
    contributions: list[list[float]]
    impacts: list[list[float]]
    kept: list[int]

    @property
    def positive(self) -> Ranked:
        return self._factors(0, len(self.kept) // 2)

    @property
    def negative(self) -> Ranked:
        return self._factors(len(self.kept) // 2, len(self.kept))

    def _factors(self, start: int, stop: int) -> Ranked:
        return [
            list(zip(self.features[r], self.contributions[r], self.impacts[r], strict=True))[: self.kept[r]] for r in range(start, stop)
        ]


def rank_factors(probabilities: np.ndarray, at_baseline: np.ndarray, same: np.ndarray, top: int = TOP_FACTORS) -> RankedFactors:
    """Factors from the probability of each lead ([n]) and of each lead with feature j at its baseline ([n, f]).

    A feature whose value is its baseline (`same`) is no factor. A contribution that rounds to 0 is neither
    positive nor negative. Ties keep the features' order. The single-lead and batch paths both rank here,
    so they agree to the last digit.
    """
    n = len(probabilities)
    p = np.asarray(probabilities, dtype=np.float64).reshape(n, 1)
    q = np.where(same, p, at_baseline)
    contributions = np.round(log_odds(p) - log_odds(q), 6)
    impacts = np.round((p - q) * 100, 4)
    order, kept, chosen = _strongest(contributions, same, top)
    return RankedFactors(order.tolist(), chosen.tolist(), _taken(impacts, order).tolist(), kept)


def rank_terms(probabilities: Sequence[float], terms: Sequence[Sequence[float]], same: np.ndarray, top: int = TOP_FACTORS) -> RankedFactors:
    """rank_factors for an additive model, from each lead's probability ([n]) and each feature's term ([f][n]:
    the change in log-odds its value makes against the baseline, which is the feature's contribution) and
    `same` ([n, f]: the lead's value is the feature's baseline: no factor).

    The same rules as rank_factors; the contribution is the term itself (rounded to 6 places, half to even)
    rather than recovered from two probabilities. A factor's score impact is the points the lead loses when the
    feature goes back to its baseline (its log-odds drop by the term), to 4 places, half to even.

    Batch and single-lead scoring both rank an additive model here: a few leads in plain Python (numpy's
    per-call overhead would dominate), many with numpy. Both give the same factors and contributions to the
    last digit; an impact could differ in its last place only where numpy's exp or log and the C library's
    differ in their last bit at a rounding boundary.
    """
    n = len(probabilities)
    if n < _VECTOR_FROM:
        logits = [math.log(c / (1 - c)) for c in (min(max(p, _EPS), 1 - _EPS) for p in probabilities)]
        chosen = [_choose_one(i, flags, terms, top) for i, flags in enumerate(same.tolist())]
        rows = [ups for ups, _ in chosen] + [downs for _, downs in chosen]
        exp = math.exp
        return RankedFactors(
            [[j for j, _, _ in row] for row in rows],
            [[c for _, c, _ in row] for row in rows],
            [
                [round((p - 1 / (1 + exp(t - lp))) * 1e6) / 1e4 for _, _, t in row]
                for p, lp, row in zip([*probabilities, *probabilities], logits + logits, rows, strict=True)
            ],
            [len(row) for row in rows],
        )
    values = np.array(terms, dtype=np.float64).T  # [n, f]
    rounded = np.rint(values * 1e6) / 1e6  # as _choose_one: half to even
    order, kept, contributions = _strongest(rounded, same, top)
    p = np.tile(np.asarray(probabilities, dtype=np.float64), 2).reshape(-1, 1)
    lp = log_odds(p)
    impacts = np.rint((p - 1 / (1 + np.exp(_taken(values, order) - lp))) * 1e6) / 1e4
    return RankedFactors(order.tolist(), contributions.tolist(), impacts.tolist(), kept)


_VECTOR_FROM = 16


def _choose_one(i: int, flags: Sequence[bool], terms: Sequence[Sequence[float]], top: int) -> tuple[Factors, Factors]:
    """Lead i's strongest (feature, contribution, term) up and down, in plain Python."""
    ups: list[tuple[float, int, float]] = []
    downs: list[tuple[float, int, float]] = []
    for j, flag in enumerate(flags):
        if flag:
            continue
        term = terms[j][i]
        micro = round(term * 1e6)  # as numpy's rint: half to even
        if micro > 0:
            ups.append((-micro, j, term))
        elif micro < 0:
            downs.append((micro, j, term))
    ups.sort()  # strongest first; ties keep the features' order (j)
    downs.sort()
    return [(j, -key / 1e6, term) for key, j, term in ups[:top]], [(j, key / 1e6, term) for key, j, term in downs[:top]]


def _strongest(contributions: np.ndarray, same: np.ndarray, top: int) -> tuple[np.ndarray, list[int], np.ndarray]:
    """For n leads ([n, f] contributions, rounded), 2n rows: each lead's strongest positive factors, then each
    lead's strongest negative ones, as feature indexes ([2n, top]), how many of each row are factors (a prefix),
    and their contributions ([2n, top])."""
    # Positive factors sort by -contribution, negative ones by contribution; the rest sort last (inf), stably.
    keys = np.concatenate(
        (np.where(~same & (contributions > 0), -contributions, np.inf), np.where(~same & (contributions < 0), contributions, np.inf))
    )
    order = np.argsort(keys, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(keys, order, axis=1)
    n = contributions.shape[0]
    chosen[:n] = -chosen[:n]
    return order, np.isfinite(chosen).sum(axis=1).tolist(), chosen


def _taken(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """values ([n, f]) at the features `order` ([2n, top]) names, row r from lead r mod n."""
    return np.take_along_axis(np.concatenate((values, values)), order, axis=1)


def explanations(
    rows: Sequence[dict[str, AttributeValue]], names: Sequence[str], baselines: dict[str, AttributeValue], ranked: RankedFactors
) -> list[Explanation]:
    """The ranked factors of `rows` as Explanation models (the API's shape)."""
    n = len(rows)
    features, contributions, impacts, kept = ranked.features, ranked.contributions, ranked.impacts, ranked.kept

    def factors(r: int, row: dict[str, AttributeValue]) -> list[dict[str, Any]]:  # row r of `ranked`
        js, cs, ss = features[r], contributions[r], impacts[r]
        return [
            {
                "feature": (name := names[js[m]]),
                "value": row.get(name),
                "baseline": baselines.get(name),
                "contribution": cs[m],
                "score_impact": ss[m],
            }
            for m in range(kept[r])
        ]

    # Plain dicts validated in one call: pydantic's core builds the models faster than model_construct can.
    return [
        Explanation.model_validate({"top_positive": factors(i, row), "top_negative": factors(n + i, row)}) for i, row in enumerate(rows)
    ]


def same_as_baseline(rows: Sequence[dict[str, AttributeValue]], names: Sequence[str], baselines: dict[str, AttributeValue]) -> np.ndarray:
    """[n, f]: whether each row's value of each feature is its baseline (no variant needed, no factor)."""
    return np.array([[row.get(name) == baselines.get(name) for name in names] for row in rows], dtype=bool).reshape(len(rows), len(names))
