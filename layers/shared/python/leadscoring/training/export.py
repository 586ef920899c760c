"""Export a fitted pipeline to ONNX, and prove the export scores as scikit-learn does.

The whole pipeline goes in (preprocessing included), one [n, 1] input per feature as
`leadscoring.domain.features.model_inputs` feeds it, zipmap off, probabilities in the `probabilities` output
([n, 2]). `verify_parity` is the gate before registration: it raises when the two disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

import leadscoring.training.feature_transformers  # noqa: F401  (registers our converters)
from leadscoring.domain.features import model_inputs
from leadscoring.schemas.model import FeatureType

# Largest difference allowed between the ONNX model's and scikit-learn's probabilities.
PARITY_TOLERANCE = 1e-5
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
PROBABILITIES = "probabilities"


class ExportMismatch(Exception):
    """The ONNX model does not score as the fitted pipeline: it must not be registered."""

    def __init__(self, message: str, max_abs_diff: float, row: int) -> None:
        super().__init__(message)
        self.max_abs_diff = max_abs_diff
        self.row = row


def to_onnx(pipeline: Pipeline, schema: Sequence[tuple[str, FeatureType]]) -> bytes:
    initial_types: list[tuple[str, Any]] = [
        (name, StringTensorType([None, 1]) if ftype == "categorical" else FloatTensorType([None, 1])) for name, ftype in schema
    ]
    classifier = pipeline.steps[-1][1]
    onnx_model = convert_sklearn(
        pipeline, initial_types=initial_types, options={id(classifier): {"zipmap": False}}, target_opset=TARGET_OPSET
    )
    outputs = [o.name for o in onnx_model.graph.output]
    if PROBABILITIES not in outputs:
        raise ExportMismatch(f"the exported model has no '{PROBABILITIES}' output (outputs: {outputs})", float("inf"), -1)
    return bytes(onnx_model.SerializeToString())


def onnx_session(onnx_bytes: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])


def onnx_probabilities(session: ort.InferenceSession, frame: Any, schema: Sequence[tuple[str, FeatureType]]) -> np.ndarray:
    """[n, 2] probabilities from the ONNX model, fed exactly as the scoring path feeds it."""
    rows = frame.to_dict("records") if hasattr(frame, "to_dict") else list(frame)
    return np.asarray(session.run([PROBABILITIES], model_inputs(rows, schema))[0])


def verify_parity(pipeline: Pipeline, onnx_bytes: bytes, frame: Any, schema: Sequence[tuple[str, FeatureType]]) -> float:
    """The largest probability difference on `frame`; raises ExportMismatch beyond PARITY_TOLERANCE."""
    onnx_p = onnx_probabilities(onnx_session(onnx_bytes), frame, schema)
    sk_p = np.asarray(pipeline.predict_proba(frame))
    if onnx_p.shape != sk_p.shape:
        raise ExportMismatch(f"ONNX returns probabilities of shape {onnx_p.shape}, scikit-learn {sk_p.shape}", float("inf"), -1)
    if not len(sk_p):
        return 0.0
    diff = np.abs(onnx_p.astype(np.float64) - sk_p)
    worst = float(np.max(diff))
    if not np.isfinite(worst) or worst > PARITY_TOLERANCE:
        row = int(np.argmax(np.max(np.nan_to_num(diff, nan=np.inf), axis=1)))
        raise ExportMismatch(
            f"ONNX and scikit-learn disagree by {worst:.2e} (> {PARITY_TOLERANCE:.0e}) on holdout row {row}: not registrable",
            worst,
            row,
        )
    return worst
