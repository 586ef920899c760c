"""The README is a contract: it must list exactly the endpoints that still answer 501."""

import re
from pathlib import Path

from leadscoring.routes import ROUTES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_exactly_the_unimplemented_endpoints():
    text = README.read_text()
    section = text.split("### Not yet implemented", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- `(GET|POST|PUT|DELETE) ([^`]+)`", section, flags=re.MULTILINE))
    assert listed == {(r.method, r.path) for r in ROUTES if not r.implemented}


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
