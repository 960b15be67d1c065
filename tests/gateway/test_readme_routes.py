"""The README's route table is the route table: `make readme` rewrites it, this test notices drift."""

from __future__ import annotations

import re
from pathlib import Path

from grantflow_gateway.routes import ROUTES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_route_with_its_roles() -> None:
    listed = set(
        re.findall(r"^\| ([A-Z]+) \| `(/v1/[^`]+)` \| ([a-z, ]+) \|", README.read_text(), re.M)
    )
    assert listed == {
        (r.method, r.path, ", ".join(sorted(role.value for role in r.roles))) for r in ROUTES
    }
