"""Model quality on real lead data: the product's models against plain scikit-learn references.

Data: ../shared/data/leads_x_education.csv (X Education, 9,240 leads; see that folder's README), read in
place, never copied into the repository. Both sides use the same stratified 80/20 split (random_state 42).

- Product: the product's own path, dataset.py (inferred features, `Select` as missing) -> readiness ->
  trainer (search, calibration) -> ONNX, then the holdout is scored through the scoring path
  (`leadscoring.inference.onnx_model.load_model`), and that ROC-AUC is the product's figure.
- Reference: exactly the data README's pipelines, fitted in the same run: median impute + standardize
  numerics, one-hot with min_frequency=10 for categoricals (missing as its own category); logistic
  regression, random forest (300 trees), MLP (64, 32) and histogram gradient boosting.
- Twice: with all columns, and with lead-creation-time columns only (the README's leaking columns dropped).
  Identifier columns (Prospect ID, Lead Number) are left out of both sides.

Both sides fit with BLAS single-threaded (the trainer does; see leadscoring/training/search.py), so
training times compare like with like.

Targets: every product model within 0.01 ROC-AUC of its reference type, and the best product model at or
above the best reference.
"""

from __future__ import annotations

import hashlib
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from leadscoring.inference.onnx_model import load_model
from leadscoring.schemas.model import ModelType
from leadscoring.training.dataset import load_training_data
from leadscoring.training.readiness import check_readiness
from leadscoring.training.trainer import train_model

DATA = Path(__file__).resolve().parents[2] / "shared/data/leads_x_education.csv"
TARGET = "Converted"
MISSING = ["", "Select"]
IDENTIFIERS = ["Prospect ID", "Lead Number"]
LEAKING = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Activity",
    "Last Notable Activity",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
]
COLUMN_SETS = {"all_columns": [], "lead_creation_time": LEAKING}
PRODUCT_MODELS: tuple[ModelType, ...] = ("logistic_regression", "random_forest", "neural_network")
TOLERANCE = 0.01
TIME_BUDGET_SECONDS = 90.0
TEST_SIZE, SEED = 0.2, 42
README_ROC_AUC = {
    "all_columns": {"logistic_regression": 0.979, "random_forest": 0.981, "neural_network": 0.981, "hist_gradient_boosting": 0.983},
    "lead_creation_time": {"logistic_regression": 0.850, "random_forest": 0.860, "neural_network": 0.855, "hist_gradient_boosting": 0.858},
}


def log(message: str) -> None:
    print(f"[model_quality] {message}", file=sys.stderr, flush=True)


def reference_models() -> dict[str, Any]:
    return {
        "logistic_regression": LogisticRegression(max_iter=2000),
        "random_forest": RandomForestClassifier(n_estimators=300, random_state=SEED, n_jobs=-1),
        "neural_network": MLPClassifier(hidden_layer_sizes=(64, 32), random_state=SEED),
        "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=SEED),
    }


def reference_scores(excluded: list[str]) -> dict[str, dict[str, float]]:
    """The data README's plain pipelines on the same split."""
    frame = pd.read_csv(DATA, keep_default_na=True).replace("Select", np.nan)
    y = frame.pop(TARGET).to_numpy(dtype=int)
    frame = frame.drop(columns=IDENTIFIERS + excluded)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
    frame[categorical] = frame[categorical].astype(object).where(frame[categorical].notna(), "missing")
    x_train, x_test, y_train, y_test = train_test_split(frame, y, test_size=TEST_SIZE, stratify=y, random_state=SEED)
    out = {}
    for name, model in reference_models().items():
        preprocessing = ColumnTransformer(
            [
                ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
                ("categorical", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False), categorical),
            ]
        )
        pipeline = Pipeline([("features", preprocessing), ("classifier", model)])
        started = time.perf_counter()
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):  # as the trainer fits
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipeline.fit(x_train, y_train)
        seconds = time.perf_counter() - started
        auc = float(roc_auc_score(y_test, pipeline.predict_proba(x_test)[:, 1]))
        out[name] = {"roc_auc": round(auc, 4), "train_seconds": round(seconds, 2)}
        log(f"reference {name}: ROC-AUC {auc:.4f} in {seconds:.1f}s")
    return out


def product_scores(excluded: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    started = time.perf_counter()
    data = load_training_data(DATA, target=TARGET, positive=1, missing_values=MISSING, exclude=excluded)
    load_seconds = time.perf_counter() - started
    readiness = check_readiness(data.rows, data.labels, data.features)
    about = {
        "features": len(data.features),
        "excluded_columns": excluded,
        "skipped_columns": data.skipped,
        "dataset_load_seconds": round(load_seconds, 2),
        "readiness": {"ready": readiness.ready, "warnings": [f.message for f in readiness.warnings]},
    }
    y = np.asarray(data.labels, dtype=int)
    _, holdout = train_test_split(np.arange(len(y)), test_size=TEST_SIZE, stratify=y, random_state=SEED)
    holdout_rows = [data.rows[i] for i in holdout]
    out: dict[str, dict[str, Any]] = {}
    for model_type in PRODUCT_MODELS:
        started = time.perf_counter()
        trained = train_model(
            data.rows,
            data.labels,
            data.features,
            "benchmark",
            "1",
            f"X Education {model_type}",
            created_by="benchmark",
            model_type=model_type,
            time_budget_seconds=TIME_BUDGET_SECONDS,
        )
        seconds = time.perf_counter() - started
        served = load_model("benchmark", "1", trained.onnx_bytes, trained.metadata)
        auc = float(roc_auc_score(y[holdout], served.predict_proba(holdout_rows)))
        metadata = trained.metadata
        metrics, timings, found = metadata.metrics, metadata.timings, metadata.search
        # What today's trainer always records (an older stored version may lack them).
        assert metrics.roc_auc is not None and metrics.brier_score is not None and timings is not None and found is not None
        out[model_type] = {
            "roc_auc": round(auc, 4),
            "train_seconds": round(seconds, 2),
            "train_seconds_by_stage": timings.model_dump(),
            "trainer_reported_roc_auc": round(metrics.roc_auc, 4),
            "brier_score": round(metrics.brier_score, 4),
            "onnx_parity_max_abs_diff": metadata.onnx_parity_max_abs_diff,
            "onnx_megabytes": round(len(trained.onnx_bytes) / 1e6, 2),
            "chosen_parameters": metadata.parameters,
            "search": [{"params": c.params, "cv_roc_auc": c.cv_roc_auc} for c in found.candidates],
            "candidates_not_tried": found.not_tried,
        }
        log(f"product {model_type}: ROC-AUC {auc:.4f} in {seconds:.1f}s, parity {metadata.onnx_parity_max_abs_diff:.1e}")
    return about, out


def run_column_set(name: str, excluded: list[str]) -> dict[str, Any]:
    log(f"column set {name}")
    references = reference_scores(excluded)
    about, products = product_scores(excluded)
    models = {}
    for model_type, product in products.items():
        reference = references[model_type]
        delta = product["roc_auc"] - reference["roc_auc"]
        models[model_type] = {
            **product,
            "reference_roc_auc": reference["roc_auc"],
            "reference_train_seconds": reference["train_seconds"],
            "delta": round(delta, 4),
            "tolerance": TOLERANCE,
            "meets_target": bool(delta >= -TOLERANCE),
        }
    best_product = max(products, key=lambda m: products[m]["roc_auc"])
    best_reference = max(references, key=lambda m: references[m]["roc_auc"])
    best = {
        "product_model": best_product,
        "roc_auc": products[best_product]["roc_auc"],
        "reference_model": best_reference,
        "reference_roc_auc": references[best_reference]["roc_auc"],
        "delta": round(products[best_product]["roc_auc"] - references[best_reference]["roc_auc"], 4),
        "meets_target": bool(products[best_product]["roc_auc"] >= references[best_reference]["roc_auc"]),
    }
    return {
        **about,
        "models": models,
        "references": references,
        "best": best,
        "readme_reference_roc_auc": README_ROC_AUC[name],
        "meets_target": bool(best["meets_target"] and all(m["meets_target"] for m in models.values())),
    }


def run() -> dict[str, Any]:
    started = time.perf_counter()
    raw = DATA.read_bytes()
    sets = {name: run_column_set(name, excluded) for name, excluded in COLUMN_SETS.items()}
    return {
        "dataset": {
            "path": "../shared/data/leads_x_education.csv",
            "sha1": hashlib.sha1(raw, usedforsecurity=False).hexdigest(),
            "split": f"stratified {int((1 - TEST_SIZE) * 100)}/{int(TEST_SIZE * 100)}, random_state={SEED}",
            "metric": "ROC-AUC on the holdout; product figures scored through the ONNX scoring path",
        },
        "target": "every product model within 0.01 ROC-AUC of its reference type; best product model >= best reference",
        "column_sets": sets,
        "seconds": round(time.perf_counter() - started, 1),
        "meets_target": all(s["meets_target"] for s in sets.values()),
    }
