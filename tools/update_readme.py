"""Rewrite the README's generated tables (configuration settings, event catalogue, HTTP routes) from the code.
The tests fail when they drift; run `make readme` to bring them back."""

from __future__ import annotations

import sys
from pathlib import Path

from grantflow_gateway.routes import ROUTES
from grantflow_runtime.catalogue import ALL
from grantflow_runtime.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_table() -> str:
    rows = [f"| `{s.name}` | `{s.default}` | {s.meaning} |" for s in SETTINGS]
    return "\n".join(["| setting | default | meaning |", "|---|---|---|", *rows])


def events_table() -> str:
    rows = [f"| `{e.subject}` | `{e.type}` | {e.producer} | {e.meaning} |" for e in ALL]
    return "\n".join(["| subject | message | producer | meaning |", "|---|---|---|---|", *rows])


def routes_table() -> str:
    rows = [
        f"| {r.method} | `{r.path}` | {', '.join(sorted(role.value for role in r.roles))} "
        f"| {r.summary} |"
        for r in ROUTES
    ]
    return "\n".join(["| method | path | roles | what it does |", "|---|---|---|---|", *rows])


def replace_table(text: str, header: str, table: str) -> str:
    start = text.index(header)
    end = text.find("\n\n", start)
    return text[:start] + table + (text[end:] if end != -1 else "\n")


def main() -> int:
    text = README.read_text()
    text = replace_table(text, "| setting | default | meaning |", settings_table())
    text = replace_table(text, "| subject | message | producer | meaning |", events_table())
    text = replace_table(text, "| method | path | roles | what it does |", routes_table())
    README.write_text(text)
    print("README tables updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
