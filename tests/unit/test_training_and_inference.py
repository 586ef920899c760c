import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.inference.onnx_model import load_model
from leadscoring.schemas.lead import AttributeValue, LeadInput
from leadscoring.training.export import PARITY_TOLERANCE
from leadscoring.training.trainer import TrainedModel, frame_of, train_model

ROOT = Path(__file__).resolve().parents[2]
Demo = tuple[list[dict[str, AttributeValue]], list[bool]]


@pytest.fixture(scope="module")
def demo() -> Demo:
    leads = generate(800, seed=3)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    return rows, [d.converted for d in leads]


@pytest.fixture(scope="module")
def trained(demo: Demo) -> TrainedModel:
    rows, labels = demo
    return train_model(rows, labels, default_features(), "m", "1", "Test model", created_by="test")


def test_demo_data_is_deterministic_and_valid() -> None:
    a, b = generate(50, seed=5), generate(50, seed=5)
    assert a == b and a != generate(50, seed=6)
    converted = sum(d.converted for d in generate(1000, seed=5))
    assert 200 < converted < 800  # both classes well represented
    for d in a:
        LeadInput.model_validate(d.lead)


def test_training_learns_and_records_its_metrics(trained: TrainedModel) -> None:
    model, metadata = trained.model, trained.metadata
    assert model.roc_auc is not None and model.roc_auc > 0.7  # the hidden relationship is learnable
    for metric in ("accuracy", "precision", "recall", "f1_score"):
        assert 0 <= getattr(model, metric) <= 1
    assert metadata.onnx_parity_max_abs_diff <= PARITY_TOLERANCE
    assert metadata.rows.holdout == 160 and metadata.rows.total == 800
    assert [f.name for f in metadata.feature_schema] == [f.name for f in default_features()]


def test_onnx_model_scores_like_scikit_learn(demo: Demo, trained: TrainedModel) -> None:
    rows, _ = demo
    frame = frame_of(rows, trained.metadata.feature_types())
    loaded = load_model("m", "1", trained.onnx_bytes, trained.metadata)
    onnx_p = loaded.predict_proba(rows[:50])
    assert trained.pipeline is not None
    assert np.max(np.abs(onnx_p - trained.pipeline.predict_proba(frame.iloc[:50])[:, 1])) < 1e-5
    # Missing values are fine: the pipeline imputes them.
    assert 0 <= loaded.predict_proba([{}])[0] <= 1


def test_scoring_path_never_imports_scikit_learn() -> None:
    code = (
        "import sys, importlib.util;"
        "spec = importlib.util.spec_from_file_location('score_app', 'functions/score/app.py');"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        "import leadscoring.inference.onnx_model, leadscoring.services.scoring;"
        "bad = [n for n in ('sklearn', 'scipy', 'skl2onnx', 'pandas') if n in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
