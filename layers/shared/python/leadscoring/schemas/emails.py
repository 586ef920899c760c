"""Ordinary email addresses, accepted and normalised without email-validator (the slowest part of a request).

An address made of a plain ASCII dot-atom local part and a domain of letter/digit/hyphen labels ending in an
alphabetic top-level label, not a special-use domain, within the length limits, is what email-validator
accepts and returns with its domain lower-cased. Anything else (quotes, unicode, display names, punycode-like
labels) is undecided here and goes to pydantic's own check, the one behind EmailStr, so every refusal keeps
pydantic's message. email-validator is imported then, on first use, not at every cold start. The equivalence
is tested against EmailStr on random addresses.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email

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


def _email(value: str) -> str:
    """The fast check's answer when it has one, EmailStr's otherwise (same normal form, same errors)."""
    return _CHECK.value(value) or validate_email(value)[1]


# pydantic's EmailStr, as it validates and documents itself, with ordinary addresses decided first.
Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]
