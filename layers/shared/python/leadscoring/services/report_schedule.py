"""The audit reports on the record: once a day, every tenant with a deployed model gets its data-quality, drift
and bias (by source) reports over the 30 days to the run's day appended to its audit trail, one
`monitoring_report` event each, so how a model's inputs and outcomes moved stays on the record beside its
decisions. The steps run in the monitor function under a Step Functions workflow (leadscoring.workflows.reports),
one Map iteration per tenant. An event's id is made of the run's scheduled time and the report: a retried run
writes nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadscoring.data.audit import AuditRepository
from leadscoring.data.registry import ConfigRepository
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.monitoring import BiasReport, DataQualityReport, DriftReport
from leadscoring.services.analytics import ReportQuery
from leadscoring.services.monitoring import MonitoringService

RECORD_DAYS = 30
MAX_FINDINGS = 10

logger = Logger(child=True)


class ReportSchedule:
    def __init__(self, monitoring: MonitoringService, configs: ConfigRepository, audit: AuditRepository) -> None:
        self._monitoring = monitoring
        self._configs = configs
        self._audit = audit

    def step(self, event: dict[str, Any]) -> dict[str, Any]:
        """One step of the reports workflow (leadscoring.workflows.reports)."""
        name = event.get("step")
        if name == "list":
            return self.tenants(event.get("input") or {})
        if name == "record":
            client_id = str(event["client_id"])
            return {"client_id": client_id, "written": self.record(client_id, scheduled_time(event))}
        if name == "summarize":
            return self.summarize(scheduled_time(event), event.get("results") or [])
        raise ValueError(f"Unknown reports workflow step: {name!r}")

    def tenants(self, run: dict[str, Any]) -> dict[str, Any]:
        """The run's time and the tenants to record: every one with a deployed model, or those of them named."""
        deployed = self._configs.clients_with_active_model()
        named = run.get("client_ids")
        chosen = deployed if named is None else [c for c in deployed if c in set(map(str, named))]
        return {"time": _stamp(scheduled_time(run)), "client_ids": chosen}

    @staticmethod
    def summarize(at: datetime, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The run's outcome; raises (failing the execution, so it shows) when a tenant's reports failed."""
        failed = sorted(str(r["client_id"]) for r in results if r.get("failed"))
        summary = {
            "at": _stamp(at),
            "tenants": len(results),
            "events_written": sum(int(r.get("written") or 0) for r in results),
            "failed": failed,
        }
        if failed:
            logger.error("Audit reports failed for some tenants", extra={"failed": failed})
            raise RuntimeError(f"Audit reports failed for {len(failed)} of {len(results)} tenants: {', '.join(failed)}")
        return summary

    def record(self, client_id: str, at: datetime) -> int:
        """The tenant's three reports as audit events; how many were new."""
        at = at.astimezone(UTC)
        end = at.date()
        q = ReportQuery(end - timedelta(days=RECORD_DAYS - 1), end, "day")
        read = self._monitoring.read(client_id, q)  # once for the three reports
        quality = self._monitoring.data_quality(client_id, q, now=at, read=read)
        drift = self._monitoring.drift(client_id, q, read=read)
        bias = self._monitoring.bias(client_id, q, "source", read=read)
        events = [
            self._event(at, "data_quality", quality, None, None, _quality_figures(quality)),
            self._event(at, "drift", drift, drift.model_id, drift.model_version, _drift_figures(drift)),
            self._event(at, "bias", bias, None, None, _bias_figures(bias)),
        ]
        return sum(self._audit.append_once(client_id, event) for event in events)

    @staticmethod
    def _event(
        at: datetime,
        report: str,
        answer: DataQualityReport | DriftReport | BiasReport,
        model_id: str | None,
        model_version: str | None,
        figures: dict[str, Any],
    ) -> AuditEvent:
        sample = answer.sample
        return AuditEvent(
            event_id=f"{_stamp(at)}#report-{report}",
            type="monitoring_report",
            at=at,
            actor="system",
            model_id=model_id,
            model_version=model_version,
            details={
                "report": report,
                "status": answer.status,
                "period": {"from": sample.start.isoformat(), "to": sample.end.isoformat()},
                "leads": sample.leads,
                "truncated": sample.truncated,
                **figures,
                "findings": [f.model_dump() for f in answer.findings[:MAX_FINDINGS]],
            },
        )


def scheduled_time(event: dict[str, Any], now: datetime | None = None) -> datetime:
    """The time an EventBridge scheduled event was due (its `time`, the same on every retry), else now."""
    text = event.get("time")
    if not text:
        return now or datetime.now(UTC)
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _quality_figures(report: DataQualityReport) -> dict[str, Any]:
    return {"mean_completeness": report.mean_completeness, "hours_since_newest_lead": report.hours_since_newest_lead}


def _drift_figures(report: DriftReport) -> dict[str, Any]:
    return {
        "scored_leads": report.scored_leads,
        "score_psi": report.score.psi,
        "drifted_features": [f.feature for f in report.features if f.level == "significant"],
        "roc_auc": report.performance.roc_auc,
        "training_roc_auc": report.performance.training_roc_auc,
        "with_outcome": report.performance.with_outcome,
    }


def _bias_figures(report: BiasReport) -> dict[str, Any]:
    return {
        "attribute": report.attribute,
        "lowest_disparate_impact": report.lowest_disparate_impact,
        "equal_opportunity_gap": report.equal_opportunity_gap,
    }
