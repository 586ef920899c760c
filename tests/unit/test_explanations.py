import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadscoring.demo_data import generate
from leadscoring.domain.explanations import log_odds, rank_factors, rank_terms, training_baselines, variants
from leadscoring.domain.features import MISSING_CATEGORY, flatten
from leadscoring.inference.onnx_model import LoadedModel, load_model
from leadscoring.schemas.lead import AttributeValue, LeadInput
from leadscoring.schemas.model import FeatureType
from leadscoring.schemas.model_metadata import FeatureSchemaEntry, HoldoutMetrics, ModelMetadata, RowCounts

SCHEMA: list[tuple[str, FeatureType]] = [
    ("page_views", "numerical"),
    ("email_click_rate", "numerical"),
    ("form_submissions", "numerical"),
    ("uses_marketing_automation", "boolean"),
    ("industry", "categorical"),
    ("job_seniority", "categorical"),
]


Rows = list[dict[str, AttributeValue]]
Fitted = tuple[Pipeline, LoadedModel, Rows, dict[str, AttributeValue]]


def frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {}
    for name, ftype in SCHEMA:
        if ftype == "categorical":
            data[name] = [MISSING_CATEGORY if r.get(name) is None else str(r[name]) for r in rows]
        else:
            data[name] = [np.nan if r.get(name) is None else float(r[name]) for r in rows]
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    demo = generate(600, seed=13)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in demo]
    numeric = [n for n, t in SCHEMA if t != "categorical"]
    categorical = [n for n, t in SCHEMA if t == "categorical"]
    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("n", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), numeric),
                        ("c", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
                    ]
                ),
            ),
            ("classifier", LogisticRegression(max_iter=2000)),
        ]
    ).fit(frame(rows), [d.converted for d in demo])
    types = [(n, StringTensorType([None, 1]) if t == "categorical" else FloatTensorType([None, 1])) for n, t in SCHEMA]
    onnx = convert_sklearn(pipeline, initial_types=types, options={id(pipeline.steps[-1][1]): {"zipmap": False}}, target_opset=17)
    baselines = training_baselines(rows, SCHEMA)
    metadata = ModelMetadata(
        model_id="m",
        version="1",
        model_type="logistic_regression",
        feature_schema=[FeatureSchemaEntry(name=n, type=t) for n, t in SCHEMA],
        metrics=HoldoutMetrics(accuracy=0.0, precision=0.0, recall=0.0, f1_score=0.0),
        parameters={},
        onnx_parity_max_abs_diff=0.0,
        training_data_sha256="",
        rows=RowCounts(total=len(rows), train=len(rows), holdout=0, positives=0),
        parent_version=None,
        created_by="test",
        created_at=datetime.now(UTC),
        baselines=baselines,
    )
    # Explained by occlusion (one variant per feature): the reference the additive path is checked against below.
    occlusion = dataclasses.replace(load_model("m", "1", onnx.SerializeToString(), metadata), additive=False)
    return pipeline, occlusion, rows, baselines


def test_baselines_are_medians_and_modes() -> None:
    rows: Rows = [{"a": 1.0, "b": "x", "c": True}, {"a": 3.0, "b": "x", "c": False}, {"a": None, "b": "y", "c": True}]
    assert training_baselines(rows, [("a", "numerical"), ("b", "categorical"), ("c", "boolean")]) == {"a": 2.0, "b": "x", "c": True}


def test_logistic_regression_contributions_are_its_exact_linear_terms(fitted: Fitted) -> None:
    pipeline, model, rows, baselines = fitted
    names = [n for n, _ in SCHEMA]
    checked = 0
    for row in rows[:40]:
        _, explained = model.predict_explained([row])
        assert explained is not None
        [explanation] = explained
        expected_frame = frame(variants([row], names, baselines))
        decision = pipeline.decision_function(expected_frame)
        exact = {name: decision[0] - decision[j + 1] for j, name in enumerate(names)}
        for factor in explanation.top_positive + explanation.top_negative:
            assert factor.contribution == pytest.approx(exact[factor.feature], abs=2e-4)
            checked += 1
        # The strongest factors are the largest linear terms.
        if explanation.top_positive:
            assert explanation.top_positive[0].contribution == pytest.approx(max(exact.values()), abs=2e-4)
    assert checked > 100


def test_explained_probabilities_equal_plain_ones(fitted: Fitted) -> None:
    _, model, rows, _ = fitted
    plain = model.predict_proba(rows[:20])
    explained, explanations = model.predict_explained(rows[:20])
    assert np.allclose(plain, explained)
    assert explanations is not None and len(explanations) == 20
    assert all(f.contribution > 0 for e in explanations for f in e.top_positive)
    assert all(f.contribution < 0 for e in explanations for f in e.top_negative)


def test_no_baselines_no_explanations(fitted: Fitted) -> None:
    _, model, rows, _ = fitted
    bare = dataclasses.replace(model, baselines=None)
    assert bare.predict_explained(rows[:2])[1] is None


def test_an_additive_model_remembers_each_values_term_and_explains_as_occlusion_does(fitted: Fitted) -> None:
    _, model, rows, _ = fitted
    additive = dataclasses.replace(model, additive=True)  # what load_model sets for the trainer's logistic regression
    calls: list[int] = []
    session = additive.session

    class CountingSession:
        def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> Any:
            calls.append(len(next(iter(feeds.values()))))
            return session.run(outputs, feeds)

    object.__setattr__(additive, "session", CountingSession())
    first, first_explained = additive.predict_explained(rows[:30])
    _, again_explained = additive.predict_explained(rows[:30])
    assert calls[-1] == 30  # warm: the leads alone, no variant rows
    assert first_explained is not None and again_explained is not None
    assert [e.model_dump() for e in first_explained] == [e.model_dump() for e in again_explained]
    occlusion, occlusion_explained = model.predict_explained(rows[:30])
    assert np.allclose(first, occlusion) and occlusion_explained is not None
    for a, b in zip(first_explained, occlusion_explained, strict=True):
        assert [f.feature for f in a.top_positive] == [f.feature for f in b.top_positive]
        for fa, fb in zip(a.top_positive + a.top_negative, b.top_positive + b.top_negative, strict=True):
            assert fa.contribution == pytest.approx(fb.contribution, abs=1e-5)


def test_ranking_terms_one_lead_at_a_time_or_in_bulk_gives_the_same_factors_as_ranking_probabilities() -> None:
    rng = np.random.default_rng(61)
    n, width = 40, 9
    terms = np.round(rng.normal(0, 0.8, (width, n)), rng.integers(1, 9))  # rounded: ties and zeros happen
    terms[2, :5] = 4e-7  # rounds to 0: no factor
    same = rng.random((n, width)) < 0.25
    p = rng.uniform(0.01, 0.99, n)
    bulk = rank_terms(p.tolist(), terms.tolist(), same)
    single = [rank_terms([p[i]], terms[:, i : i + 1].tolist(), same[i : i + 1]) for i in range(n)]
    assert bulk.positive == [s.positive[0] for s in single] and bulk.negative == [s.negative[0] for s in single]
    # The same factors as from the probabilities at baseline, which is how any other model is ranked.
    at_baseline = 1 / (1 + np.exp(terms.T - log_odds(p).reshape(n, 1)))
    from_probabilities = rank_factors(p, at_baseline, same)
    for mine, theirs in ((bulk.positive, from_probabilities.positive), (bulk.negative, from_probabilities.negative)):
        for a, b in zip(mine, theirs, strict=True):
            assert [j for j, _, _ in a] == [j for j, _, _ in b]
            assert np.allclose([c for _, c, _ in a], [c for _, c, _ in b], atol=2e-6)
            assert np.allclose([s for _, _, s in a], [s for _, _, s in b], atol=2e-4)
    assert any(bulk.positive) and any(bulk.negative) and all(len(f) <= 3 for f in bulk.positive + bulk.negative)
