"""Organisations in the service's database, as domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.tables import ApplicationRow, CompetitionRow, OrganisationRow
from grantflow_applications.domain.applications import ApplicationState
from grantflow_applications.domain.organisations import Contact, LegalForm, Organisation


def _to_domain(row: OrganisationRow) -> Organisation:
    return Organisation(
        id=row.id,
        owner=row.owner,
        name=row.name,
        legal_form=LegalForm(row.legal_form),
        inn=row.inn,
        ogrn=row.ogrn,
        region_code=row.region_code,
        registered_on=row.registered_on,
        contact=Contact(name=row.contact_name, email=row.contact_email, phone=row.contact_phone),
        website=row.website,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _fill(row: OrganisationRow, o: Organisation) -> None:
    row.owner = o.owner
    row.name = o.name
    row.legal_form = o.legal_form.value
    row.inn = o.inn
    row.ogrn = o.ogrn
    row.region_code = o.region_code
    row.registered_on = o.registered_on
    row.contact_name = o.contact.name
    row.contact_email = o.contact.email
    row.contact_phone = o.contact.phone
    row.website = o.website
    row.created_at = o.created_at
    row.updated_at = o.updated_at


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organisation_id: str, *, for_update: bool = False) -> Organisation | None:
        query = select(OrganisationRow).where(OrganisationRow.id == organisation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _to_domain(row)

    async def id_by_inn(self, inn: str) -> str | None:
        return await self.session.scalar(
            select(OrganisationRow.id).where(OrganisationRow.inn == inn)
        )

    async def applied_to(self, organisation_id: str, funder: str) -> bool:
        """Whether the organisation submitted an application to one of `funder`'s competitions."""
        found = await self.session.scalar(
            _applicants_of(funder).where(ApplicationRow.organisation_id == organisation_id).limit(1)
        )
        return found is not None

    async def add(self, organisation: Organisation) -> None:
        row = OrganisationRow(id=organisation.id)
        _fill(row, organisation)
        self.session.add(row)
        await self.session.flush()

    async def save(self, organisation: Organisation) -> None:
        row = await self.session.get(OrganisationRow, organisation.id)
        if row is None:
            raise LookupError(organisation.id)
        _fill(row, organisation)
        await self.session.flush()

    async def page(
        self,
        *,
        limit: int,
        after: tuple[str, str] | None,
        region_code: str,
        visible_to: tuple[str, str] | None,
        funder: str = "",
    ) -> Sequence[Organisation]:
        """By name. `visible_to` = (subject, organisation id) limits the list to what an applicant
        owns or acts for; `funder` to the organisations that applied to that funder's
        competitions; neither lists everything (admins)."""
        o = OrganisationRow
        query = select(o)
        if region_code:
            query = query.where(o.region_code == region_code)
        if visible_to is not None:
            subject, acting_for = visible_to
            query = query.where(or_(o.owner == subject, o.id == acting_for))
        if funder:
            query = query.where(o.id.in_(_applicants_of(funder)))
        if after is not None:
            name, last_id = after
            query = query.where(or_(o.name > name, and_(o.name == name, o.id > last_id)))
        query = query.order_by(o.name, o.id).limit(limit)
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]


def _applicants_of(funder: str) -> Select[Any]:
    """Organisations with a submitted (not draft) application in one of the funder's competitions."""
    return (
        select(ApplicationRow.organisation_id)
        .join(CompetitionRow, CompetitionRow.id == ApplicationRow.competition_id)
        .where(CompetitionRow.owner == funder, ApplicationRow.state != ApplicationState.DRAFT.value)
    )
