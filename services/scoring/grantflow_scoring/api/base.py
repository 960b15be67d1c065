"""What every group of scoring's gRPC methods shares: wiring, and loading a panel the caller runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from grantflow_runtime.idempotency import IdempotencyStore
from grantflow_runtime.outbox import Outbox
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.experts_repo import Expert, ExpertRepository
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.domain.panels import Panel

Clock = Callable[[], datetime]
TRUSTED = (Role.ADMIN, Role.SYSTEM)


def utcnow() -> datetime:
    return datetime.now(UTC)


def required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required", "required")])
    return value


def runs(who: Identity, panel: Panel) -> bool:
    return who.role in TRUSTED or (who.role is Role.FUNDER and panel.owner == who.subject)


class Methods:
    def __init__(
        self, db: Database, outbox: Outbox, idempotency: IdempotencyStore, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.idempotency = idempotency
        self.clock = clock

    async def _run_panel(
        self,
        session: AsyncSession,
        who: Identity,
        competition_id: str,
        *,
        for_update: bool = False,
        field: str = "competition_id",
    ) -> Panel:
        """The panel, if `who` runs it; a panel of someone else's competition answers like a missing one.
        `field` names where the request carries the id, for the violation when it is missing."""
        panel = await PanelRepository(session).get(
            required(competition_id, field), for_update=for_update
        )
        if panel is None or not runs(who, panel):
            raise NotFound(f"no panel for competition {competition_id}")
        return panel

    async def _expert_of(self, session: AsyncSession, who: Identity) -> Expert:
        """The expert record of an expert caller."""
        expert = await ExpertRepository(session).by_subject(who.subject)
        if expert is None or (who.expert_id and who.expert_id != expert.id):
            raise PermissionDenied("the caller is not a registered expert")
        return expert
