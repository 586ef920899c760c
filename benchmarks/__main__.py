"""Run every benchmark and print one JSON document to stdout (progress goes to stderr)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks import model_quality


def environment() -> dict[str, Any]:
    import onnxruntime
    import skl2onnx
    import sklearn

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def main() -> int:
    started = time.perf_counter()
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "environment": environment()}
    report["model_quality"] = model_quality.run()
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["meets_target"] = all(section.get("meets_target", True) for section in (report["model_quality"],))
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
