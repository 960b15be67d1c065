"""Panels and their rubrics in the scoring database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.tables import CriterionRow, PanelRow
from grantflow_scoring.domain.rubric import Criterion, Rubric


class PanelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_panel(
        self,
        *,
        rubric: Rubric,
        title: str,
        direction_codes: list[str],
        closes_at: datetime,
        time_zone: str,
        opened_event_id: str,
        now: datetime,
    ) -> None:
        self.session.add(
            PanelRow(
                competition_id=rubric.competition_id,
                title=title,
                direction_codes=direction_codes,
                closes_at=closes_at,
                time_zone=time_zone,
                opened_event_id=opened_event_id,
                created_at=now,
            )
        )
        # Criteria reference the panel; without a relationship the unit of work does not order them.
        await self.session.flush()
        for position, c in enumerate(rubric.criteria):
            self.session.add(
                CriterionRow(
                    competition_id=rubric.competition_id,
                    code=c.code,
                    position=position,
                    title=c.title,
                    weight=str(c.weight),
                    scale_min=c.scale_min,
                    scale_max=c.scale_max,
                    comment_required_at_or_below=c.comment_required_at_or_below,
                    comment_required_at_or_above=c.comment_required_at_or_above,
                )
            )
        await self.session.flush()

    async def has_panel(self, competition_id: str) -> bool:
        found = await self.session.scalar(
            select(PanelRow.competition_id).where(PanelRow.competition_id == competition_id)
        )
        return found is not None

    async def rubric(self, competition_id: str) -> Rubric | None:
        rows = (
            (
                await self.session.execute(
                    select(CriterionRow)
                    .where(CriterionRow.competition_id == competition_id)
                    .order_by(CriterionRow.position)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return None
        return Rubric(
            competition_id=competition_id,
            criteria=tuple(
                Criterion(
                    code=r.code,
                    title=r.title,
                    weight=Decimal(r.weight),
                    scale_min=r.scale_min,
                    scale_max=r.scale_max,
                    comment_required_at_or_below=r.comment_required_at_or_below,
                    comment_required_at_or_above=r.comment_required_at_or_above,
                )
                for r in rows
            ),
        )
