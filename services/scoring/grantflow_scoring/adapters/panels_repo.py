"""Panels and their rubrics in the scoring database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from grantflow_runtime.money import Money
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.tables import CriterionRow, PanelRow
from grantflow_scoring.domain.aggregation import FinalRule
from grantflow_scoring.domain.awards import PassMark
from grantflow_scoring.domain.panels import Panel, PanelSettings, PanelState
from grantflow_scoring.domain.rubric import Criterion, Rubric, WeightBand


def _bound(value: int | None, currency: str) -> Money | None:
    return None if value is None else Money(value, currency)


def _panel(row: PanelRow) -> Panel:
    return Panel(
        competition_id=row.competition_id,
        title=row.title,
        owner=row.owner,
        state=PanelState(row.state),
        direction_codes=tuple(row.direction_codes),
        budget=Money(row.budget, row.currency),
        direction_quotas=tuple(
            (code, Money(amount, row.currency))
            for code, amount in sorted(row.direction_quotas.items())
        ),
        settings=PanelSettings(
            experts_per_application=row.experts_per_application,
            max_experts_per_application=row.max_experts_per_application,
            divergence_threshold_percent=Decimal(row.divergence_threshold_percent),
            final_rule=FinalRule(row.final_rule),
            decide_by_calibrated=row.decide_by_calibrated,
            same_region_is_conflict=row.same_region_is_conflict,
            pass_marks=tuple(
                PassMark(_bound(b, row.currency), Decimal(m)) for b, m in row.pass_marks
            ),
            scores_due_at=row.scores_due_at,
        ),
    )


def _fill(row: PanelRow, p: Panel) -> None:
    s = p.settings
    row.title = p.title
    row.owner = p.owner
    row.state = p.state.value
    row.direction_codes = list(p.direction_codes)
    row.currency = p.budget.currency
    row.budget = p.budget.minor_units
    row.direction_quotas = {code: amount.minor_units for code, amount in p.direction_quotas}
    row.experts_per_application = s.experts_per_application
    row.max_experts_per_application = s.max_experts_per_application
    row.divergence_threshold_percent = str(s.divergence_threshold_percent)
    row.final_rule = s.final_rule.value
    row.decide_by_calibrated = s.decide_by_calibrated
    row.same_region_is_conflict = s.same_region_is_conflict
    row.pass_marks = [
        [m.max_request.minor_units if m.max_request else None, str(m.mark)] for m in s.pass_marks
    ]
    row.scores_due_at = s.scores_due_at


class PanelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_panel(
        self,
        *,
        panel: Panel,
        rubric: Rubric,
        closes_at: datetime,
        time_zone: str,
        opened_event_id: str,
        now: datetime,
        required_indicator_codes: Sequence[str] = (),
    ) -> None:
        row = PanelRow(
            competition_id=panel.competition_id,
            closes_at=closes_at,
            time_zone=time_zone,
            opened_event_id=opened_event_id,
            created_at=now,
            rubric_bands=[],
            required_indicator_codes=list(required_indicator_codes),
        )
        _fill(row, panel)
        self.session.add(row)
        # Criteria reference the panel; without a relationship the unit of work does not order them.
        await self.session.flush()
        await self.save_rubric(rubric)

    async def required_indicator_codes(self, competition_id: str) -> list[str]:
        row = await self.session.get(PanelRow, competition_id)
        return list(row.required_indicator_codes) if row else []

    async def has_panel(self, competition_id: str) -> bool:
        found = await self.session.scalar(
            select(PanelRow.competition_id).where(PanelRow.competition_id == competition_id)
        )
        return found is not None

    async def get(self, competition_id: str, *, for_update: bool = False) -> Panel | None:
        query = select(PanelRow).where(PanelRow.competition_id == competition_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _panel(row)

    async def save(self, panel: Panel) -> None:
        row = await self.session.get(PanelRow, panel.competition_id)
        if row is None:
            raise LookupError(panel.competition_id)
        _fill(row, panel)
        await self.session.flush()

    async def rubric(self, competition_id: str) -> Rubric | None:
        panel = await self.session.get(PanelRow, competition_id)
        if panel is None:
            return None
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
            bands=tuple(
                WeightBand(
                    max_request=_bound(bound, panel.currency),
                    weights={code: Decimal(w) for code, w in weights.items()},
                )
                for bound, weights in panel.rubric_bands
            ),
        )

    async def save_rubric(self, rubric: Rubric) -> None:
        await self.session.execute(
            delete(CriterionRow).where(CriterionRow.competition_id == rubric.competition_id)
        )
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
        panel = await self.session.get(PanelRow, rubric.competition_id)
        assert panel is not None
        bands: list[Any] = [
            [
                b.max_request.minor_units if b.max_request else None,
                {code: str(w) for code, w in b.weights.items()},
            ]
            for b in rubric.bands
        ]
        panel.rubric_bands = bands
        await self.session.flush()
