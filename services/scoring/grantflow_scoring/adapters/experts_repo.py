"""Experts and their declared conflicts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.tables import (
    ConflictRow,
    ExpertAffiliationRow,
    ExpertDirectionRow,
    ExpertRow,
)
from grantflow_scoring.domain.conflicts import DeclaredConflict


@dataclass(frozen=True)
class Expert:
    id: str
    subject: str
    display_name: str
    direction_codes: tuple[str, ...]
    region_code: str
    affiliation_inns: tuple[str, ...]
    max_load: int
    active: bool
    created_at: datetime
    updated_at: datetime


class ExpertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _assemble(self, rows: Sequence[ExpertRow]) -> list[Expert]:
        ids = [r.id for r in rows]
        directions: dict[str, list[str]] = defaultdict(list)
        affiliations: dict[str, list[str]] = defaultdict(list)
        if ids:
            for expert_id, code in await self.session.execute(
                select(ExpertDirectionRow.expert_id, ExpertDirectionRow.direction_code)
                .where(ExpertDirectionRow.expert_id.in_(ids))
                .order_by(ExpertDirectionRow.direction_code)
            ):
                directions[expert_id].append(code)
            for expert_id, inn in await self.session.execute(
                select(ExpertAffiliationRow.expert_id, ExpertAffiliationRow.inn)
                .where(ExpertAffiliationRow.expert_id.in_(ids))
                .order_by(ExpertAffiliationRow.inn)
            ):
                affiliations[expert_id].append(inn)
        return [
            Expert(
                id=r.id,
                subject=r.subject,
                display_name=r.display_name,
                direction_codes=tuple(directions[r.id]),
                region_code=r.region_code,
                affiliation_inns=tuple(affiliations[r.id]),
                max_load=r.max_load,
                active=r.active,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    async def get(self, expert_id: str) -> Expert | None:
        row = await self.session.get(ExpertRow, expert_id)
        return None if row is None else (await self._assemble([row]))[0]

    async def by_subject(self, subject: str) -> Expert | None:
        row = (
            await self.session.execute(select(ExpertRow).where(ExpertRow.subject == subject))
        ).scalar_one_or_none()
        return None if row is None else (await self._assemble([row]))[0]

    async def add(self, e: Expert) -> None:
        self.session.add(
            ExpertRow(
                id=e.id,
                subject=e.subject,
                display_name=e.display_name,
                region_code=e.region_code,
                max_load=e.max_load,
                active=e.active,
                created_at=e.created_at,
                updated_at=e.updated_at,
            )
        )
        await self.session.flush()
        await self.session.execute(
            delete(ExpertDirectionRow).where(ExpertDirectionRow.expert_id == e.id)
        )
        if e.direction_codes:
            await self.session.execute(
                insert(ExpertDirectionRow),
                [{"expert_id": e.id, "direction_code": c} for c in e.direction_codes],
            )
        if e.affiliation_inns:
            await self.session.execute(
                insert(ExpertAffiliationRow),
                [{"expert_id": e.id, "inn": inn} for inn in e.affiliation_inns],
            )

    async def active(self) -> list[Expert]:
        rows = (
            (
                await self.session.execute(
                    select(ExpertRow).where(ExpertRow.active).order_by(ExpertRow.id)
                )
            )
            .scalars()
            .all()
        )
        return await self._assemble(rows)

    async def page(self, *, limit: int, after: str | None, direction_code: str) -> list[Expert]:
        query = select(ExpertRow)
        if direction_code:
            query = query.where(
                ExpertRow.id.in_(
                    select(ExpertDirectionRow.expert_id).where(
                        ExpertDirectionRow.direction_code == direction_code
                    )
                )
            )
        if after is not None:
            query = query.where(ExpertRow.id > after)
        rows = (
            (await self.session.execute(query.order_by(ExpertRow.id).limit(limit))).scalars().all()
        )
        return await self._assemble(rows)

    async def declare(self, conflict: DeclaredConflict, *, reason: str, now: datetime) -> bool:
        """False when the same conflict was declared before (declaring is idempotent)."""
        existing = await self.session.scalar(
            select(ConflictRow.id).where(
                ConflictRow.expert_id == conflict.expert_id,
                ConflictRow.organisation_inn == conflict.organisation_inn,
                ConflictRow.application_id == conflict.application_id,
            )
        )
        if existing is not None:
            return False
        self.session.add(
            ConflictRow(
                expert_id=conflict.expert_id,
                organisation_inn=conflict.organisation_inn,
                application_id=conflict.application_id,
                reason=reason,
                created_at=now,
            )
        )
        await self.session.flush()
        return True

    async def declared(self) -> dict[str, list[DeclaredConflict]]:
        found: dict[str, list[DeclaredConflict]] = defaultdict(list)
        for row in (await self.session.execute(select(ConflictRow))).scalars():
            found[row.expert_id].append(
                DeclaredConflict(
                    row.expert_id,
                    organisation_inn=row.organisation_inn,
                    application_id=row.application_id,
                )
            )
        return found
