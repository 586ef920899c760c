"""The README is a contract: its endpoint table is the route table (method, path, function, roles, public)."""

import re
from pathlib import Path

from leadscoring.routes import ALL_ROLES, ROUTES, Role

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \| (\w+) \| ([a-z, ]+) \| (.+) \|$", flags=re.MULTILINE)


PUBLIC = "anyone, no key"


def _roles(cell: str) -> frozenset[Role]:
    if cell in ("all", PUBLIC):
        return ALL_ROLES
    return frozenset(Role(name.strip()) for name in cell.split(","))


def test_the_endpoint_table_is_the_route_table() -> None:
    section = README.read_text().split("## Endpoints", 1)[1].split("\n## ", 1)[0]
    rows = ROW.findall(section)
    listed = [(method, path, function, _roles(roles), roles == PUBLIC) for method, path, function, roles, _ in rows]
    assert listed == [(r.method, r.path, r.function, r.roles, r.public) for r in ROUTES]
    assert all(what.strip() for *_, what in rows)  # each says what it does


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
