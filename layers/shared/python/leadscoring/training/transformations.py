"""Feature transformations as tenants write them, parsed and checked without scikit-learn.

`ScoringFeature.transformation` is a chain of steps separated by `|`, applied left to right:

    "impute(median) | log1p | clip(0, 8) | standardize"

| step                        | features               | what it does                                                      |
|-----------------------------|------------------------|-------------------------------------------------------------------|
| `days_since`                | numerical (first step) | the value is an ISO date; the model sees the days before a         |
|                             |                        | reference date (converted before the model, see                   |
|                             |                        | `leadscoring.domain.feature_values`)                               |
| `impute(S)`                 | numerical, boolean     | fill gaps; S is `median`, `mean`, `zero` or `constant:X`          |
| `log1p`                     | numerical              | sign(x)·log(1+|x|): compresses long tails, keeps negatives ordered |
| `clip(lo, hi)`              | numerical              | bounds the value (`inf`/`-inf` leave a side open)                  |
| `standardize`               | numerical, boolean     | (x - mean) / std, learnt on the training split                     |
| `bucketize(b1, b2, ...)`    | numerical (last step)  | one indicator per bound, x >= b_i: a piecewise-constant effect    |
| `one_hot(min_frequency=N)`  | categorical            | one column per category seen at least N times in training; rarer  |
|                             |                        | and unseen categories share one "other" column                    |

Every numerical and boolean feature is imputed first (`impute(median)` for numbers and `impute(mean)` for
booleans when none is given: models take no gaps). Categorical features are one-hot encoded (`one_hot`
when none is given, with min_frequency = min(10, 1% of the training rows)); a missing category is its own
value (`MISSING_CATEGORY`). The model family then completes the chain: linear models and neural networks
get a final `standardize` unless the chain already standardizes or ends in `bucketize` (so every column is on
one scale and the weights below mean something); tree ensembles drop `standardize` (a tree's splits do not
change under a monotone rescaling, and the tree then sees the exact float32 value scoring sends).

Feature weights (`ScoringFeature.weight`, 0-10) are priors on a feature's influence, not decoration:
- linear models and neural networks: the feature's transformed columns are multiplied by its weight before
  the model. Under L2 regularisation (logistic regression's C, the network's alpha) a column scaled by w can
  reach the same effect with a coefficient w times smaller, i.e. at 1/w² of the penalty: weight 2 doubles
  the feature's prior influence, weight 0.5 halves it. The data can still overrule a prior.
- tree ensembles: splits are invariant to scaling, so only weight 0 has an effect.
- weight 0, any model: the feature is left out of the model entirely (it is not an input of the ONNX model).

An unknown step, a step that does not fit the feature's type, or a misplaced step raises
`InvalidFeatureDefinition`, naming the feature. `parse_transformation` is what an API validates with.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from leadscoring.domain.errors import InvalidInput
from leadscoring.schemas.model import FeatureType, ScoringFeature

StepName = Literal["days_since", "impute", "log1p", "clip", "standardize", "bucketize", "one_hot"]
ModelFamily = Literal["linear", "neural", "tree"]
ImputeStrategy = Literal["median", "mean", "constant"]

STEPS: dict[str, tuple[FeatureType, ...]] = {
    "days_since": ("numerical",),
    "impute": ("numerical", "boolean"),
    "log1p": ("numerical",),
    "clip": ("numerical",),
    "standardize": ("numerical", "boolean"),
    "bucketize": ("numerical",),
    "one_hot": ("categorical",),
}
DEFAULT_MAX_MIN_FREQUENCY = 10

_STEP = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


class InvalidFeatureDefinition(InvalidInput, ValueError):
    """A feature definition the trainer cannot compile; the message names the feature."""

    code = "INVALID_FEATURE_DEFINITION"

    def __init__(self, feature: str, problem: str) -> None:
        super().__init__(
            f"Feature '{feature}': {problem}",
            [{"field": f"features.{feature}.transformation", "message": problem, "type": "invalid_transformation"}],
        )
        self.feature = feature


@dataclass(frozen=True)
class Step:
    name: StepName
    # impute: strategy and fill value; clip: (lo, hi); bucketize: bounds; one_hot: min_frequency (None: adaptive)
    strategy: ImputeStrategy | None = None
    fill_value: float | None = None
    bounds: tuple[float, ...] = ()
    min_frequency: int | None = None

    def text(self) -> str:
        if self.name == "impute":
            what = f"constant:{self.fill_value:g}" if self.strategy == "constant" else self.strategy
            return f"impute({what})"
        if self.name == "clip":
            return f"clip({self.bounds[0]:g},{self.bounds[1]:g})"
        if self.name == "bucketize":
            return "bucketize(" + ",".join(f"{b:g}" for b in self.bounds) + ")"
        if self.name == "one_hot":
            return "one_hot" if self.min_frequency is None else f"one_hot(min_frequency={self.min_frequency})"
        return self.name


@dataclass(frozen=True)
class FeaturePlan:
    """What the model family will actually do with one feature, in order."""

    name: str
    type: FeatureType
    weight: float
    steps: tuple[Step, ...]
    converted_input: Literal["days_since"] | None = None
    notes: tuple[str, ...] = field(default=())

    def text(self) -> str:
        return " | ".join(s.text() for s in self.steps)


def _number(feature: str, text: str, step: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidFeatureDefinition(feature, f"{step}: '{text.strip()}' is not a number") from None
    if math.isnan(value):
        raise InvalidFeatureDefinition(feature, f"{step}: NaN is not a valid bound")
    return value


def _parse_step(feature: str, ftype: FeatureType, raw: str) -> Step:
    match = _STEP.match(raw)
    if not match:
        raise InvalidFeatureDefinition(feature, f"cannot read transformation step '{raw.strip()}'")
    name, args = match.group(1), match.group(2)
    if name not in STEPS:
        known = ", ".join(STEPS)
        raise InvalidFeatureDefinition(feature, f"unknown transformation '{name}' (known: {known})")
    if ftype not in STEPS[name]:
        allowed = " or ".join(STEPS[name])
        raise InvalidFeatureDefinition(feature, f"'{name}' applies to {allowed} features, not {ftype}")
    parts = [p.strip() for p in args.split(",")] if args is not None and args.strip() else []
    if name in ("days_since", "log1p", "standardize"):
        if parts:
            raise InvalidFeatureDefinition(feature, f"'{name}' takes no arguments")
        return Step(name)  # type: ignore[arg-type]
    if name == "impute":
        if len(parts) != 1:
            raise InvalidFeatureDefinition(feature, "impute takes one strategy: median, mean, zero or constant:X")
        what = parts[0]
        if what in ("median", "mean"):
            return Step("impute", strategy=what)  # type: ignore[arg-type]
        if what == "zero":
            return Step("impute", strategy="constant", fill_value=0.0)
        if what.startswith("constant:"):
            value = _number(feature, what.removeprefix("constant:"), "impute")
            if not math.isfinite(value):
                raise InvalidFeatureDefinition(feature, "impute: the constant must be finite")
            return Step("impute", strategy="constant", fill_value=value)
        raise InvalidFeatureDefinition(feature, f"unknown impute strategy '{what}' (median, mean, zero or constant:X)")
    if name == "clip":
        if len(parts) != 2:
            raise InvalidFeatureDefinition(feature, "clip takes two bounds: clip(lo, hi)")
        lo, hi = _number(feature, parts[0], "clip"), _number(feature, parts[1], "clip")
        if lo >= hi:
            raise InvalidFeatureDefinition(feature, f"clip: the lower bound {lo:g} must be below the upper bound {hi:g}")
        return Step("clip", bounds=(lo, hi))
    if name == "bucketize":
        bounds = tuple(_number(feature, p, "bucketize") for p in parts)
        if not bounds:
            raise InvalidFeatureDefinition(feature, "bucketize needs at least one bound: bucketize(b1, b2, ...)")
        if any(not math.isfinite(b) for b in bounds):
            raise InvalidFeatureDefinition(feature, "bucketize: bounds must be finite")
        if any(a >= b for a, b in itertools.pairwise(bounds)):
            raise InvalidFeatureDefinition(feature, "bucketize: bounds must be strictly increasing")
        return Step("bucketize", bounds=bounds)
    # one_hot
    if not parts:
        return Step("one_hot")
    if len(parts) != 1 or not re.fullmatch(r"min_frequency\s*=\s*\d+", parts[0]):
        raise InvalidFeatureDefinition(feature, "one_hot takes min_frequency=N (a whole number), e.g. one_hot(min_frequency=10)")
    frequency = int(parts[0].split("=")[1])
    if frequency < 1:
        raise InvalidFeatureDefinition(feature, "one_hot: min_frequency must be at least 1")
    return Step("one_hot", min_frequency=frequency)


def parse_transformation(feature: ScoringFeature) -> tuple[Step, ...]:
    """The feature's steps as written, checked for type and order; raises InvalidFeatureDefinition."""
    text = (feature.transformation or "").strip()
    if not text:
        return ()
    steps = tuple(_parse_step(feature.name, feature.type, raw) for raw in text.split("|"))
    names = [s.name for s in steps]
    for name in set(names):
        if names.count(name) > 1:
            raise InvalidFeatureDefinition(feature.name, f"'{name}' appears more than once")
    if "days_since" in names and names[0] != "days_since":
        raise InvalidFeatureDefinition(feature.name, "days_since must be the first step (it turns the date into a number)")
    if "impute" in names and names.index("impute") != (1 if names[0] == "days_since" else 0):
        raise InvalidFeatureDefinition(feature.name, "impute must come first (after days_since): later steps take no gaps")
    if "bucketize" in names and names[-1] != "bucketize":
        raise InvalidFeatureDefinition(feature.name, "bucketize must be the last step (its output is indicators)")
    return steps


def default_min_frequency(training_rows: int) -> int:
    """one_hot without an argument: 10, or 1% of the training rows on small data sets (at least 1)."""
    return max(1, min(DEFAULT_MAX_MIN_FREQUENCY, training_rows // 100))


def plan_feature(feature: ScoringFeature, family: ModelFamily) -> FeaturePlan:
    """The steps a model family runs for a feature: the tenant's chain, completed as the module docstring says."""
    steps = list(parse_transformation(feature))
    notes: list[str] = []
    converted: Literal["days_since"] | None = None
    if steps and steps[0].name == "days_since":
        converted = "days_since"
        steps = steps[1:]
    if feature.type == "categorical":
        if not steps:
            steps = [Step("one_hot")]
    else:
        if not steps or steps[0].name != "impute":
            strategy: ImputeStrategy = "mean" if feature.type == "boolean" else "median"
            steps.insert(0, Step("impute", strategy=strategy))
        names = [s.name for s in steps]
        if family == "tree":
            if "standardize" in names:
                notes.append("standardize skipped: tree splits do not change under rescaling")
            steps = [s for s in steps if s.name != "standardize"]
        elif "standardize" not in names and names[-1] != "bucketize":
            steps.append(Step("standardize"))
    if family == "tree" and feature.weight not in (0.0, 1.0):
        notes.append("weight has no effect on tree splits (only weight 0, which drops the feature)")
    return FeaturePlan(feature.name, feature.type, feature.weight, tuple(steps), converted, tuple(notes))


def validate_features(features: Sequence[ScoringFeature]) -> None:
    """Raise InvalidFeatureDefinition for the first feature whose transformation does not parse."""
    for feature in features:
        parse_transformation(feature)
