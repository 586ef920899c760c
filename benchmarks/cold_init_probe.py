"""One cold start, run in a fresh interpreter by scoring_speed: `python cold_init_probe.py MODE MODEL_DIR`.

Prints one JSON object of seconds, measured from this file's first line (interpreter start-up is the same
for every mode and is timed by the parent as the process's wall time).

MODE
- function-onnx: the score function as deployed: import functions/score/app.py (which brings onnxruntime),
  then read model.onnx + metadata.json from MODEL_DIR and `load_model` them.
- function-sklearn: the same function serving the fitted scikit-learn pipeline instead: import
  functions/score/app.py with onnxruntime kept out (a stub module, so its import costs nothing), then
  `import sklearn` and `pickle.load` model.pkl (which imports the estimator modules it needs).
- runtime-onnx / runtime-sklearn: the model runtime alone, without the function: `import onnxruntime` +
  InferenceSession, or `import sklearn` + `pickle.load`.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import importlib.util  # noqa: E402  # timed from before any import
import json  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def import_score_function() -> Any:
    spec = importlib.util.spec_from_file_location("functions.score.app", ROOT / "functions" / "score" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_onnx(model_dir: Path) -> Any:
    from leadscoring.inference.onnx_model import load_model
    from leadscoring.schemas.model_metadata import ModelMetadata

    metadata = ModelMetadata.from_json((model_dir / "metadata.json").read_bytes())  # as the registry reads it
    return load_model("cold", "1", (model_dir / "model.onnx").read_bytes(), metadata)


def load_onnx_session(model_dir: Path) -> Any:
    """The session alone, set up as load_model sets it up (one thread), without importing the product package."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession((model_dir / "model.onnx").read_bytes(), sess_options=options, providers=["CPUExecutionProvider"])


def load_pickle(model_dir: Path) -> Any:
    with (model_dir / "model.pkl").open("rb") as f:
        return pickle.load(f)  # noqa: S301  # the benchmark's own file, written by the parent


def main(mode: str, model_dir: Path) -> dict[str, float]:
    marks: dict[str, float] = {}
    if mode == "function-onnx":
        import_score_function()
        marks["function_imports"] = time.perf_counter()
        load_onnx(model_dir)
        marks["model_load"] = time.perf_counter()
    elif mode == "function-sklearn":
        sys.modules["onnxruntime"] = types.ModuleType("onnxruntime")  # the function's other imports, without onnxruntime
        import_score_function()
        marks["function_imports"] = time.perf_counter()
        importlib.import_module("sklearn")
        marks["runtime_import"] = time.perf_counter()
        load_pickle(model_dir)
        marks["model_load"] = time.perf_counter()
    elif mode == "runtime-onnx":
        importlib.import_module("onnxruntime")
        marks["runtime_import"] = time.perf_counter()
        load_onnx_session(model_dir)
        marks["model_load"] = time.perf_counter()
    elif mode == "runtime-sklearn":
        importlib.import_module("sklearn")
        marks["runtime_import"] = time.perf_counter()
        load_pickle(model_dir)
        marks["model_load"] = time.perf_counter()
    else:
        raise SystemExit(f"unknown mode {mode}")
    out, previous = {}, STARTED
    for name, at in marks.items():
        out[name] = at - previous
        previous = at
    out["total"] = previous - STARTED
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
