"""Export a fitted pipeline to ONNX, and prove the export scores as scikit-learn does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

from leadscoring.domain.features import model_inputs
from leadscoring.schemas.model import FeatureType

# Largest difference allowed between the ONNX model's and scikit-learn's probabilities.
PARITY_TOLERANCE = 1e-5


class ExportMismatch(Exception):
    pass


def to_onnx(pipeline: Pipeline, schema: Sequence[tuple[str, FeatureType]]) -> bytes:
    initial_types: list[tuple[str, Any]] = [
        (name, StringTensorType([None, 1]) if ftype == "categorical" else FloatTensorType([None, 1])) for name, ftype in schema
    ]
    classifier = pipeline.steps[-1][1]
    onnx_model = convert_sklearn(pipeline, initial_types=initial_types, options={id(classifier): {"zipmap": False}}, target_opset=17)
    return bytes(onnx_model.SerializeToString())


def verify_parity(pipeline: Pipeline, onnx_bytes: bytes, frame: Any, schema: Sequence[tuple[str, FeatureType]]) -> float:
    """The largest probability difference on `frame`; raises ExportMismatch beyond the tolerance."""
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    rows = frame.to_dict("records") if hasattr(frame, "to_dict") else list(frame)
    onnx_p = session.run(["probabilities"], model_inputs(rows, schema))[0][:, 1]
    sk_p = pipeline.predict_proba(frame)[:, 1]
    worst = float(np.max(np.abs(onnx_p - sk_p))) if len(sk_p) else 0.0
    if worst > PARITY_TOLERANCE:
        raise ExportMismatch(f"ONNX and scikit-learn disagree by {worst:.2e} (> {PARITY_TOLERANCE:.0e})")
    return worst
