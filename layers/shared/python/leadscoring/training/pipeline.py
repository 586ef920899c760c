"""A scikit-learn pipeline compiled from a tenant's feature definitions."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadscoring.schemas.model import FeatureType, ModelType


def preprocessing(schema: Sequence[tuple[str, FeatureType]]) -> ColumnTransformer:
    numeric = [name for name, ftype in schema if ftype != "categorical"]
    categorical = [name for name, ftype in schema if ftype == "categorical"]
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if categorical:
        transformers.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical))
    return ColumnTransformer(transformers)


def build_pipeline(schema: Sequence[tuple[str, FeatureType]], model_type: ModelType = "logistic_regression") -> Pipeline:
    if model_type != "logistic_regression":
        # Random forest and neural network come with the model pipeline (issue 3).
        raise ValueError(f"model type {model_type} is not trainable yet")
    return Pipeline([("features", preprocessing(schema)), ("classifier", LogisticRegression(max_iter=2000, C=1.0))])
