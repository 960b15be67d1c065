"""Scoring's read copy of submitted applications, kept from ApplicationSubmitted/Withdrawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from grantflow.events.v1 import applications_pb2 as ev
from grantflow_runtime.money import Money
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.tables import SubmittedApplicationRow


@dataclass(frozen=True)
class SubmittedApplication:
    application_id: str
    competition_id: str
    organisation_id: str
    organisation_inn: str
    organisation_name: str
    organisation_region_code: str
    partner_inns: frozenset[str]
    direction_code: str
    region_codes: tuple[str, ...]
    title: str
    summary: str
    requested: Money
    cofinancing: Money
    submitted_at: datetime
    withdrawn: bool


def _domain(r: SubmittedApplicationRow) -> SubmittedApplication:
    return SubmittedApplication(
        application_id=r.application_id,
        competition_id=r.competition_id,
        organisation_id=r.organisation_id,
        organisation_inn=r.organisation_inn,
        organisation_name=r.organisation_name,
        organisation_region_code=r.organisation_region_code,
        partner_inns=frozenset(r.partner_inns),
        direction_code=r.direction_code,
        region_codes=tuple(r.region_codes),
        title=r.title,
        summary=r.summary,
        requested=Money(r.requested),
        cofinancing=Money(r.cofinancing),
        submitted_at=r.submitted_at,
        withdrawn=r.withdrawn,
    )


class SubmittedApplications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, event: ev.ApplicationSubmitted) -> bool:
        """False when this application is known already (submitted once; a replay changes nothing)."""
        if await self.session.get(SubmittedApplicationRow, event.application_id) is not None:
            return False
        self.session.add(
            SubmittedApplicationRow(
                application_id=event.application_id,
                competition_id=event.competition_id,
                organisation_id=event.organisation_id,
                organisation_inn=event.organisation_inn,
                organisation_name=event.organisation_name,
                organisation_region_code=event.organisation_region_code,
                partner_inns=sorted(event.partner_inns),
                direction_code=event.direction_code,
                region_codes=list(event.region_codes),
                title=event.title,
                summary=event.summary,
                requested=event.requested.minor_units,
                cofinancing=event.cofinancing.minor_units,
                submitted_at=event.submitted_at.ToDatetime(tzinfo=UTC),
                withdrawn=False,
                event=event.SerializeToString(),
            )
        )
        await self.session.flush()
        return True

    async def withdraw(self, application_id: str) -> None:
        await self.session.execute(
            update(SubmittedApplicationRow)
            .where(SubmittedApplicationRow.application_id == application_id)
            .values(withdrawn=True)
        )

    async def get(self, application_id: str) -> SubmittedApplication | None:
        row = await self.session.get(SubmittedApplicationRow, application_id)
        return None if row is None else _domain(row)

    async def event(self, application_id: str) -> ev.ApplicationSubmitted:
        row = await self.session.get(SubmittedApplicationRow, application_id)
        assert row is not None
        return ev.ApplicationSubmitted.FromString(row.event)

    async def ids_of_organisation(self, inn: str) -> list[str]:
        query = select(SubmittedApplicationRow.application_id).where(
            SubmittedApplicationRow.organisation_inn == inn
        )
        return list((await self.session.execute(query)).scalars())

    async def in_competition(
        self, competition_id: str, *, include_withdrawn: bool = False
    ) -> Sequence[SubmittedApplication]:
        query = select(SubmittedApplicationRow).where(
            SubmittedApplicationRow.competition_id == competition_id
        )
        if not include_withdrawn:
            query = query.where(SubmittedApplicationRow.withdrawn.is_(False))
        rows = (
            await self.session.execute(query.order_by(SubmittedApplicationRow.application_id))
        ).scalars()
        return [_domain(r) for r in rows]
