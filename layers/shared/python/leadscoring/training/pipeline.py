"""A scikit-learn pipeline compiled from a tenant's feature definitions, for one model type.

Preprocessing is one sub-pipeline per feature (its steps from `transformations.plan_feature`, then its
weight), side by side in a ColumnTransformer whose columns are the ONNX model's inputs. The classifier is
wrapped in a sigmoid calibration fitted on out-of-fold predictions (CalibratedClassifierCV, ensemble=False):
the model that ranks is the one fitted on the whole training split, and its probabilities are calibrated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from leadscoring.schemas.model import ModelType, ScoringFeature
from leadscoring.training.feature_transformers import Bucketize, CategoryOneHot, Clip, FeatureWeight, SymmetricLog1p, WeightedMLPClassifier
from leadscoring.training.transformations import FeaturePlan, ModelFamily, Step, default_min_frequency, plan_feature

MODEL_FAMILY: dict[ModelType, ModelFamily] = {"logistic_regression": "linear", "random_forest": "tree", "neural_network": "neural"}
CALIBRATION_FOLDS = 3


def model_inputs_of(features: Sequence[ScoringFeature]) -> list[ScoringFeature]:
    """The features a model takes as inputs: active ones with a weight above 0."""
    return [f for f in features if f.is_active and f.weight > 0]


def plans(features: Sequence[ScoringFeature], model_type: ModelType) -> list[FeaturePlan]:
    family = MODEL_FAMILY[model_type]
    return [plan_feature(f, family) for f in model_inputs_of(features)]


def _transformer(step: Step, training_rows: int) -> tuple[str, BaseEstimator]:
    if step.name == "impute":
        if step.strategy == "constant":
            return "impute", SimpleImputer(strategy="constant", fill_value=step.fill_value, keep_empty_features=True)
        return "impute", SimpleImputer(strategy=step.strategy or "median", keep_empty_features=True)
    if step.name == "log1p":
        return "log1p", SymmetricLog1p()
    if step.name == "clip":
        return "clip", Clip(step.bounds[0], step.bounds[1])
    if step.name == "standardize":
        return "standardize", StandardScaler()
    if step.name == "bucketize":
        return "bucketize", Bucketize(step.bounds)
    if step.name == "one_hot":
        return "one_hot", CategoryOneHot(step.min_frequency or default_min_frequency(training_rows))
    raise ValueError(f"step {step.name} has no transformer")  # days_since is converted before the model


def feature_pipeline(plan: FeaturePlan, family: ModelFamily, training_rows: int) -> Pipeline:
    steps = [_transformer(step, training_rows) for step in plan.steps]
    if family != "tree" and plan.weight != 1.0:
        steps.append(("weight", FeatureWeight(plan.weight)))
    return Pipeline(steps)


def preprocessing(features: Sequence[ScoringFeature], model_type: ModelType, training_rows: int) -> ColumnTransformer:
    family = MODEL_FAMILY[model_type]
    return ColumnTransformer(
        [(p.name, feature_pipeline(p, family, training_rows), [p.name]) for p in plans(features, model_type)],
        remainder="drop",
        sparse_threshold=0.0,
    )


def classifier(model_type: ModelType, params: Mapping[str, Any], random_state: int = 42, n_jobs: int | None = None) -> BaseEstimator:
    """The bare estimator for a model type and one set of hyperparameters (see search.CANDIDATES)."""
    p = dict(params)
    if model_type == "logistic_regression":
        return LogisticRegression(C=p.get("C", 1.0), class_weight=p.get("class_weight"), max_iter=5000)
    if model_type == "random_forest":
        return RandomForestClassifier(
            n_estimators=p.get("n_estimators", 300),
            min_samples_leaf=p.get("min_samples_leaf", 1),
            max_features=p.get("max_features", "sqrt"),
            class_weight="balanced_subsample" if p.get("class_weight") else None,
            n_jobs=n_jobs,
            random_state=random_state,
        )
    if model_type == "neural_network":
        return WeightedMLPClassifier(
            hidden_layer_sizes=tuple(p.get("hidden_layer_sizes", (64, 32))),
            alpha=p.get("alpha", 1.0),
            early_stopping=p.get("early_stopping", False),
            max_iter=p.get("max_iter", 200),
            class_weight=p.get("class_weight"),
            random_state=random_state,
        )
    raise ValueError(f"unknown model type {model_type}")


def build_pipeline(
    features: Sequence[ScoringFeature],
    model_type: ModelType = "logistic_regression",
    params: Mapping[str, Any] | None = None,
    *,
    training_rows: int = 1000,
    calibrated: bool = True,
    random_state: int = 42,
    n_jobs: int | None = None,
) -> Pipeline:
    estimator = classifier(model_type, params or {}, random_state, n_jobs)
    if calibrated:
        folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
        estimator = CalibratedClassifierCV(estimator, method="sigmoid", cv=folds, ensemble=False)
    return Pipeline([("features", preprocessing(features, model_type, training_rows)), ("classifier", estimator)])
