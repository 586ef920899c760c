"""Ordinary email addresses, accepted and normalised without email-validator (the slowest part of a request).

An address made of a plain ASCII dot-atom local part and a domain of letter/digit/hyphen labels ending in an
alphabetic top-level label, not a special-use domain, within the length limits, is what email-validator
accepts and returns with its domain lower-cased. Anything else (quotes, unicode, display names, punycode-like
labels) is undecided here and goes to pydantic's EmailStr, so every refusal keeps pydantic's message. The
equivalence is tested against pydantic on random addresses.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidatorFunctionWrapHandler

SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
MAX_CACHED_DOMAINS = 20_000  # a few MB at most; cleared (not evicted one by one) when full

_EMAIL = re.compile(r"([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})")


class EmailCheck:
    """Ordinary email addresses accepted and normalised as email-validator would; None when undecided."""

    def __init__(self) -> None:
        self._domains: dict[str, str | None] = {}

    def value(self, raw: Any) -> str | None:
        if type(raw) is not str:
            return None
        text = raw.strip()
        match = _EMAIL.fullmatch(text)
        if match is None or len(text) > 254 or len(match.group(1)) > 64:
            return None
        domain = match.group(2)
        normal = self._domains.get(domain, False)
        if normal is False:
            if len(self._domains) > MAX_CACHED_DOMAINS:
                self._domains.clear()
            normal = self._domains[domain] = _domain(domain)
        if normal is None:
            return None
        return text if normal == domain else f"{match.group(1)}@{normal}"


def _domain(domain: str) -> str | None:
    lowered = domain.lower()
    labels = lowered.split(".")
    if len(lowered) > 253 or any("--" in label for label in labels):  # punycode-like labels: pydantic decides
        return None
    if any(lowered == d or lowered.endswith("." + d) for d in SPECIAL_USE_DOMAINS):
        return None
    return lowered


_CHECK = EmailCheck()


def ordinary_email_first(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A WrapValidator for EmailStr: the fast check's answer when it has one, pydantic's otherwise."""
    return _CHECK.value(value) or handler(value)
