"""An ONNX scoring pipeline (preprocessing included) and the feature schema it was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort

from leadscoring.domain.explanations import explain, variants
from leadscoring.domain.feature_values import conversions, prepare_rows
from leadscoring.domain.features import model_inputs
from leadscoring.schemas.lead import AttributeValue, Explanation
from leadscoring.schemas.model import FeatureType


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    version: str
    schema: tuple[tuple[str, FeatureType], ...]
    session: ort.InferenceSession
    probability_output: str
    baselines: dict[str, AttributeValue] | None = None
    conversions: dict[str, str] = field(default_factory=dict)  # inputs computed from the lead (days_since)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.schema)

    def predict_proba(self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None) -> np.ndarray:
        """The probability of conversion for each row; dates count days up to `reference` (default: now)."""
        if self.conversions:
            rows = prepare_rows(rows, self.conversions, reference or datetime.now(UTC))
        outputs = self.session.run([self.probability_output], model_inputs(rows, self.schema))
        return np.asarray(outputs[0])[:, 1]

    def predict_explained(
        self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None
    ) -> tuple[np.ndarray, list[Explanation] | None]:
        """Probabilities and, when the model recorded its training baselines, explanations: one run for all variants."""
        if not self.baselines:
            return self.predict_proba(rows, reference), None
        names = self.feature_names
        probabilities = self.predict_proba(variants(rows, names, self.baselines), reference)
        return probabilities[:: len(names) + 1], explain(rows, names, self.baselines, probabilities)


def load_model(model_id: str, version: str, onnx_bytes: bytes, metadata: dict[str, Any]) -> LoadedModel:
    options = ort.SessionOptions()
    # Lambda gives a scoring container about one vCPU; extra threads only add contention.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    schema = tuple((str(f["name"]), f["type"]) for f in metadata["feature_schema"])
    names = [o.name for o in session.get_outputs()]
    probability_output = "probabilities" if "probabilities" in names else names[-1]
    return LoadedModel(
        model_id, version, schema, session, probability_output, metadata.get("baselines"), conversions(metadata["feature_schema"])
    )
