"""Services built once per container from the validated environment.

The scoring path's services are imported here, at cold start. The others (batch, analytics, aggregation,
model management, training) are imported by the factory that builds them, so a function loads only what its
routes use: the score function would otherwise pay about 0.1 s of cold start for code it never runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from leadscoring.data.api_keys import ApiKeyRepository
from leadscoring.data.audit import AuditRepository
from leadscoring.data.conversions import ConversionStore
from leadscoring.data.idempotency import idempotency_store
from leadscoring.data.leads import LeadRepository
from leadscoring.data.registry import ConfigRepository, ModelRegistry
from leadscoring.services.conversions import ConversionService
from leadscoring.services.idempotent_scoring import IdempotentScoring
from leadscoring.services.scoring import ScoringService
from leadscoring.settings import cursor_key, get_settings

if TYPE_CHECKING:
    from leadscoring.data.aggregates import AggregateStore
    from leadscoring.data.batch_files import BatchFiles
    from leadscoring.data.batch_jobs import BatchJobRepository
    from leadscoring.data.run_files import ClientFiles
    from leadscoring.services.aggregation import Aggregator
    from leadscoring.services.analytics import AnalyticsService
    from leadscoring.services.batch_jobs import BatchJobs
    from leadscoring.services.batch_scoring import BatchScoring
    from leadscoring.services.batch_worker import BatchWorker
    from leadscoring.services.configuration import ConfigurationService
    from leadscoring.services.file_rows import FileRows
    from leadscoring.services.model_management import ModelManagement
    from leadscoring.services.monitoring import MonitoringService
    from leadscoring.services.report_schedule import ReportSchedule
    from leadscoring.services.training_workflow import TrainingWorkflow


@lru_cache(maxsize=1)
def lead_repository() -> LeadRepository:
    s = get_settings()
    return LeadRepository(s.leads_table, s.audit_table)


@lru_cache(maxsize=1)
def audit_repository() -> AuditRepository:
    return AuditRepository(get_settings().audit_table)


@lru_cache(maxsize=1)
def model_registry() -> ModelRegistry:
    s = get_settings()
    return ModelRegistry(s.registry_table, s.models_bucket)


@lru_cache(maxsize=1)
def config_repository() -> ConfigRepository:
    return ConfigRepository(get_settings().registry_table)


@lru_cache(maxsize=1)
def api_key_repository() -> ApiKeyRepository:
    return ApiKeyRepository(get_settings().api_keys_table)


@lru_cache(maxsize=1)
def scoring_service() -> ScoringService:
    return ScoringService(lead_repository(), model_registry(), config_repository(), get_settings().config_cache_seconds)


@lru_cache(maxsize=1)
def idempotent_scoring() -> IdempotentScoring:
    return IdempotentScoring(scoring_service(), idempotency_store(get_settings().idempotency_table))


@lru_cache(maxsize=1)
def batch_scoring() -> BatchScoring:
    from leadscoring.services.batch_scoring import BatchScoring

    return BatchScoring(scoring_service())


@lru_cache(maxsize=1)
def file_rows() -> FileRows:
    from leadscoring.services.file_rows import FileRows

    return FileRows(scoring_service())


@lru_cache(maxsize=1)
def batch_files() -> BatchFiles:
    from leadscoring.data.batch_files import BatchFiles

    return BatchFiles(get_settings().batch_bucket)


@lru_cache(maxsize=1)
def batch_job_repository() -> BatchJobRepository:
    from leadscoring.data.batch_jobs import BatchJobRepository

    return BatchJobRepository(get_settings().registry_table)


@lru_cache(maxsize=1)
def batch_jobs() -> BatchJobs:
    from leadscoring.data.workflows import WorkflowStarter
    from leadscoring.services.batch_jobs import BatchJobs

    arn = get_settings().batch_state_machine_arn
    return BatchJobs(batch_job_repository(), batch_files(), WorkflowStarter(arn) if arn else None, file_rows().check_columns)


@lru_cache(maxsize=1)
def batch_worker() -> BatchWorker:
    from leadscoring.services.batch_worker import BatchWorker

    return BatchWorker(batch_job_repository(), batch_files(), file_rows())


@lru_cache(maxsize=1)
def configuration_service() -> ConfigurationService:
    from leadscoring.services.configuration import ConfigurationService

    return ConfigurationService(config_repository(), audit_repository())


@lru_cache(maxsize=1)
def client_files() -> ClientFiles:
    from leadscoring.data.run_files import ClientFiles

    return ClientFiles(get_settings().batch_bucket)


@lru_cache(maxsize=1)
def model_management() -> ModelManagement:
    from leadscoring.data.workflows import WorkflowStarter
    from leadscoring.services.model_management import ModelManagement

    arn = get_settings().training_state_machine_arn
    return ModelManagement(
        model_registry(),
        configuration_service(),
        audit_repository(),
        client_files(),
        WorkflowStarter(arn) if arn else None,
        configuration_service().features,
    )


@lru_cache(maxsize=1)
def training_workflow() -> TrainingWorkflow:
    from leadscoring.services.training_workflow import TrainingWorkflow

    return TrainingWorkflow(model_registry(), config_repository(), lead_repository(), client_files(), audit_repository())


@lru_cache(maxsize=1)
def aggregate_store() -> AggregateStore:
    from leadscoring.data.aggregates import AggregateStore

    return AggregateStore(get_settings().aggregates_table)


@lru_cache(maxsize=1)
def aggregator() -> Aggregator:
    from leadscoring.services.aggregation import Aggregator

    return Aggregator(aggregate_store())


@lru_cache(maxsize=1)
def analytics_service() -> AnalyticsService:
    from leadscoring.services.analytics import AnalyticsService

    return AnalyticsService(aggregate_store(), config_repository(), model_registry())


@lru_cache(maxsize=1)
def monitoring_service() -> MonitoringService:
    from leadscoring.services.monitoring import MonitoringService

    return MonitoringService(lead_repository(), model_registry(), config_repository(), configuration_service().features)


@lru_cache(maxsize=1)
def report_schedule() -> ReportSchedule:
    from leadscoring.services.report_schedule import ReportSchedule

    return ReportSchedule(monitoring_service(), config_repository(), audit_repository())


@lru_cache(maxsize=1)
def conversion_service() -> ConversionService:
    s = get_settings()
    return ConversionService(lead_repository(), ConversionStore(s.leads_table, s.audit_table))


def reset() -> None:
    """Forget every built service (tests that change the environment): every cached factory in this module."""
    for value in list(globals().values()):
        if callable(value) and hasattr(value, "cache_clear") and getattr(value, "__module__", None) == __name__:
            value.cache_clear()
    get_settings.cache_clear()
    cursor_key.cache_clear()
