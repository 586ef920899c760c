"""Batch files, pure: naming keys, reading a file's header from its first bytes, writing results and error files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from leadscoring.domain.errors import InvalidInput

SAMPLE_BYTES = 64 * 1024  # read to check a file's header; also the basis of the row estimate
MAX_FILE_BYTES = 512 * 1024 * 1024  # ~2 million typical rows; Finalize assembles the results file in memory
RESULT_COLUMNS = ("row", "lead_id", "external_id", "score", "qualified", "priority", "grade")
ERROR_COLUMNS = ("row", "field", "message", "type")
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl"}


def relative_key(key: str, field: str = "file.key") -> str:
    """A key relative to the caller's own folder; '..' and absolute keys cannot leave it."""
    parts = key.split("/")
    if key.startswith("/") or ".." in parts or "" in parts or any(c in key for c in "\\\x00"):
        raise InvalidInput(
            "The file key must be a path inside your own folder",
            [{"field": field, "message": "no leading /, '..' or empty parts", "type": "value_error"}],
        )
    return key


def job_folder(job_id: str) -> str:
    return f"batch-jobs/{job_id}"


def _text(sample: bytes, truncated: bool) -> str:
    if b"\x00" in sample:
        raise _not_text()
    sample = sample.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not part of the header
    try:
        return sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A ranged read may cut a multi-byte character at its end; anything earlier is not UTF-8 text.
        if truncated and exc.start >= len(sample) - 3:
            return sample[: exc.start].decode("utf-8")
        raise _not_text() from exc


def _not_text() -> InvalidInput:
    return InvalidInput(
        "The file is not a UTF-8 text CSV or JSONL file",
        [{"field": "file.format", "message": "not a CSV/JSONL text file", "type": "file_format"}],
    )


def file_columns(sample: bytes, file_format: str, truncated: bool) -> list[str]:
    """The columns a file declares: a CSV's header row, or the keys of a JSONL file's first object.
    InvalidInput when the sample is not that format."""
    text = _text(sample, truncated)
    lines = text.splitlines()
    complete = lines if not truncated else lines[:-1]  # the last line of a partial read may be cut
    first = next((line for line in complete if line.strip()), None)
    if first is None:
        message = "the first line is longer than 64 KiB" if truncated else "the file is empty"
        raise InvalidInput(f"Cannot read the file's first line: {message}", [{"field": "file", "message": message, "type": "file_format"}])
    if file_format == "csv":
        header = next(csv.reader([first]))
        return header  # as ItemReader will name the values: " source " is not "source"
    try:
        obj = json.loads(first)
    except ValueError as exc:
        raise InvalidInput(
            "The file is not JSONL: its first line is not a JSON object",
            [{"field": "file.format", "message": "the first line is not a JSON object", "type": "file_format"}],
        ) from exc
    if not isinstance(obj, dict):
        raise InvalidInput(
            "The file is not JSONL: its first line is not a JSON object",
            [{"field": "file.format", "message": "each line must be a JSON object", "type": "file_format"}],
        )
    return [str(key) for key in obj]


def estimate_rows(sample: bytes, size: int, file_format: str, truncated: bool) -> int:
    """Data rows in the whole file, estimated from the lines of its first bytes (for progress only)."""
    lines = sample.splitlines(keepends=True)
    if truncated:
        lines = lines[:-1]
    header = 1 if file_format == "csv" else 0
    data = [line for line in lines[header:] if line.strip()]
    if not truncated:
        return len(data)
    if not data:
        return 1
    header_bytes = sum(len(line) for line in lines[:header])
    average = sum(len(line) for line in data) / len(data)
    return max(1, round((size - header_bytes) / average))


def csv_lines(rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV text of rows: None is an empty cell, booleans are true/false."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def contiguous_runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """(start, stop) positions of the runs of consecutive values in `indexes` (ItemBatcher keeps file order,
    but a chunk is never assumed to be one run)."""
    runs: list[tuple[int, int]] = []
    start = 0
    for n in range(1, len(indexes) + 1):
        if n == len(indexes) or indexes[n] != indexes[n - 1] + 1:
            runs.append((start, n))
            start = n
    return runs


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
