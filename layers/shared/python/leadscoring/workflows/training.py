"""The training workflow: validate data -> train -> export and verify -> evaluate -> register.

Evaluation comes after the export so the metrics stored with a version describe the very ONNX artifact that
serves (the parity gate has already proven it scores as scikit-learn does).

Every step runs in the training function (a container image: scikit-learn, scipy and onnx exceed the zip
limit). Lambda's transient errors are retried; anything else records the run's failure reason and fails.
"""

from __future__ import annotations

from typing import Any

from leadscoring.workflows.asl import failure_recorder, lambda_step

STEPS = ("validate", "train", "export", "evaluate", "register")
STATE_NAMES = {"validate": "ValidateData", "train": "Train", "evaluate": "Evaluate", "export": "ExportAndVerify", "register": "Register"}


def training_definition(train_function_arn: str) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index, step in enumerate(STEPS):
        following = STATE_NAMES[STEPS[index + 1]] if index + 1 < len(STEPS) else None
        states[STATE_NAMES[step]] = lambda_step(train_function_arn, step, following, on_error="RecordFailure")
    states["RecordFailure"] = failure_recorder(train_function_arn, then="TrainingFailed")
    states["TrainingFailed"] = {"Type": "Fail", "Error": "TrainingFailed", "Cause": "See the training run's failure reason on the model"}
    return {
        "Comment": "Train, evaluate, export (ONNX, verified) and register a lead-scoring model version",
        "StartAt": STATE_NAMES[STEPS[0]],
        "States": states,
    }
