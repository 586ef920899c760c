"""What a JSON body may be before anything parses it: nested at most MAX_DEPTH deep, no number over MAX_DIGITS digits.

Python's json (Powertools' parser) recurses once per level and fails with RecursionError near 1,000 levels, and
pydantic's parser gives up at 200; reading an integer of more than 4,300 digits is a ValueError (CPython's limit
on int-from-text, which is quadratic). Both would be 500s, so every body is checked here first, from its text:
strings are blanked out (brackets and digits inside them are text), then the brackets are counted and the digit
runs measured. A body that cannot nest that deep or hold such a number (most: fewer brackets than the bound, or
shorter than a long number) costs two counts and a length.
"""

from __future__ import annotations

import re
import sys
from itertools import accumulate

from leadscoring.domain.errors import MalformedRequest

MAX_DEPTH = 64  # the API's deepest body (a batch's lead's attributes' family) is 5
MAX_DIGITS = min(4300, sys.get_int_max_str_digits() or 4300)  # the longest integer json.loads reads

_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)  # a JSON string, escapes and all, without backtracking
_LONG_NUMBER = re.compile(f"(?<![0-9])[0-9]{{{MAX_DIGITS + 1}}}")  # from the start of a run: linear time
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def check_json_text(text: str) -> None:
    """Raise MalformedRequest if the text nests deeper than MAX_DEPTH or holds a number of over MAX_DIGITS digits."""
    may_nest = text.count("[") + text.count("{") > MAX_DEPTH
    may_overflow = len(text) > MAX_DIGITS and _LONG_NUMBER.search(text) is not None
    if not (may_nest or may_overflow):
        return
    outside_strings = _STRING.sub('""', text)
    if may_overflow and _LONG_NUMBER.search(outside_strings):
        raise MalformedRequest(
            f"A number in the request body has more than {MAX_DIGITS} digits",
            [{"field": "body", "message": f"a number of more than {MAX_DIGITS} digits", "type": "number_too_long"}],
        )
    if may_nest:
        brackets = _NOT_BRACKET.sub("", outside_strings)
        if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
            raise MalformedRequest(
                f"The request body is nested more than {MAX_DEPTH} levels deep",
                [{"field": "body", "message": f"nested more than {MAX_DEPTH} levels deep", "type": "json_too_deep"}],
            )
