"""The transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_runtime.context import current_request_id
from grantflow_runtime.events import EventSpec, M, cloudevent_headers, new_event_id


class Outbox:
    def __init__(self, table: Table, *, source: str) -> None:
        self.table = table
        # CloudEvents source: which service said it, for example "grantflow/applications".
        self.source = source

    async def add(self, session: AsyncSession, spec: EventSpec[M], message: M) -> str:
        """Record `message` to be published once the surrounding transaction commits; returns the event id."""
        if not isinstance(message, spec.message):
            raise TypeError(f"{spec.subject} carries {spec.type}, not {type(message).__name__}")
        event_id = new_event_id()
        now = datetime.now(UTC)
        headers = cloudevent_headers(
            spec, event_id=event_id, source=self.source, time=now, request_id=current_request_id()
        )
        await session.execute(
            insert(self.table).values(
                event_id=event_id,
                subject=spec.subject,
                event_type=spec.type,
                payload=message.SerializeToString(),
                headers=headers,
                created_at=now,
                attempts=0,
            )
        )
        return event_id
