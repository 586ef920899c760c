"""The audit reports: data quality, model drift and bias, from the leads created in a period (domain/monitoring.py
has the figures). Each report reads the newest MAX_LEADS leads of the period; it says when there were more."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from leadscoring.data.leads import LeadRepository
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.domain import monitoring as m
from leadscoring.domain.errors import InvalidInput, NoActiveModel, NotFound
from leadscoring.domain.feature_values import DAYS_SINCE, days_since
from leadscoring.domain.lead_record import LeadRecord
from leadscoring.schemas.model import ScoringFeature
from leadscoring.schemas.model_metadata import BinsReference, CategoriesReference, FeatureReference, HoldoutMetrics
from leadscoring.schemas.monitoring import (
    BiasReport,
    BinShare,
    DataQualityReport,
    Distribution,
    DriftReport,
    FeatureDrift,
    FeatureQuality,
    Finding,
    GroupFigures,
    PerformanceDrift,
    Sample,
)
from leadscoring.services.analytics import ReportQuery

# The leads a report reads, and what it says about them.
Read = tuple[list[LeadRecord], Sample]

MAX_LEADS = 5000
MIN_SCORED = 50  # leads a version must have scored in the period for its drift to mean anything
MIN_OUTCOMES = 30  # leads with an outcome (both kinds) before live ROC-AUC is compared with training's
AUC_DROP = 0.05  # live ROC-AUC this far below the holdout's is a degradation
MIN_GROUP_LEADS = 30
MIN_GROUP_CONVERTED = 10  # converted leads a group needs for its true positive rate to be compared
EQUAL_OPPORTUNITY_GAP = 0.2
MAX_GROUPS = 30
STALE_HOURS = 72


class MonitoringService:
    def __init__(
        self, leads: LeadRepository, registry: ModelRegistry, configs: ConfigRepository, features: Callable[[str], list[ScoringFeature]]
    ) -> None:
        self._leads = leads
        self._registry = registry
        self._configs = configs
        self._features = features

    # -- data quality --------------------------------------------------------------------------------
    def data_quality(self, client_id: str, q: ReportQuery, now: datetime | None = None, read: Read | None = None) -> DataQualityReport:
        leads, sample = read or self.read(client_id, q)
        active = self._configs.get_config(client_id).active_model
        metadata = self._registry.load_metadata(client_id, active.id, active.version) if active else None
        references = (metadata.reference if metadata else None) or {}
        flats = [lead.attributes for lead in leads]
        features = [f for f in self._features(client_id) if f.is_active]
        rows: list[FeatureQuality] = []
        findings: list[Finding] = []
        for feature in features:
            values = [flat.get(feature.name) for flat in flats]
            present = [v for v in values if v is not None]
            reference = references.get(feature.name)
            completeness = m.ratio(len(present), len(values))
            row = FeatureQuality(
                feature=feature.name,
                type=feature.type,
                required=any(r.type == "required" for r in feature.validation_rules),
                present=len(present),
                completeness=completeness,
                training_completeness=None if reference is None else 1 - reference.missing,
                distinct_values=len(set(map(str, present))),
                out_of_training_range=_out_of_range(reference, present) if feature.type == "numerical" else None,
                unseen_categories=_unseen(reference, present) if feature.type != "numerical" else None,
            )
            rows.append(row)
            findings.extend(_quality_findings(row))
        newest = max((lead.created_at for lead in leads), default=None)
        hours = None if newest is None else ((now or datetime.now(UTC)) - newest).total_seconds() / 3600
        if not leads:
            findings.append(Finding(severity="info", subject="leads", message="No lead was created in the period"))
        elif hours is not None and hours > STALE_HOURS:
            findings.append(Finding(severity="warning", subject="timeliness", message=f"No new lead for {hours:.0f} hours"))
        required = [r.feature for r in rows if r.required]
        shares = [r.completeness for r in rows if r.completeness is not None]
        warned = any(f.severity != "info" for f in findings)
        return DataQualityReport(
            sample=sample,
            status="insufficient_data" if not leads else "review" if warned else "ok",
            model_id=active.id if active else None,
            model_version=active.version if active else None,
            mean_completeness=sum(shares) / len(shares) if shares else None,
            all_required_present=m.ratio(sum(all(flat.get(n) is not None for n in required) for flat in flats), len(flats)),
            newest_lead_at=newest,
            hours_since_newest_lead=None if hours is None else round(hours, 2),
            leads_per_day=dict(sorted(Counter(lead.created_at.date().isoformat() for lead in leads).items())),
            features=rows,
            findings=_ranked(findings),
        )

    # -- drift ---------------------------------------------------------------------------------------
    def drift(self, client_id: str, q: ReportQuery, read: Read | None = None) -> DriftReport:
        model_id, version = self._version(client_id, q)
        metadata = self._registry.load_metadata(client_id, model_id, version)
        leads, sample = read or self.read(client_id, q)
        scored = [lead for lead in leads if (lead.model_id, lead.model_version) == (model_id, version)]
        findings: list[Finding] = []

        holdout = m.score_reference(metadata.metrics.calibration_curve)
        live = m.score_bins([lead.score for lead in scored])
        score = _distribution(m.score_bin_labels(), holdout, live, len(scored))
        if holdout is None:
            findings.append(Finding(severity="info", subject="score", message="This version's record has no holdout score distribution"))

        references = metadata.reference or {}
        drifts: list[FeatureDrift] = []
        for spec in metadata.feature_schema:
            reference = references.get(spec.name)
            if reference is None:
                continue
            values = [_model_value(lead, spec.name, spec.type, spec.input_conversion) for lead in scored]
            labels, ref_shares, live_shares = m.binned(reference, values)
            d = _distribution(labels, (ref_shares, reference.rows), live_shares, len(scored))
            drifts.append(FeatureDrift(feature=spec.name, type=spec.type, **d.model_dump()))
        drifts.sort(key=lambda d: -(d.psi or 0.0))
        if not references:
            findings.append(
                Finding(
                    severity="info",
                    subject="features",
                    message="This version was trained before feature references were recorded: train a new version to see feature drift",
                )
            )

        performance = _performance(scored, metadata.metrics)
        enough = len(scored) >= MIN_SCORED
        if not enough:
            status: Any = "insufficient_data"
            findings.append(
                Finding(
                    severity="info",
                    subject="sample",
                    message=f"{len(scored)} leads scored by this version in the period; drift needs at least {MIN_SCORED}",
                )
            )
        else:
            levels = [d.level for d in [score, *drifts] if d.level is not None]
            status = "degraded" if performance.status == "degraded" else _worst(levels)
            findings.extend(_drift_findings(score, drifts))
        if performance.status == "degraded":
            findings.append(
                Finding(
                    severity="critical",
                    subject="roc_auc",
                    message=(
                        f"ROC-AUC on {performance.with_outcome} leads with an outcome is {performance.roc_auc:.3f}, "
                        f"against {performance.training_roc_auc:.3f} on the training holdout: retrain on recent outcomes"
                    ),
                )
            )
        return DriftReport(
            sample=sample,
            model_id=model_id,
            model_version=version,
            scored_leads=len(scored),
            status=status,
            score=score,
            features=drifts,
            performance=performance,
            findings=_ranked(findings),
        )

    # -- bias ----------------------------------------------------------------------------------------
    def bias(self, client_id: str, q: ReportQuery, attribute: str, read: Read | None = None) -> BiasReport:
        features = {f.name: f for f in self._features(client_id)}
        if attribute != "source" and attribute not in features:
            message = f"group by `source` or a feature: one of {', '.join(['source', *sorted(features)])}"
            raise InvalidInput(f"attribute: {message}", [{"field": "attribute", "message": message, "type": "unknown_attribute"}])
        leads, sample = read or self.read(client_id, q)
        values = [lead.source if attribute == "source" else lead.attributes.get(attribute) for lead in leads]
        numerical = attribute != "source" and features[attribute].type == "numerical"
        labels = m.quartile_bands(values) if numerical else [m.MISSING if v is None else m.category_text(v) for v in values]
        members: dict[str, list[tuple[float, bool, str]]] = defaultdict(list)
        for lead, group in zip(leads, labels, strict=True):
            members[group].append((lead.score, lead.qualified, lead.conversion_status))
        ordered = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if len(ordered) > MAX_GROUPS:  # the long tail in one group, so the report stays readable
            tail = [member for _, group in ordered[MAX_GROUPS - 1 :] for member in group]
            ordered = [*ordered[: MAX_GROUPS - 1], (m.OTHER, tail)]
        figures = [(group, m.group_figures(group_members)) for group, group_members in ordered]
        compared = [f for _, f in figures if f["leads"] >= MIN_GROUP_LEADS]
        best = max((f["qualified_rate"] for f in compared if f["qualified_rate"] is not None), default=None)
        groups = [
            GroupFigures(
                group=group,
                disparate_impact=(m.ratio(f["qualified_rate"], best) if f["leads"] >= MIN_GROUP_LEADS and best else None),
                compared=f["leads"] >= MIN_GROUP_LEADS,
                **{k: v for k, v in f.items() if k != "converted"},
            )
            for group, f in figures
        ]
        impacts = [g.disparate_impact for g in groups if g.disparate_impact is not None]
        rates = [f["true_positive_rate"] for f in compared if f["converted"] >= MIN_GROUP_CONVERTED and f["true_positive_rate"] is not None]
        gap = max(rates) - min(rates) if len(rates) >= 2 else None
        findings: list[Finding] = []
        for g in groups:
            if g.disparate_impact is not None and g.disparate_impact < m.FOUR_FIFTHS:
                findings.append(
                    Finding(
                        severity="warning",
                        subject=g.group,
                        message=(
                            f"{attribute} = {g.group}: qualified {g.qualified_rate:.0%} of {g.leads} leads, "
                            f"{g.disparate_impact:.2f} of the best-treated group's rate (four-fifths rule: 0.80)"
                        ),
                    )
                )
        if gap is not None and gap > EQUAL_OPPORTUNITY_GAP:
            findings.append(
                Finding(
                    severity="warning",
                    subject="equal_opportunity",
                    message=f"Converted leads were qualified at rates {gap:.0%} apart between groups of {attribute}",
                )
            )
        if len(compared) < 2:
            status: Any = "insufficient_data"
            findings.append(
                Finding(
                    severity="info",
                    subject="sample",
                    message=f"Fewer than two groups of {attribute} have {MIN_GROUP_LEADS} leads in the period: nothing to compare",
                )
            )
        else:
            status = "review" if findings else "ok"
        return BiasReport(
            sample=sample,
            attribute=attribute,
            min_group_leads=MIN_GROUP_LEADS,
            groups=groups,
            lowest_disparate_impact=min(impacts) if impacts else None,
            equal_opportunity_gap=gap,
            status=status,
            findings=_ranked(findings),
        )

    # -- helpers -------------------------------------------------------------------------------------
    def read(self, client_id: str, q: ReportQuery) -> Read:
        """The leads a report reads (several reports of one period can share them), and what it says about them."""
        leads, truncated = self._leads.created_between(client_id, q.start, q.end, MAX_LEADS)
        if q.source is not None:
            leads = [lead for lead in leads if lead.source == q.source]
        sample = Sample.model_validate({"from": q.start, "to": q.end, "leads": len(leads), "max_leads": MAX_LEADS, "truncated": truncated})
        return leads, sample

    def _version(self, client_id: str, q: ReportQuery) -> tuple[str, str]:
        """The version a drift report is about: the one named, else the active one (when it is of the named model),
        else the named model's newest."""
        active = self._configs.get_config(client_id).active_model
        if q.model_id is None:
            if active is None:
                raise NoActiveModel("No model is deployed for this client: name one with model_id")
            return active.id, active.version
        if q.model_version is not None:
            return q.model_id, q.model_version
        if active is not None and active.id == q.model_id:
            return active.id, active.version
        versions = self._registry.list_versions(client_id, q.model_id)
        if not versions:
            raise NotFound(f"Model {q.model_id} has no trained version yet")
        return q.model_id, max(versions, key=lambda v: v.created_at).version


def _model_value(lead: LeadRecord, name: str, ftype: str, conversion: str | None) -> Any:
    """A lead's value as the model took it when scoring: dates as days before the scoring, numbers as numbers."""
    value = lead.attributes.get(name)
    if conversion == DAYS_SINCE:
        return days_since(value, lead.scored_at)
    return m.number_or_none(value) if ftype == "numerical" else value


def _distribution(labels: Sequence[str], reference: tuple[Sequence[float], int] | None, live: Sequence[float], n: int) -> Distribution:
    """Live shares against the reference's (shares, rows): the PSI, what chance alone gives, and the level of the rest."""
    if reference is None:
        return Distribution(
            psi=None, chance_psi=None, level=None, bins=[BinShare(bin=b, reference=0.0, live=s) for b, s in zip(labels, live, strict=True)]
        )
    expected, rows = reference
    value = m.psi(expected, live) if n else None
    chance = m.chance_psi(len(labels), n, rows)
    return Distribution(
        psi=None if value is None else round(value, 4),
        chance_psi=round(chance, 4),
        level=None if value is None else m.drift_level(value - chance),
        bins=[BinShare(bin=b, reference=round(e, 4), live=round(s, 4)) for b, e, s in zip(labels, expected, live, strict=True)],
    )


def _performance(scored: Sequence[LeadRecord], training: HoldoutMetrics) -> PerformanceDrift:
    known = [lead for lead in scored if lead.conversion_status in ("converted", "lost")]
    converted = [lead.conversion_status == "converted" for lead in known]
    qualified = [lead.qualified for lead in known]
    hits = sum(c and q for c, q in zip(converted, qualified, strict=True))
    auc = m.roc_auc([lead.score for lead in known], converted)
    training_auc = training.roc_auc
    enough = len(known) >= MIN_OUTCOMES and auc is not None
    degraded = enough and training_auc is not None and auc is not None and auc < training_auc - AUC_DROP
    return PerformanceDrift(
        with_outcome=len(known),
        converted=sum(converted),
        roc_auc=None if auc is None else round(auc, 4),
        training_roc_auc=training_auc,
        precision=m.ratio(hits, sum(qualified)),
        training_precision=training.precision,
        recall=m.ratio(hits, sum(converted)),
        training_recall=training.recall,
        mean_score=m.ratio(sum(lead.score for lead in known), len(known)),
        conversion_rate=m.ratio(sum(converted), len(known)),
        status="degraded" if degraded else "ok" if enough else "insufficient_data",
    )


def _out_of_range(reference: FeatureReference | None, present: Sequence[Any]) -> float | None:
    if not isinstance(reference, BinsReference) or reference.min is None or reference.max is None:
        return None
    low, high = reference.min, reference.max
    numbers = [n for n in map(m.number_or_none, present) if n is not None]
    outside = sum(1 for n in numbers if n < low or n > high)
    return m.ratio(outside, len(numbers))


def _unseen(reference: FeatureReference | None, present: Sequence[Any]) -> float | None:
    if not isinstance(reference, CategoriesReference):
        return None
    known = reference.shares
    texts = [m.category_text(v) for v in present]
    return m.ratio(sum(1 for t in texts if t not in known), len(texts))


def _quality_findings(row: FeatureQuality) -> list[Finding]:
    messages = []
    if row.completeness is not None and row.training_completeness is not None and row.completeness < row.training_completeness - 0.2:
        messages.append(f"{row.feature} is present on {row.completeness:.0%} of leads, against {row.training_completeness:.0%} in training")
    if row.out_of_training_range is not None and row.out_of_training_range > 0.05:
        messages.append(f"{row.out_of_training_range:.0%} of {row.feature} values lie outside the range the model was trained on")
    if row.unseen_categories is not None and row.unseen_categories > 0.1:
        messages.append(f"{row.unseen_categories:.0%} of {row.feature} values are categories the model rarely or never saw in training")
    return [Finding(severity="warning", subject=row.feature, message=message) for message in messages]


def _drift_findings(score: Distribution, drifts: Sequence[FeatureDrift]) -> list[Finding]:
    out = []
    for subject, d in [("score", score), *((d.feature, d) for d in drifts)]:
        if d.level in ("moderate", "significant") and d.psi is not None:
            severity: Any = "critical" if d.level == "significant" else "warning"
            what = "The score distribution" if subject == "score" else f"{subject}'s distribution"
            chance = d.chance_psi or 0.0
            message = f"{what} has shifted from training: PSI {d.psi:.2f}, of which chance alone gives {chance:.2f} ({d.level})"
            out.append(Finding(severity=severity, subject=subject, message=message))
    return out


def _worst(levels: Sequence[str]) -> str:
    for level in ("significant", "moderate"):
        if level in levels:
            return level
    return "stable"


def _ranked(findings: list[Finding]) -> list[Finding]:
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])
