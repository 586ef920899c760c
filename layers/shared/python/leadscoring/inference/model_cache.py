"""Per-container caches: a model is loaded from S3 once per version; a tenant's config lives a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from leadscoring.inference.onnx_model import LoadedModel

T = TypeVar("T")


class ModelCache:
    """Loaded models by (client, model, version). Versions are immutable, so an entry never goes stale."""

    def __init__(self, max_models: int = 8) -> None:
        self._models: dict[tuple[str, str, str], LoadedModel] = {}
        self._max = max_models
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], load: Callable[[], LoadedModel]) -> LoadedModel:
        found = self._models.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._models.get(key)
            if found is None:
                found = load()
                if len(self._models) >= self._max:
                    self._models.pop(next(iter(self._models)))
                self._models[key] = found
            return found


class TtlCache(Generic[T]):
    """Values by key, trusted for `seconds` (0 means always re-read)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._values: dict[str, tuple[float, T]] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        now = self._clock()
        hit = self._values.get(key)
        if hit is not None and now - hit[0] < self._seconds:
            return hit[1]
        value = load()
        self._values[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        self._values.pop(key, None)
