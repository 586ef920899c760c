"""Standard output moved at the file-descriptor level, so nothing printed while measuring (a library's print,
Powertools' metric lines, a C extension's warning) reaches the one JSON document the benchmarks print."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stdout_to(fd: int) -> Iterator[None]:
    """Point file descriptor 1 (and so sys.stdout) at `fd` for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(fd, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def stdout_discarded() -> Iterator[None]:
    with open(os.devnull, "w") as devnull, stdout_to(devnull.fileno()):
        yield
