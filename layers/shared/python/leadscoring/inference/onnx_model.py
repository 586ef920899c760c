"""An ONNX scoring pipeline (preprocessing included) and the feature schema it was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import onnxruntime as ort

from leadscoring.domain.explanations import RankedFactors, explanations, log_odds, rank_factors, rank_terms, same_as_baseline
from leadscoring.domain.feature_values import conversions, model_number, prepare_rows
from leadscoring.domain.features import MISSING_CATEGORY
from leadscoring.schemas.lead import AttributeValue, Explanation
from leadscoring.schemas.model import FeatureType
from leadscoring.schemas.model_metadata import ModelMetadata

MAX_REMEMBERED_TERMS = 20_000  # per feature (a few MB); forgotten all at once when full


@dataclass(frozen=True)
class ModelInputs:
    """A model's inputs for n rows as two matrices, one feature per row: numbers (float32, NaN for gaps) and
    categories (str, MISSING_CATEGORY for gaps), each in the schema's order. Each feature's ONNX input is a
    contiguous [n, 1] view of its row, and variants are built with a few array operations."""

    numbers: np.ndarray  # [numeric features, n]
    categories: np.ndarray  # [categorical features, n]


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    version: str
    schema: tuple[tuple[str, FeatureType], ...]
    session: ort.InferenceSession
    probability_output: str
    baselines: dict[str, AttributeValue] | None = None
    conversions: dict[str, str] = field(default_factory=dict)  # inputs computed from the lead (days_since)
    # Each baseline as the model takes it, worked out once at load (None without baselines).
    baseline_inputs: ModelInputs | None = None
    # Log-odds are a sum of one term per feature (see _run_additive).
    additive: bool = False

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.schema)

    @cached_property
    def number_names(self) -> tuple[str, ...]:
        return tuple(name for name, ftype in self.schema if ftype != "categorical")

    @cached_property
    def category_names(self) -> tuple[str, ...]:
        return tuple(name for name, ftype in self.schema if ftype == "categorical")

    @cached_property
    def _slots(self) -> tuple[np.ndarray, np.ndarray]:
        """Per schema feature: whether it is categorical, and its row in its matrix."""
        categorical = np.array([ftype == "categorical" for _, ftype in self.schema], dtype=bool)
        slot = np.zeros(len(self.schema), dtype=np.intp)
        slot[~categorical] = np.arange(int((~categorical).sum()))
        slot[categorical] = np.arange(int(categorical.sum()))
        return categorical, slot

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
        probabilities, ranked = self.explained(self.inputs(rows, reference), same)
        assert ranked is not None
        return probabilities, explanations(rows, names, self.baselines, ranked)

    def inputs(self, rows: Sequence[dict[str, AttributeValue]], reference: datetime | None = None) -> ModelInputs:
        """The rows as model inputs (as domain.features.model_inputs builds them: NaN or MISSING_CATEGORY for gaps)."""
        if self.conversions:
            rows = prepare_rows(rows, self.conversions, reference or datetime.now(UTC))
        try:
            numbers = [[float("nan") if (v := r.get(name)) is None else float(v) for r in rows] for name in self.number_names]
        except (TypeError, ValueError):  # text for a numeric input: its feature was made categorical since training
            numbers = [[model_number(r.get(name)) for r in rows] for name in self.number_names]
        categories = [[MISSING_CATEGORY if (v := r.get(name)) is None else str(v) for r in rows] for name in self.category_names]
        return self.matrices(numbers, categories, len(rows))

    def matrices(self, numbers: Sequence[Sequence[float]], categories: Sequence[Sequence[str]], n: int) -> ModelInputs:
        """ModelInputs from per-feature lists of values, in number_names / category_names order."""
        return ModelInputs(
            np.array(numbers, dtype=np.float32).reshape(len(self.number_names), n),
            np.array(categories, dtype=object).reshape(len(self.category_names), n),
        )

    def feeds(self, inputs: ModelInputs) -> dict[str, np.ndarray]:
        feeds = {name: inputs.numbers[k].reshape(-1, 1) for k, name in enumerate(self.number_names)}
        feeds.update({name: inputs.categories[k].reshape(-1, 1) for k, name in enumerate(self.category_names)})
        return feeds

    def explained(self, inputs: ModelInputs, same: np.ndarray | None) -> tuple[np.ndarray, RankedFactors | None]:
        """Probabilities of the n rows of `inputs` and, when `same` ([n, f]: the row's value is the feature's
        baseline) is given and the model has baselines, each row's ranked factors. One session.run either way."""
        if same is None or self.baseline_inputs is None:
            return self.run(inputs)[0], None
        if self.additive:
            return self._explained_additive(inputs, same)
        probabilities, at_baseline = self.run(inputs, same)
        assert at_baseline is not None
        return probabilities, rank_factors(probabilities, at_baseline, same)

    def run(self, inputs: ModelInputs, same: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities of the n rows of `inputs` and, when `same` ([n, f]: the row's value is the feature's
        baseline) is given, of each row with feature j at its baseline ([n, f], NaN where `same`).

        One session.run scores the rows and every variant needed: a variant is skipped where it would not differ.
        """
        if same is None or self.baseline_inputs is None:
            return np.asarray(self.session.run([self.probability_output], self.feeds(inputs))[0])[:, 1], None
        n, width = same.shape
        # Variants in feature order: (feature j, row i) for every value that is not its baseline.
        features, rows = np.nonzero(~same.T)
        index = np.concatenate((np.arange(n), rows))
        variant = np.arange(n, n + len(rows))
        categorical, slot = self._slots
        is_category = categorical[features]
        numbers, categories = inputs.numbers[:, index], inputs.categories[:, index]
        number_slots, category_slots = slot[features[~is_category]], slot[features[is_category]]
        numbers[number_slots, variant[~is_category]] = self.baseline_inputs.numbers[number_slots, 0]
        categories[category_slots, variant[is_category]] = self.baseline_inputs.categories[category_slots, 0]
        probabilities = np.asarray(self.session.run([self.probability_output], self.feeds(ModelInputs(numbers, categories)))[0])[:, 1]
        at_baseline = np.full((n, width), np.nan)
        at_baseline[rows, features] = probabilities[n:]
        return probabilities[:n], at_baseline

    def _explained_additive(self, inputs: ModelInputs, same: np.ndarray) -> tuple[np.ndarray, RankedFactors]:
        """explained() for a model whose log-odds are a sum of one term per feature: a feature's contribution then
        depends on its own value only, logit P(baseline with the feature at v) - logit P(baseline), so each
        (feature, value) is run through the model once and remembered. The rows and the values not seen yet go
        in one session.run; a warm model runs the rows alone."""
        assert self.baseline_inputs is not None
        n = same.shape[0]
        categorical, slot = self._slots
        keys: list[list[Any]] = []
        probes: list[tuple[int, Any]] = []
        numbers_by_feature, categories_by_feature = inputs.numbers.tolist(), inputs.categories.tolist()
        has_gaps = np.isnan(inputs.numbers).any(axis=1).tolist()
        terms = self._terms
        columns: list[list[Any]] = []  # each feature's term for each row, None until known
        for j, (is_category, k) in enumerate(self._slot_list):
            if is_category:
                values = categories_by_feature[k]
            else:  # a missing number (NaN, never equal to itself) is remembered as None
                values = [None if v != v else v for v in numbers_by_feature[k]] if has_gaps[k] else numbers_by_feature[k]
            keys.append(values)
            known = terms[j]
            column = list(map(known.get, values))
            columns.append(column)
            if None in column:  # values not seen yet
                if len(known) > MAX_REMEMBERED_TERMS:
                    known.clear()
                    unseen = values
                else:
                    unseen = [v for v, t in zip(values, column, strict=True) if t is None]
                probes.extend((j, v) for v in dict.fromkeys(unseen))
        numbers, categories = inputs.numbers, inputs.categories
        if probes:
            m = len(probes)
            probe_numbers = np.repeat(self.baseline_inputs.numbers, m, axis=1)
            probe_categories = np.repeat(self.baseline_inputs.categories, m, axis=1)
            for k, (j, value) in enumerate(probes):
                if categorical[j]:
                    probe_categories[slot[j], k] = value
                else:
                    probe_numbers[slot[j], k] = np.nan if value is None else value
            numbers = np.concatenate((numbers, probe_numbers), axis=1)
            categories = np.concatenate((categories, probe_categories), axis=1)
        probabilities = np.asarray(self.session.run([self.probability_output], self.feeds(ModelInputs(numbers, categories)))[0])[:, 1]
        if probes:
            learned = (log_odds(probabilities[n:]) - self._baseline_log_odds).tolist()
            for (j, value), term in zip(probes, learned, strict=True):
                terms[j][value] = term
        p = probabilities[:n]
        for j in {j for j, _ in probes}:  # the columns that had values not seen before
            columns[j] = [terms[j][v] for v in keys[j]]
        return p, rank_terms(p.tolist(), columns, same)

    @cached_property
    def _slot_list(self) -> list[tuple[bool, int]]:
        categorical, slot = self._slots
        return list(zip(categorical.tolist(), slot.tolist(), strict=True))

    @cached_property
    def _terms(self) -> list[dict[Any, float]]:
        """Per feature, the contribution of each value seen so far (additive models)."""
        return [{} for _ in self.schema]

    @cached_property
    def _baseline_log_odds(self) -> float:
        assert self.baseline_inputs is not None
        return float(log_odds(np.asarray(self.session.run([self.probability_output], self.feeds(self.baseline_inputs))[0])[:, 1])[0])


def load_model(model_id: str, version: str, onnx_bytes: bytes, metadata: ModelMetadata) -> LoadedModel:
    options = ort.SessionOptions()
    # Lambda gives a scoring container about one vCPU; extra threads only add contention.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    schema = tuple(metadata.feature_types())
    names = [o.name for o in session.get_outputs()]
    probability_output = "probabilities" if "probabilities" in names else names[-1]
    converted = conversions(metadata.feature_schema)
    baselines = metadata.baselines
    # The trainer's logistic regression preprocesses each feature on its own, then a linear model and a sigmoid
    # calibration: its log-odds are additive in the features.
    additive = metadata.model_type == "logistic_regression"
    model = LoadedModel(model_id, version, schema, session, probability_output, baselines, converted, additive=additive)
    if not baselines:
        return model
    # Baselines of date features are already days: converting them is the identity, at any reference time.
    return replace(model, baseline_inputs=model.inputs([baselines], datetime.now(UTC)))
