"""Is this data fit to train on? Checked before any fitting, explained in words and as structured findings.

Refusals (errors):
- fewer than `min_per_class` (40) converted or non-converted leads, as Dynamics 365 asks: "needs 23 more
  converted leads";
- a feature with no value in any row (usually a wrong column mapping);
- a leaking feature: one that alone predicts the outcome (ROC-AUC above 0.99, measured out of fold so a
  high-cardinality column cannot fake it) or is a copy of it. Such a column is filled in after the outcome
  is known; a model trained on it scores nothing useful when a lead arrives.
Warnings: features missing in at least half the rows, constant features.

Pure numpy: the API can run it on an upload without scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from leadscoring.domain.errors import DomainError
from leadscoring.schemas.lead import AttributeValue
from leadscoring.schemas.model import ScoringFeature
from leadscoring.schemas.model_metadata import FeatureStats, ReadinessFinding, ReadinessRecord

MIN_PER_CLASS = 40
LEAK_AUC = 0.99
HIGH_MISSING_RATE = 0.5
_BINS = 20
_FOLDS = 5

Severity = Literal["error", "warning"]
Check = Literal["rows", "positives", "negatives", "missing", "constant", "leakage"]


@dataclass(frozen=True)
class Finding:
    check: Check
    severity: Severity
    message: str
    feature: str | None = None
    value: float | None = None
    needed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class ReadinessReport:
    rows: int
    positives: int
    negatives: int
    findings: list[Finding] = field(default_factory=list)
    feature_stats: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ready(self) -> bool:
        return not self.errors

    def record(self) -> ReadinessRecord:
        """The report as the model version's metadata records it."""
        return ReadinessRecord(
            ready=self.ready,
            rows=self.rows,
            positives=self.positives,
            negatives=self.negatives,
            findings=[
                ReadinessFinding(check=f.check, severity=f.severity, message=f.message, feature=f.feature, value=f.value, needed=f.needed)
                for f in self.findings
            ],
            feature_stats={
                name: FeatureStats(
                    missing_rate=stats["missing_rate"],
                    distinct_values=int(stats["distinct_values"]),
                    single_feature_auc=stats.get("single_feature_auc"),
                )
                for name, stats in self.feature_stats.items()
            },
        )


class DataNotReady(DomainError):
    """Training refused: the message says what is missing; `findings` (and `details`) say it field by field."""

    status = 422
    code = "DATA_NOT_READY"

    def __init__(self, report: ReadinessReport) -> None:
        reasons = "; ".join(f.message for f in report.errors)
        details = [{"field": f"features.{f.feature}" if f.feature else "data", "type": f.check, **f.as_dict()} for f in report.errors]
        super().__init__(f"The data is not ready for training: {reasons}", details)
        self.report = report
        self.findings = report.errors


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC by ranks (ties count half); 0.5 when a class is absent."""
    y = np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if not positives or not negatives:
        return 0.5
    _, inverse, counts = np.unique(np.asarray(scores, dtype=np.float64), return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts
    ranks = (first + (counts + 1) / 2.0)[inverse]
    return float((ranks[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def _codes(values: Sequence[AttributeValue], numeric: bool) -> np.ndarray:
    """Each row's group: its category, or its quantile bin for numbers; missing values are a group of their own."""
    if not numeric:
        _, codes = np.unique(np.array(["\x00missing" if v is None else str(v) for v in values], dtype=object), return_inverse=True)
        return np.asarray(codes)
    x = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    codes = np.full(len(x), -1, dtype=np.int64)
    present = ~np.isnan(x)
    if present.any():
        edges = np.unique(np.quantile(x[present], np.linspace(0, 1, _BINS + 1)[1:-1]))
        codes[present] = np.searchsorted(edges, x[present], side="right")
    return codes


def _out_of_fold_auc(codes: np.ndarray, y: np.ndarray) -> float:
    """AUC of each group's conversion rate learnt on the other folds: what the column alone can predict."""
    folds = np.random.default_rng(0).permutation(len(y)) % _FOLDS
    prior = float(y.mean())
    predicted = np.empty(len(y), dtype=np.float64)
    width = int(codes.max()) + 2
    for k in range(_FOLDS):
        train, test = folds != k, folds == k
        shifted = codes + 1  # -1 (missing numbers) becomes group 0
        totals = np.bincount(shifted[train], minlength=width).astype(np.float64)
        hits = np.bincount(shifted[train], weights=y[train], minlength=width)
        rates = (hits + prior) / (totals + 1.0)
        predicted[test] = rates[shifted[test]]
    return roc_auc(y, predicted)


def _leak_score(values: Sequence[AttributeValue], y: np.ndarray, numeric: bool) -> tuple[float, bool]:
    """(AUC of the feature alone, whether it is a copy of the outcome)."""
    auc = _out_of_fold_auc(_codes(values, numeric), y)
    copy = False
    if numeric and all(v is not None for v in values):
        x = np.array([float(v) for v in values])  # type: ignore[arg-type]
        raw = roc_auc(y, x)
        auc = max(auc, raw, 1.0 - raw)
        copy = bool(np.array_equal(x, y) or np.array_equal(x, 1 - y))
    return auc, copy


def check_readiness(
    rows: Sequence[dict[str, AttributeValue]],
    labels: Sequence[bool],
    features: Sequence[ScoringFeature],
    *,
    min_per_class: int = MIN_PER_CLASS,
    leak_auc: float = LEAK_AUC,
    high_missing_rate: float = HIGH_MISSING_RATE,
) -> ReadinessReport:
    """Every finding about `rows` (with their outcomes) for the model inputs `features`."""
    if len(rows) != len(labels):
        raise ValueError(f"{len(rows)} rows but {len(labels)} labels")
    y = np.asarray([bool(v) for v in labels], dtype=np.float64)
    n, positives = len(y), int(y.sum())
    negatives = n - positives
    findings: list[Finding] = []
    if n < 2 * min_per_class:
        findings.append(
            Finding(
                "rows", "error", f"needs {2 * min_per_class - n} more leads with a known outcome (has {n})", needed=2 * min_per_class - n
            )
        )
    if positives < min_per_class:
        short = min_per_class - positives
        findings.append(
            Finding(
                "positives",
                "error",
                f"needs {short} more converted lead{'s' if short != 1 else ''} (has {positives}, needs at least {min_per_class})",
                value=positives,
                needed=short,
            )
        )
    if negatives < min_per_class:
        short = min_per_class - negatives
        leads = "leads" if short != 1 else "lead"
        findings.append(
            Finding(
                "negatives",
                "error",
                f"needs {short} more {leads} that did not convert (has {negatives}, needs at least {min_per_class})",
                value=negatives,
                needed=short,
            )
        )
    stats: dict[str, dict[str, float]] = {}
    for feature in features:
        values = [r.get(feature.name) for r in rows]
        present = [v for v in values if v is not None]
        missing_rate = 1.0 - len(present) / n if n else 1.0
        distinct = len({str(v) for v in values})
        entry: dict[str, float] = {"missing_rate": round(missing_rate, 4), "distinct_values": distinct}
        stats[feature.name] = entry
        if n and not present:
            findings.append(Finding("missing", "error", f"feature '{feature.name}' has no value in any of the {n} rows", feature.name, 1.0))
            continue
        if missing_rate >= high_missing_rate:
            findings.append(
                Finding(
                    "missing", "warning", f"feature '{feature.name}' is missing in {missing_rate:.0%} of rows", feature.name, missing_rate
                )
            )
        if distinct <= 1:
            findings.append(
                Finding(
                    "constant",
                    "warning",
                    f"feature '{feature.name}' has the same value in every row: it cannot inform the model",
                    feature.name,
                )
            )
            continue
        if positives and negatives:
            numeric = feature.type != "categorical" and all(isinstance(v, (int, float)) for v in present)
            auc, copy = _leak_score(values, y, numeric)
            entry["single_feature_auc"] = round(auc, 4)
            if copy or auc > leak_auc:
                what = "is a copy of the outcome" if copy else f"alone predicts the outcome (ROC-AUC {math.floor(auc * 1000) / 1000:.3f})"
                findings.append(
                    Finding(
                        "leakage",
                        "error",
                        f"feature '{feature.name}' {what}: it is probably recorded after the outcome is known; deactivate it",
                        feature.name,
                        round(auc, 4),
                    )
                )
    return ReadinessReport(n, positives, negatives, findings, stats)


def require_ready(
    rows: Sequence[dict[str, AttributeValue]], labels: Sequence[bool], features: Sequence[ScoringFeature], **limits: Any
) -> ReadinessReport:
    """check_readiness, raising DataNotReady when there is any error."""
    report = check_readiness(rows, labels, features, **limits)
    if not report.ready:
        raise DataNotReady(report)
    return report
