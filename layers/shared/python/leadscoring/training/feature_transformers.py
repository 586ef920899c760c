"""The scikit-learn transformers behind `transformations.py`, each with a small registered skl2onnx converter.

scikit-learn's FunctionTransformer has no ONNX converter, and OneHotEncoder's converter does not handle
infrequent categories on a single input, so the steps that need it are small transformers of our own. Each
computes in float32, as onnxruntime does, so the exported model scores as scikit-learn does. Importing this
module registers the converters.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from onnx import TensorProto
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.operator_converters.multilayer_perceptron import convert_sklearn_mlp_classifier
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_sample_weight

OTHER_CATEGORY = "__other__"


def _floats(X: Any) -> np.ndarray:
    return np.asarray(X, dtype=np.float32).reshape(len(X), -1)


class _Elementwise(TransformerMixin, BaseEstimator):
    """A stateless float32 column transformation; subclasses define `_apply`."""

    def fit(self, X: Any, y: Any = None) -> _Elementwise:
        self.n_features_in_ = _floats(X).shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        return self._apply(_floats(X))

    def _apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def output_width(self) -> int:
        return int(self.n_features_in_)


class SymmetricLog1p(_Elementwise):
    """sign(x) * log(1 + |x|)."""

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return (np.sign(x) * np.log1p(np.abs(x))).astype(np.float32)


class Clip(_Elementwise):
    def __init__(self, lower: float = -np.inf, upper: float = np.inf) -> None:
        self.lower = lower
        self.upper = upper

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, np.float32(self.lower), np.float32(self.upper)).astype(np.float32)


class Bucketize(_Elementwise):
    """One indicator per bound, x >= bound: with a linear model, a piecewise-constant effect."""

    def __init__(self, bounds: tuple[float, ...] = ()) -> None:
        self.bounds = bounds

    def _apply(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] != 1:
            raise ValueError("Bucketize takes one column")
        return (x >= np.asarray(self.bounds, dtype=np.float32)[None, :]).astype(np.float32)

    def output_width(self) -> int:
        return len(self.bounds)


class FeatureWeight(_Elementwise):
    """Multiplies a feature's columns by its weight (a prior on its influence; see transformations.py)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return (x * np.float32(self.weight)).astype(np.float32)


class CategoryOneHot(TransformerMixin, BaseEstimator):
    """One column per category seen at least `min_frequency` times, plus one shared 'other' column.

    Rare categories and categories never seen in training all land in 'other', in scikit-learn and ONNX alike.
    The most common category is always kept, so there is at least one named column.
    """

    def __init__(self, min_frequency: int = 1) -> None:
        self.min_frequency = min_frequency

    def fit(self, X: Any, y: Any = None) -> CategoryOneHot:
        values = self._strings(X)
        counts = Counter(values)
        kept = sorted(c for c, n in counts.items() if n >= self.min_frequency)
        if not kept and counts:
            kept = [counts.most_common(1)[0][0]]
        self.categories_ = kept
        self.n_features_in_ = 1
        return self

    @staticmethod
    def _strings(X: Any) -> list[str]:
        array = np.asarray(X, dtype=object).reshape(len(X), -1)
        if array.shape[1] != 1:
            raise ValueError("CategoryOneHot takes one column")
        return [str(v) for v in array[:, 0]]

    def transform(self, X: Any) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.categories_)}
        other = len(self.categories_)
        positions = np.fromiter((index.get(v, other) for v in self._strings(X)), dtype=np.int64, count=len(X))
        out = np.zeros((len(positions), other + 1), dtype=np.float32)
        out[np.arange(len(positions)), positions] = 1.0
        return out

    def output_width(self) -> int:
        return len(self.categories_) + 1

    def column_names(self) -> list[str]:
        return [*self.categories_, OTHER_CATEGORY]


class WeightedMLPClassifier(MLPClassifier):
    """MLPClassifier with `class_weight`, applied as sample weights (MLPClassifier has no such parameter)."""

    _parameter_constraints: dict = {**MLPClassifier._parameter_constraints, "class_weight": [dict, str, None]}

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 0.0001,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-08,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        class_weight: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> WeightedMLPClassifier:
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = weights if sample_weight is None else np.asarray(sample_weight) * weights
        super().fit(X, y, sample_weight=sample_weight)
        return self


# --- ONNX converters -------------------------------------------------------------------------------------


def _shape(operator: Any) -> None:
    operator.outputs[0].type = FloatTensorType([operator.inputs[0].get_first_dimension(), operator.raw_operator.output_width()])


def _const(scope: Any, container: Any, seed: str, values: Any, onnx_type: int = TensorProto.FLOAT) -> str:
    name = scope.get_unique_variable_name(seed)
    array = np.asarray(values)
    container.add_initializer(name, onnx_type, list(array.shape), array.flatten().tolist())
    return str(name)


def _float_input(scope: Any, operator: Any, container: Any) -> str:
    """The operator's input as float32 (booleans and doubles are cast)."""
    source = operator.inputs[0].full_name
    cast = scope.get_unique_variable_name("as_float")
    container.add_node("Cast", [source], [cast], name=scope.get_unique_operator_name("Cast"), to=TensorProto.FLOAT)
    return str(cast)


def _node(scope: Any, container: Any, op: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
    out = output or scope.get_unique_variable_name(op.lower())
    container.add_node(op, inputs, [out], name=scope.get_unique_operator_name(op), **attrs)
    return str(out)


def _convert_log1p(scope: Any, operator: Any, container: Any) -> None:
    x = _float_input(scope, operator, container)
    one = _const(scope, container, "one", np.float32(1.0))
    log = _node(scope, container, "Log", [_node(scope, container, "Add", [_node(scope, container, "Abs", [x]), one])])
    _node(scope, container, "Mul", [_node(scope, container, "Sign", [x]), log], operator.outputs[0].full_name)


def _convert_clip(scope: Any, operator: Any, container: Any) -> None:
    model = operator.raw_operator
    x = _float_input(scope, operator, container)
    lo = _const(scope, container, "lower", np.float32(model.lower))
    hi = _const(scope, container, "upper", np.float32(model.upper))
    _node(scope, container, "Clip", [x, lo, hi], operator.outputs[0].full_name)


def _convert_bucketize(scope: Any, operator: Any, container: Any) -> None:
    model = operator.raw_operator
    x = _float_input(scope, operator, container)
    bounds = _const(scope, container, "bounds", np.asarray(model.bounds, dtype=np.float32))
    above = _node(scope, container, "GreaterOrEqual", [x, bounds])
    _node(scope, container, "Cast", [above], operator.outputs[0].full_name, to=TensorProto.FLOAT)


def _convert_weight(scope: Any, operator: Any, container: Any) -> None:
    x = _float_input(scope, operator, container)
    weight = _const(scope, container, "weight", np.float32(operator.raw_operator.weight))
    _node(scope, container, "Mul", [x, weight], operator.outputs[0].full_name)


def _convert_category_one_hot(scope: Any, operator: Any, container: Any) -> None:
    model = operator.raw_operator
    width = model.output_width()
    index = scope.get_unique_variable_name("category_index")
    container.add_node(
        "LabelEncoder",
        [operator.inputs[0].full_name],
        [index],
        name=scope.get_unique_operator_name("LabelEncoder"),
        op_domain="ai.onnx.ml",
        op_version=2,
        keys_strings=list(model.categories_),
        values_int64s=list(range(width - 1)),
        default_int64=width - 1,
    )
    positions = _const(scope, container, "positions", np.arange(width, dtype=np.int64), TensorProto.INT64)
    hit = _node(scope, container, "Equal", [index, positions])
    _node(scope, container, "Cast", [hit], operator.outputs[0].full_name, to=TensorProto.FLOAT)


_CONVERTERS = {
    SymmetricLog1p: _convert_log1p,
    Clip: _convert_clip,
    Bucketize: _convert_bucketize,
    FeatureWeight: _convert_weight,
    CategoryOneHot: _convert_category_one_hot,
}
for _cls, _convert in _CONVERTERS.items():
    update_registered_converter(_cls, f"Leadscoring{_cls.__name__}", _shape, _convert)

update_registered_converter(
    WeightedMLPClassifier,
    "LeadscoringWeightedMLPClassifier",
    calculate_linear_classifier_output_shapes,
    convert_sklearn_mlp_classifier,
    options={"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]},
)
