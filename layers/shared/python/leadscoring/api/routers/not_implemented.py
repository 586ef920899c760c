"""Endpoints whose issues have not landed: an honest 501, never a fake answer."""

from __future__ import annotations

from leadscoring.domain.errors import NotImplementedYet


def not_implemented(method: str, path: str) -> NotImplementedYet:
    return NotImplementedYet(f"{method} {path} is not implemented yet", [{"field": None, "message": "see README: not yet implemented"}])
