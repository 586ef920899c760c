"""Drift, bias and data-quality figures for the audit reports (pure: no storage, no clock).

- A feature's reference is its distribution in a model's training rows, recorded at training: ten bins between
  its deciles for a number (dates as days, as the model sees them), its 20 most common values for a category or
  boolean, each with the share of rows that lacked it. Live values are put in the same bins.
- Drift is the population stability index, PSI = sum((live - reference) * ln(live / reference)) over the bins,
  shares floored at 1e-4 so an empty bin counts without an infinite term. The usual reading: below 0.1 stable,
  0.1 to 0.25 moderate, above 0.25 significant.
- Bias compares groups of leads (a categorical feature's values, or their source) by qualification rate (the
  disparate impact ratio against the best-treated group; below 0.8 fails the four-fifths rule) and, among leads
  whose outcome is known, by the share of converted leads that were qualified (equal opportunity).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from leadscoring.domain.feature_values import model_number
from leadscoring.schemas.model_metadata import BinsReference, CalibrationBin, CategoriesReference, FeatureReference

NUMERIC_BINS = 10
TOP_CATEGORIES = 20
OTHER, MISSING = "(other)", "(missing)"
SHARE_FLOOR = 1e-4
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25
FOUR_FIFTHS = 0.8
SCORE_BINS = 10  # 10-point score bins, as the training record's calibration curve counts its holdout

DriftLevel = Literal["stable", "moderate", "significant"]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def category_text(value: Any) -> str:
    """A category as training and scoring see it: booleans as true/false, anything else as its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def feature_reference(values: Sequence[Any], numerical: bool) -> FeatureReference:
    """A feature's training distribution: bins (numbers) or categories, with the share of rows that lacked it."""
    n = len(values)
    present = [v for v in values if not _is_missing(v)]
    missing = 1 - len(present) / n if n else 0.0
    if numerical:
        numbers = np.asarray(present, dtype=np.float64)
        if not len(numbers):
            return BinsReference(kind="bins", edges=[], shares=[], missing=missing, rows=n)
        edges = sorted(set(np.quantile(numbers, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]).round(6).tolist()))
        counts = np.bincount(np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1)
        return BinsReference(
            kind="bins",
            edges=edges,
            shares=_shares(counts.tolist(), n),
            missing=missing,
            min=float(numbers.min()),
            max=float(numbers.max()),
            rows=n,
        )
    top = dict(Counter(map(category_text, present)).most_common(TOP_CATEGORIES))
    return CategoriesReference(
        kind="categories",
        shares={k: c / n for k, c in top.items()},
        other=(len(present) - sum(top.values())) / n if n else 0.0,
        missing=missing,
        rows=n,
    )


def _shares(counts: Sequence[int], n: int) -> list[float]:
    return [c / n if n else 0.0 for c in counts]


def binned(reference: FeatureReference, values: Sequence[Any]) -> tuple[list[str], list[float], list[float]]:
    """Bin labels, reference shares and live shares of `values` in the reference's bins (missing last)."""
    n = len(values)
    missing = sum(1 for v in values if _is_missing(v))
    present = [v for v in values if not _is_missing(v)]
    if isinstance(reference, BinsReference):
        edges = reference.edges
        read = [number_or_none(v) for v in present]
        numbers = [x for x in read if x is not None]
        missing += len(read) - len(numbers)  # text where the model took a number: the model sees it as missing
        counts = np.bincount(np.searchsorted(edges, np.asarray(numbers, dtype=np.float64), side="right"), minlength=len(edges) + 1)
        labels = _bin_labels(edges)
        live = _shares(counts.tolist(), n)
        expected = list(reference.shares) or [0.0] * len(labels)
    else:
        categories = list(reference.shares)
        known = Counter(map(category_text, present))
        labels = [*categories, OTHER]
        live = _shares([known.get(c, 0) for c in categories] + [sum(v for k, v in known.items() if k not in reference.shares)], n)
        expected = [*reference.shares.values(), reference.other]
    return [*labels, MISSING], [*expected, reference.missing], [*live, missing / n if n else 0.0]


def _bin_labels(edges: Sequence[float]) -> list[str]:
    if not edges:
        return ["all"]
    bounds = [f"{e:g}" for e in edges]
    return [f"< {bounds[0]}", *(f"{lo} to {hi}" for lo, hi in itertools.pairwise(bounds)), f">= {bounds[-1]}"]


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two distributions over the same bins (shares floored at SHARE_FLOOR)."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, SHARE_FLOOR), max(a, SHARE_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def chance_psi(bins: int, live_rows: int, reference_rows: int) -> float:
    """The PSI two samples of these sizes show with no drift at all, on average: (bins - 1) * (1/n + 1/m) (PSI is
    then about a chi-square with bins - 1 degrees of freedom, scaled). A level is read from the PSI above this, so
    a small sample's noise does not pass for drift."""
    if live_rows <= 0 or reference_rows <= 0:
        return 0.0
    return (bins - 1) * (1 / live_rows + 1 / reference_rows)


def drift_level(value: float) -> DriftLevel:
    """The level of a PSI already net of chance_psi."""
    if value >= PSI_SIGNIFICANT:
        return "significant"
    return "moderate" if value >= PSI_MODERATE else "stable"


def score_reference(calibration_curve: Sequence[CalibrationBin]) -> tuple[list[float], int] | None:
    """The training holdout's share of scores in each 10-point bin, and its rows, from the record's calibration
    curve (its bins are tenths of the probability, the score over 100); None when the record has no such curve."""
    if len(calibration_curve) != SCORE_BINS:
        return None
    counts = [b.count for b in calibration_curve]
    total = sum(counts)
    return (_shares(counts, total), total) if total else None


def score_bins(scores: Sequence[float]) -> list[float]:
    counts = Counter(min(int(s // 10), SCORE_BINS - 1) for s in scores)
    return _shares([counts.get(k, 0) for k in range(SCORE_BINS)], len(scores))


def score_bin_labels() -> list[str]:
    return [f"{10 * k}-{10 * k + 10}" for k in range(SCORE_BINS)]


def roc_auc(scores: Sequence[float], converted: Sequence[bool]) -> float | None:
    """The probability that a converted lead outscored a lost one (ties count half); None without both kinds."""
    pos = np.asarray([s for s, c in zip(scores, converted, strict=True) if c], dtype=np.float64)
    neg = np.asarray([s for s, c in zip(scores, converted, strict=True) if not c], dtype=np.float64)
    if not len(pos) or not len(neg):
        return None
    values = np.concatenate((pos, neg))
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):  # ties share their mean rank
        tied = values == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def quartile_bands(values: Sequence[Any]) -> list[str]:
    """Each value's band among the values' quartiles ("< 10", "10 to 25", ">= 80"), MISSING when it has no number:
    numbers grouped for a bias report."""
    numbers = [None if isinstance(v, bool) else number_or_none(v) for v in values]  # a flag is not a size
    present = np.asarray([x for x in numbers if x is not None], dtype=np.float64)
    if not len(present):
        return [MISSING] * len(values)
    edges = sorted(set(np.quantile(present, [0.25, 0.5, 0.75]).round(6).tolist()))
    labels = _bin_labels(edges)
    return [MISSING if x is None else labels[int(np.searchsorted(edges, x, side="right"))] for x in numbers]


def number_or_none(value: Any) -> float | None:
    """A value as a model's numeric input (feature_values.model_number); None where the model sees it as missing."""
    number = model_number(value)
    return None if math.isnan(number) else number


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def group_figures(members: Iterable[tuple[float, bool, str]]) -> dict[str, Any]:
    """One group's figures from its leads' (score, qualified, conversion status)."""
    leads = list(members)
    converted = [q for _, q, status in leads if status == "converted"]
    lost = [q for _, q, status in leads if status == "lost"]
    return {
        "leads": len(leads),
        "mean_score": ratio(sum(s for s, _, _ in leads), len(leads)),
        "qualified_rate": ratio(sum(q for _, q, _ in leads), len(leads)),
        "with_outcome": len(converted) + len(lost),
        "conversion_rate": ratio(len(converted), len(converted) + len(lost)),
        # Equal opportunity: of the leads that converted, the share the score had qualified.
        "true_positive_rate": ratio(sum(converted), len(converted)),
        "false_positive_rate": ratio(sum(lost), len(lost)),
        "converted": len(converted),
    }


def training_reference(rows: Sequence[Mapping[str, Any]], schema: Sequence[tuple[str, str]]) -> dict[str, FeatureReference]:
    """Each model feature's reference, from the training rows as the model took them (dates already days)."""
    return {name: feature_reference([row.get(name) for row in rows], ftype == "numerical") for name, ftype in schema}
