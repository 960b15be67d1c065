"""The one Alembic environment every service shares; each service brings its metadata and versions."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

config = context.config
target_metadata = config.attributes["target_metadata"]
connection: Connection | None = config.attributes.get("connection")


def _render_item(kind: str, obj: Any, _: AutogenContext) -> str | Literal[False]:
    # Migrations name the stored type, not our Python-side decorator, so they never import app code.
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        # SQLite can only ALTER by copying a table; batch mode does that where needed.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is None:
    raise RuntimeError(
        "run migrations through grantflow_runtime.migrations, which passes a connection"
    )
_run(connection)
