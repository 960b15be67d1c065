"""The indicator catalogue in the service's database, as domain objects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.tables import IndicatorDefinitionRow
from grantflow_impact.domain.indicators import (
    Aggregation,
    Direction,
    IndicatorDefinition,
    ResultLevel,
)


def _to_domain(row: IndicatorDefinitionRow) -> IndicatorDefinition:
    return IndicatorDefinition(
        code=row.code,
        title=row.title,
        unit=row.unit,
        result_level=ResultLevel(row.result_level),
        aggregation=Aggregation(row.aggregation),
        direction=Direction(row.direction),
        iris_metric_id=row.iris_metric_id,
        sdg_indicator=row.sdg_indicator,
        created_at=row.created_at,
    )


def _to_row(d: IndicatorDefinition) -> IndicatorDefinitionRow:
    return IndicatorDefinitionRow(
        code=d.code,
        title=d.title,
        unit=d.unit,
        result_level=d.result_level.value,
        aggregation=d.aggregation.value,
        direction=d.direction.value,
        iris_metric_id=d.iris_metric_id,
        sdg_indicator=d.sdg_indicator,
        created_at=d.created_at,
    )


class IndicatorDefinitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> IndicatorDefinition | None:
        row = await self.session.get(IndicatorDefinitionRow, code)
        return None if row is None else _to_domain(row)

    async def add(self, definition: IndicatorDefinition) -> None:
        """Insert; a code already taken fails at flush with the database's IntegrityError."""
        self.session.add(_to_row(definition))
        await self.session.flush()

    async def page(self, *, limit: int, after: str | None) -> Sequence[IndicatorDefinition]:
        """Code order; `after` is the last code of the previous page (keyset, not offset)."""
        r = IndicatorDefinitionRow
        query = select(r)
        if after is not None:
            query = query.where(r.code > after)
        query = query.order_by(r.code).limit(limit)
        return [_to_domain(row) for row in (await self.session.execute(query)).scalars()]
