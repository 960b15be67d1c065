"""The catalogue of Grantflow events: every subject, its message, its producer and what it means."""

from __future__ import annotations

from grantflow.events.v1 import competitions_pb2

from grantflow_runtime.events import EventSpec

COMPETITION_OPENED = EventSpec(
    subject="grantflow.competitions.opened",
    message=competitions_pb2.CompetitionOpened,
    producer="applications",
    meaning="A competition started accepting applications; carries its directions, limits and deadline.",
)

ALL: tuple[EventSpec, ...] = (COMPETITION_OPENED,)  # type: ignore[type-arg]
