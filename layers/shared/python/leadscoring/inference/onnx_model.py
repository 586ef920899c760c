"""An ONNX scoring pipeline (preprocessing included) and the feature schema it was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from leadscoring.domain.features import model_inputs
from leadscoring.schemas.lead import AttributeValue
from leadscoring.schemas.model import FeatureType


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    version: str
    schema: tuple[tuple[str, FeatureType], ...]
    session: ort.InferenceSession
    probability_output: str

    def predict_proba(self, rows: Sequence[dict[str, AttributeValue]]) -> np.ndarray:
        """The probability of conversion for each row."""
        outputs = self.session.run([self.probability_output], model_inputs(rows, self.schema))
        return np.asarray(outputs[0])[:, 1]


def load_model(model_id: str, version: str, onnx_bytes: bytes, metadata: dict[str, Any]) -> LoadedModel:
    options = ort.SessionOptions()
    # Lambda gives a scoring container about one vCPU; extra threads only add contention.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    schema = tuple((str(f["name"]), f["type"]) for f in metadata["feature_schema"])
    names = [o.name for o in session.get_outputs()]
    probability_output = "probabilities" if "probabilities" in names else names[-1]
    return LoadedModel(model_id, version, schema, session, probability_output)
