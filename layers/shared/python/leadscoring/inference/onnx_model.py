"""An ONNX scoring pipeline (preprocessing included) and the feature schema it was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort

from leadscoring.domain.explanations import explanations, rank_factors, same_as_baseline
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
    # Each baseline as the model takes it ([1, 1] arrays), worked out once at load.
    baseline_inputs: dict[str, np.ndarray] | None = None

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.schema)

    def predict_proba(self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None) -> np.ndarray:
        """The probability of conversion for each row; dates count days up to `reference` (default: now)."""
        return self.run(self.inputs(rows, reference))[0]

    def predict_explained(
        self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None
    ) -> tuple[np.ndarray, list[Explanation] | None]:
        """Probabilities and, when the model recorded its training baselines, explanations: one run for all variants."""
        if not self.baselines:
            return self.predict_proba(rows, reference), None
        names = self.feature_names
        same = same_as_baseline(rows, names, self.baselines)
        probabilities, at_baseline = self.run(self.inputs(rows, reference), same)
        assert at_baseline is not None
        return probabilities, explanations(rows, names, self.baselines, rank_factors(probabilities, at_baseline, same))

    def inputs(self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None) -> dict[str, np.ndarray]:
        if self.conversions:
            rows = prepare_rows(rows, self.conversions, reference or datetime.now(UTC))
        return model_inputs(rows, self.schema)

    def run(self, inputs: dict[str, np.ndarray], same: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities of the n rows of `inputs` ([n, 1] per feature) and, when `same` ([n, f]: the row's value is
        the feature's baseline) is given, of each row with feature j at its baseline ([n, f], NaN where `same`).

        One session.run scores the rows and every variant needed: a variant is skipped where it would not differ.
        """
        n = len(next(iter(inputs.values())))
        if same is None or self.baseline_inputs is None:
            return np.asarray(self.session.run([self.probability_output], inputs)[0])[:, 1], None
        blocks = [np.flatnonzero(~same[:, j]) for j in range(len(self.schema))]
        index = np.concatenate([np.arange(n), *blocks])
        starts = np.cumsum([n] + [len(b) for b in blocks])
        feeds = {}
        for j, (name, _) in enumerate(self.schema):
            column = inputs[name][index]
            column[starts[j] : starts[j + 1]] = self.baseline_inputs[name]
            feeds[name] = column
        probabilities = np.asarray(self.session.run([self.probability_output], feeds)[0])[:, 1]
        at_baseline = np.full((n, len(self.schema)), np.nan)
        for j, rows in enumerate(blocks):
            at_baseline[rows, j] = probabilities[starts[j] : starts[j + 1]]
        return probabilities[:n], at_baseline


def load_model(model_id: str, version: str, onnx_bytes: bytes, metadata: dict[str, Any]) -> LoadedModel:
    options = ort.SessionOptions()
    # Lambda gives a scoring container about one vCPU; extra threads only add contention.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    schema = tuple((str(f["name"]), f["type"]) for f in metadata["feature_schema"])
    names = [o.name for o in session.get_outputs()]
    probability_output = "probabilities" if "probabilities" in names else names[-1]
    converted = conversions(metadata["feature_schema"])
    baselines = metadata.get("baselines")
    baseline_inputs = None
    if baselines:
        # Baselines of date features are already days: converting them is the identity, at any reference time.
        baseline_inputs = model_inputs(prepare_rows([baselines], converted, datetime.now(UTC)), schema)
    return LoadedModel(model_id, version, schema, session, probability_output, baselines, converted, baseline_inputs)
