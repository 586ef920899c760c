"""Run the benchmarks and print one JSON document to stdout; progress and anything else printed goes to stderr.

python -m benchmarks                  every section
python -m benchmarks scoring_speed    only the named sections (model_quality, scoring_speed, analytics_speed, cost, batch_wall_time)
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import analytics_speed, batch_wall_time, cost, model_quality, scoring_speed
from benchmarks.stdout_redirect import stdout_to

SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "model_quality": model_quality.run,
    "scoring_speed": scoring_speed.run,
    "analytics_speed": analytics_speed.run,
    "cost": cost.run,
    "batch_wall_time": batch_wall_time.run,
}


def environment() -> dict[str, Any]:
    import onnxruntime
    import skl2onnx
    import sklearn

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "environment": environment()}
    with stdout_to(sys.stderr.fileno()):  # while measuring, anything printed goes to stderr, never into the JSON
        for name in chosen:
            report[name] = SECTIONS[name]()
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["meets_target"] = all(report[name].get("meets_target", True) for name in chosen)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
