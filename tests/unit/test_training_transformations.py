"""Feature transformations: parsing, and every step exported to ONNX scoring exactly as scikit-learn does."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

from leadscoring.demo_data import generate
from leadscoring.domain.errors import InvalidInput
from leadscoring.domain.feature_values import conversions, date_error, days_since, prepare_rows
from leadscoring.domain.features import flatten, model_inputs
from leadscoring.schemas.lead import AttributeValue, FeatureFamily, LeadInput
from leadscoring.schemas.model import FeatureType, ModelType, ScoringFeature
from leadscoring.schemas.model_metadata import FeatureSchemaEntry
from leadscoring.training.export import TARGET_OPSET
from leadscoring.training.pipeline import build_pipeline, preprocessing
from leadscoring.training.trainer import frame_of, train_model
from leadscoring.training.transformations import (
    InvalidFeatureDefinition,
    default_min_frequency,
    parse_transformation,
    plan_feature,
)

Rows = list[dict[str, AttributeValue]]
Demo = tuple[Rows, list[bool]]


def feature(name: str, ftype: FeatureType = "numerical", transformation: str | None = None, weight: float = 1.0) -> ScoringFeature:
    return ScoringFeature(name=name, type=ftype, transformation=transformation, weight=weight, family=FeatureFamily.BEHAVIORAL)


@pytest.fixture(scope="module")
def demo() -> Demo:
    leads = generate(400, seed=17)
    return [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads], [d.converted for d in leads]


def onnx_transform(fitted: Any, features: Sequence[ScoringFeature], rows: Rows) -> np.ndarray:
    """Run a fitted ColumnTransformer exported alone through onnxruntime, fed as the scoring path feeds it."""
    schema = [(f.name, f.type) for f in features]
    types = [(n, StringTensorType([None, 1]) if t == "categorical" else FloatTensorType([None, 1])) for n, t in schema]
    model = convert_sklearn(fitted, initial_types=types, target_opset=TARGET_OPSET)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, model_inputs(rows, schema))[0])


def assert_round_trip(
    features: Sequence[ScoringFeature], rows: Rows, model_type: ModelType = "logistic_regression", score_rows: Rows | None = None
) -> np.ndarray:
    schema = [(f.name, f.type) for f in features]
    fitted = preprocessing(features, model_type, training_rows=len(rows)).fit(frame_of(rows, schema))
    check = score_rows or rows
    expected = fitted.transform(frame_of(check, schema))
    got = onnx_transform(fitted, features, check)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    return np.asarray(expected)


NUMERIC = [
    None,
    "impute(median)",
    "impute(mean)",
    "impute(zero)",
    "impute(constant:-3.5)",
    "log1p",
    "clip(-10, 30)",
    "clip(-inf, 20)",
    "standardize",
    "bucketize(0, 10, 25)",
    "impute(zero) | log1p | clip(0, 3) | standardize",
    "log1p | bucketize(1, 2.5)",
]


@pytest.mark.parametrize("model_type", ["logistic_regression", "random_forest", "neural_network"])
@pytest.mark.parametrize("transformation", NUMERIC)
def test_numeric_transformations_export_and_match(demo: Demo, transformation: str | None, model_type: ModelType) -> None:
    rows, _ = demo  # growth_rate has negatives and 20% gaps
    out = assert_round_trip([feature("growth_rate", transformation=transformation)], rows, model_type)
    assert not np.isnan(out).any()


@pytest.mark.parametrize("transformation", [None, "one_hot", "one_hot(min_frequency=60)", "one_hot(min_frequency=100000)"])
def test_one_hot_folds_rare_and_unseen_categories_alike(demo: Demo, transformation: str | None) -> None:
    rows, _ = demo
    f = feature("industry", "categorical", transformation)
    unseen: Rows = [{"industry": "aerospace"}, {"industry": None}, {"industry": "software"}]
    out = assert_round_trip([f], rows, score_rows=rows + unseen)
    assert np.all(out.sum(axis=1) == 1)  # exactly one column per row, 'other' included
    assert out[-3, -1] == 1  # an unseen category lands in 'other'
    if transformation == "one_hot(min_frequency=100000)":
        assert out.shape[1] == 2  # the most common category is kept, everything else is 'other'


@pytest.mark.parametrize("transformation", [None, "impute(zero)", "impute(constant:1) | standardize"])
def test_boolean_transformations_export_and_match(demo: Demo, transformation: str | None) -> None:
    rows, _ = demo
    assert_round_trip([feature("uses_marketing_automation", "boolean", transformation)], rows)


def test_a_full_feature_set_exports_with_every_step_at_once(demo: Demo) -> None:
    rows, _ = demo
    features = [
        feature("page_views", transformation="impute(zero) | log1p | clip(0, 5)", weight=2.0),
        feature("time_on_site_seconds", transformation="log1p | bucketize(4, 6, 8)"),
        feature("growth_rate", transformation="impute(constant:0) | clip(-50, 100) | standardize", weight=0.5),
        feature("industry", "categorical", "one_hot(min_frequency=30)", weight=3.0),
        feature("uses_marketing_automation", "boolean"),
    ]
    assert_round_trip(features, rows)


def test_days_since_is_converted_before_the_model_and_exports(demo: Demo) -> None:
    rows, _ = demo
    reference = datetime(2026, 6, 1, tzinfo=UTC)
    dated: Rows = [
        {"last_visit": (reference - timedelta(days=i % 90, hours=i % 7)).isoformat() if i % 9 else None} for i in range(len(rows))
    ]
    f = feature("last_visit", transformation="days_since | clip(0, 60)")
    plan = plan_feature(f, "linear")
    assert plan.converted_input == "days_since" and plan.text() == "impute(median) | clip(0,60) | standardize"
    prepared = prepare_rows(dated, {"last_visit": "days_since"}, reference)
    assert prepared[1]["last_visit"] == pytest.approx(1 + 1 / 24)
    assert_round_trip([f], prepared)


def test_days_since_values() -> None:
    reference = datetime(2026, 3, 11, 12, tzinfo=UTC)
    assert days_since("2026-03-01", reference) == pytest.approx(10.5)
    assert days_since("2026-03-11T13:00:00+01:00", reference) == pytest.approx(0.0)
    assert days_since("2026-03-12T12:00:00Z", reference) == pytest.approx(-1.0)
    assert days_since(None, reference) is None and days_since("not a date", reference) is None
    assert days_since(4.5, reference) == 4.5  # already converted (e.g. an explanation baseline)
    assert date_error("2026-03-01") is None and date_error(None) is None and "ISO 8601" in (date_error("03/01/2026") or "")
    schema = [FeatureSchemaEntry(name="a", type="numerical", input_conversion="days_since"), FeatureSchemaEntry(name="b", type="numerical")]
    assert conversions(schema) == {"a": "days_since"}
    rows: Rows = [{"a": "2026-03-01", "b": 1}]
    assert prepare_rows(rows, conversions(schema), reference) == [{"a": pytest.approx(10.5), "b": 1}]
    assert prepare_rows(rows, {}, reference)[0] is rows[0]  # nothing to convert: no copy


@pytest.mark.parametrize(
    ("ftype", "transformation", "message"),
    [
        ("numerical", "sqrt", "unknown transformation 'sqrt'"),
        ("numerical", "log1p(2)", "takes no arguments"),
        ("categorical", "log1p", "'log1p' applies to numerical features, not categorical"),
        ("numerical", "one_hot", "applies to categorical"),
        ("numerical", "clip(5, 1)", "lower bound 5 must be below"),
        ("numerical", "clip(1)", "two bounds"),
        ("numerical", "clip(a, 3)", "'a' is not a number"),
        ("numerical", "bucketize(3, 2)", "strictly increasing"),
        ("numerical", "bucketize()", "at least one bound"),
        ("numerical", "bucketize(1) | standardize", "bucketize must be the last step"),
        ("numerical", "log1p | impute(median)", "impute must come first"),
        ("numerical", "impute(mode)", "unknown impute strategy 'mode'"),
        ("numerical", "impute(constant:inf)", "must be finite"),
        ("numerical", "log1p | log1p", "appears more than once"),
        ("numerical", "standardize | days_since", "days_since must be the first step"),
        ("categorical", "one_hot(min_frequency=0)", "at least 1"),
        ("categorical", "one_hot(10)", "min_frequency=N"),
        ("boolean", "clip(0, 1)", "not boolean"),
        ("numerical", "log1p |", "cannot read"),
    ],
)
def test_invalid_transformations_are_clear_errors_naming_the_feature(ftype: FeatureType, transformation: str | None, message: str) -> None:
    with pytest.raises(InvalidFeatureDefinition) as err:
        parse_transformation(feature("budget", ftype, transformation))
    assert message in str(err.value) and str(err.value).startswith("Feature 'budget': ")
    assert isinstance(err.value, ValueError) and isinstance(err.value, InvalidInput) and err.value.status == 422
    assert err.value.details[0]["field"] == "features.budget.transformation"


def test_training_refuses_an_invalid_definition_before_fitting(demo: Demo) -> None:
    rows, labels = demo
    with pytest.raises(InvalidFeatureDefinition, match="Feature 'page_views': unknown transformation 'zscore'"):
        train_model(rows, labels, [feature("page_views", transformation="zscore")], "m", "1", "n", created_by="t")


def test_model_families_complete_the_chain() -> None:
    f = feature("x", transformation="log1p | standardize | clip(-3, 3)")
    assert plan_feature(f, "linear").text() == "impute(median) | log1p | standardize | clip(-3,3)"
    tree = plan_feature(f, "tree")
    assert tree.text() == "impute(median) | log1p | clip(-3,3)" and "standardize skipped" in tree.notes[0]
    assert plan_feature(feature("x"), "neural").text() == "impute(median) | standardize"
    assert plan_feature(feature("x", transformation="bucketize(1, 2)"), "linear").text() == "impute(median) | bucketize(1,2)"
    assert plan_feature(feature("b", "boolean"), "linear").text() == "impute(mean) | standardize"
    assert plan_feature(feature("c", "categorical"), "tree").text() == "one_hot"
    assert plan_feature(feature("x", weight=2), "tree").notes  # a weight other than 0/1 is noted as ineffective for trees
    assert default_min_frequency(100_000) == 10 and default_min_frequency(640) == 6 and default_min_frequency(50) == 1


# --- weights ---------------------------------------------------------------------------------------------


def test_weight_scales_the_standardized_column(demo: Demo) -> None:
    rows, _ = demo
    schema: list[tuple[str, FeatureType]] = [("email_click_rate", "numerical")]
    frame = frame_of(rows, schema)
    plain = preprocessing([feature("email_click_rate")], "logistic_regression", len(rows)).fit_transform(frame)
    doubled = preprocessing([feature("email_click_rate", weight=2.0)], "logistic_regression", len(rows)).fit_transform(frame)
    np.testing.assert_allclose(doubled, 2 * plain, rtol=1e-6)
    assert abs(float(plain.std()) - 1.0) < 1e-3  # the unit a weight multiplies is one standard deviation


def _influence(rows: Rows, labels: list[bool], weight: float) -> float:
    """Effect on the log-odds of one standard deviation of email_click_rate, under strong L2."""
    features = [feature("email_click_rate", weight=weight), feature("form_submissions"), feature("page_views")]
    schema = [(f.name, f.type) for f in features]
    pipeline = build_pipeline(features, "logistic_regression", {"C": 0.002}, calibrated=False).fit(frame_of(rows, schema), labels)
    return float(pipeline[-1].coef_[0][0]) * weight


def test_weight_is_a_prior_on_influence_under_regularisation(demo: Demo) -> None:
    rows, labels = demo
    low, base, high = (_influence(rows, labels, w) for w in (0.5, 1.0, 2.0))
    assert 0 < low < base < high
    # Strong L2: the learnt effect scales roughly with weight squared (coefficient cost is 1/w^2).
    assert high > 2 * base and base > 2 * low


def test_weight_zero_drops_the_feature_from_the_model(demo: Demo) -> None:
    rows, labels = demo
    features = [feature("email_click_rate"), feature("page_views", weight=0), feature("industry", "categorical")]
    trained = train_model(rows, labels, features, "m", "1", "n", created_by="t", time_budget_seconds=0)
    assert [f.name for f in trained.metadata.feature_schema] == ["email_click_rate", "industry"]
    session = ort.InferenceSession(trained.onnx_bytes, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["email_click_rate", "industry"]
    assert trained.model.weights["page_views"] == 0  # still on the record
