"""The scoring function's deployed bundle (its code + the shared layer + the dependency layer) stays lean."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lambda refuses more than 250 MB unzipped; we keep a wide margin so cold starts stay short.
BUDGET_BYTES = 150 * 1024 * 1024


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def test_scoring_bundle_is_under_150_mb_unzipped() -> None:
    parts = {
        "function": ROOT / "functions" / "score",
        "shared layer": ROOT / "layers" / "shared" / "python",
        "dependency layer": ROOT / "build" / "layers" / "deps" / "python",
    }
    sizes = {name: _size(path) for name, path in parts.items()}
    assert sizes["dependency layer"] > 50 * 1024 * 1024, "the dependency layer looks unbuilt: run make layer"
    assert sum(sizes.values()) < BUDGET_BYTES, {k: round(v / 2**20, 1) for k, v in sizes.items()}
