"""The scoring-speed benchmark measures what it says it measures. No timing is asserted: machines are shared."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.batch_throughput import chunk_payloads, item_reader_rows, score_file
from benchmarks.local_stack_speed import _bodies
from benchmarks.scoring_speed import environment, feeds_of_explained_run, score_event, settings_environment
from fakes.storage import InMemoryLeadRepository, InMemoryTenants
from fakes.wiring import installed
from leadscoring.demo_data import generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.inference.onnx_model import load_model
from leadscoring.routes import Role
from leadscoring.schemas.lead import LeadInput
from leadscoring.services import wiring
from leadscoring.training.trainer import TrainedModel, train_model
from leadscoring.workflows.batch import CHUNK_BYTES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    leads = generate(400, seed=31)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    return train_model(rows, [d.converted for d in leads], default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0)


def test_installed_fakes_are_what_the_score_route_calls_and_the_wiring_is_restored(trained: TrainedModel) -> None:
    # The route calls wiring.idempotent_scoring() (the handler itself opens X-Ray's UDP socket on import,
    # so it is run by the benchmark, which checks every response, not here).
    leads = InMemoryLeadRepository()
    tenants = InMemoryTenants(leads)
    tenants.add("c1", "m", trained.onnx_bytes, trained.metadata, default_features())
    original = wiring.scoring_service
    lead_input = LeadInput.model_validate(generate(1, seed=32)[0].lead)
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="k")
    with environment(settings_environment()), installed(tenants.service(config_cache_seconds=5.0)):
        lead = wiring.idempotent_scoring().score(principal, lead_input, None, None, None)
    expected = load_model("m", "1", trained.onnx_bytes, trained.metadata).predict_proba([flatten(lead_input.attributes)])
    assert lead.score == pytest.approx(float(expected[0]) * 100, abs=0.006)
    assert lead.explanation is not None
    assert leads.decisions == 1
    assert wiring.scoring_service is original


def test_a_rest_event_for_score_carries_the_body_and_the_principal() -> None:
    body = generate(1, seed=33)[0].lead
    event = score_event("c1", body)
    assert (event["httpMethod"], event["resource"]) == ("POST", "/api/v1/leadscoring/score")
    assert json.loads(event["body"]) == body
    assert event["requestContext"]["authorizer"]["client_id"] == "c1"


def test_cold_init_probe_reports_each_step(trained: TrainedModel, tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(trained.onnx_bytes)
    (tmp_path / "metadata.json").write_bytes(trained.metadata.to_json())
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "cold_init_probe.py"), "function-onnx", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures = json.loads(done.stdout)
    assert set(figures) == {"function_imports", "model_load", "total"}
    assert figures["total"] == pytest.approx(figures["function_imports"] + figures["model_load"])


def test_an_unknown_section_is_refused() -> None:
    assert main(["no_such_section"]) == 2


def test_the_batch_figure_runs_the_workers_chunks_as_the_map_sends_them(trained: TrainedModel) -> None:
    rows = item_reader_rows(600, seed=34)
    assert set(rows[0]) >= {"email", "name", "source", "page_views"} and all(isinstance(v, str) for v in rows[0].values())
    payloads = chunk_payloads(rows, datetime(2026, 11, 26, tzinfo=UTC))
    assert len(payloads) > 1 and all(len(p) <= CHUNK_BYTES for p in payloads)  # the ItemBatcher's byte limit, not its row limit
    assert [item["row"] for p in payloads for item in json.loads(p)["Items"]] == rows
    for explained in (True, False):
        figures = score_file(rows, trained, explained=explained)
        assert figures["scored"] == 600 and figures["invalid_rows"] == 0 and figures["items_written"] == 1200
        assert figures["chunks"] == len(payloads)
        stages = figures["cpu_microseconds_per_lead_by_stage"]
        assert set(stages) == {"parse", "validate", "model_and_explanations", "items", "decisions_results_and_files"}
        assert min(stages.values()) >= 0


def test_the_bare_onnx_run_is_the_run_the_handler_makes_for_the_lead(trained: TrainedModel) -> None:
    model = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    flat = flatten(LeadInput.model_validate(generate(1, seed=35)[0].lead).attributes)
    feeds = feeds_of_explained_run(model, flat)
    probabilities = model.session.run([model.probability_output], feeds)[0][:, 1]
    assert probabilities[0] == pytest.approx(float(model.predict_explained([flat])[0][0]), abs=1e-7)
    # The trainer's default model is additive: once warm it runs the lead alone; any other runs its variants too.
    assert len(probabilities) == 1 if model.additive else len(probabilities) > 1


def test_the_local_stacks_leads_are_valid_and_each_a_new_lead() -> None:
    bodies = [json.loads(b) for b in _bodies(8100, 50)]
    assert len({b["external_id"] for b in bodies}) == 50
    for body in bodies:
        LeadInput.model_validate(body)
