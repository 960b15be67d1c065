"""Applications in the service's database, as domain objects, with every version kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.content_codec import decode, encode
from grantflow_applications.adapters.tables import (
    ApplicationRegionRow,
    ApplicationRow,
    ApplicationVersionRow,
    CompetitionRow,
    OrganisationRow,
)
from grantflow_applications.domain.applications import Application, ApplicationState
from grantflow_applications.domain.totals import totals

# States in which an application counts against an organisation's limit in a competition.
FILED_STATES = tuple(
    s.value
    for s in ApplicationState
    if s not in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)
)


@dataclass(frozen=True)
class ApplicationFilter:
    competition_id: str = ""
    organisation_id: str = ""
    state: ApplicationState | None = None
    direction_code: str = ""
    region_code: str = ""


@dataclass(frozen=True)
class Visibility:
    """Who may see which applications: everything (admin), the applications of the organisations
    an applicant owns or acts for, or the non-draft applications of a funder's own competitions."""

    everything: bool = False
    applicant_subject: str = ""
    applicant_organisation: str = ""
    funder_subject: str = ""


def _to_domain(row: ApplicationRow) -> Application:
    return Application(
        id=row.id,
        competition_id=row.competition_id,
        organisation_id=row.organisation_id,
        state=ApplicationState(row.state),
        content=decode(row.content),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        status_reason=row.status_reason,
    )


def _fill(row: ApplicationRow, a: Application) -> None:
    t = totals(a.content)
    row.competition_id = a.competition_id
    row.organisation_id = a.organisation_id
    row.state = a.state.value
    row.direction_code = a.content.direction_code
    row.title = a.content.title[:300]
    row.version = a.version
    row.content = encode(a.content)
    row.requested = t.requested.minor_units
    row.cofinancing = t.cofinancing.minor_units
    row.created_at = a.created_at
    row.updated_at = a.updated_at
    row.submitted_at = a.submitted_at
    row.status_reason = a.status_reason


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, application_id: str, *, for_update: bool = False) -> Application | None:
        query = select(ApplicationRow).where(ApplicationRow.id == application_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _to_domain(row)

    async def add(self, application: Application, *, author: str) -> None:
        row = ApplicationRow(id=application.id)
        _fill(row, application)
        self.session.add(row)
        await self.session.flush()
        await self._regions(application)
        await self._version(application, author=author)

    async def save(self, before: Application, after: Application, *, author: str) -> None:
        """Store `after`; a new content version or a submission appends a version row."""
        row = await self.session.get(ApplicationRow, after.id)
        if row is None:
            raise LookupError(after.id)
        _fill(row, after)
        await self.session.flush()
        if after.version != before.version:
            await self._regions(after)
            await self._version(after, author=author)
        if after.state is ApplicationState.SUBMITTED and before.state is ApplicationState.DRAFT:
            await self._mark_submitted(after)

    async def _regions(self, a: Application) -> None:
        await self.session.execute(
            delete(ApplicationRegionRow).where(ApplicationRegionRow.application_id == a.id)
        )
        codes = list(dict.fromkeys(a.content.region_codes))
        if codes:
            await self.session.execute(
                insert(ApplicationRegionRow),
                [{"application_id": a.id, "region_code": c} for c in codes],
            )

    async def _version(self, a: Application, *, author: str) -> None:
        self.session.add(
            ApplicationVersionRow(
                application_id=a.id,
                version=a.version,
                content=encode(a.content),
                author=author,
                submitted=False,
                created_at=a.updated_at,
            )
        )
        await self.session.flush()

    async def _mark_submitted(self, a: Application) -> None:
        version = await self.session.get(ApplicationVersionRow, (a.id, a.version))
        if version is None:
            raise LookupError(f"{a.id} v{a.version}")
        version.submitted = True
        await self.session.flush()

    async def filed_count(
        self, *, organisation_id: str, competition_id: str, excluding: str
    ) -> int:
        a = ApplicationRow
        count = await self.session.scalar(
            select(func.count()).where(
                a.organisation_id == organisation_id,
                a.competition_id == competition_id,
                a.state.in_(FILED_STATES),
                a.id != excluding,
            )
        )
        return int(count or 0)

    async def submitted_in(self, competition_id: str) -> Sequence[Application]:
        query = select(ApplicationRow).where(
            ApplicationRow.competition_id == competition_id,
            ApplicationRow.state == ApplicationState.SUBMITTED.value,
        )
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]

    async def undecided_in(self, competition_id: str) -> int:
        """Applications of the competition still waiting for an award decision."""
        waiting = (ApplicationState.SUBMITTED.value, ApplicationState.UNDER_REVIEW.value)
        query = select(func.count()).where(
            ApplicationRow.competition_id == competition_id, ApplicationRow.state.in_(waiting)
        )
        return int(await self.session.scalar(query) or 0)

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        where: ApplicationFilter,
        visibility: Visibility,
    ) -> Sequence[Application]:
        """Newest first."""
        a = ApplicationRow
        query = _matching(select(a), where, visibility)
        if query is None:
            return []
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(a.created_at < created, and_(a.created_at == created, a.id < last_id))
            )
        query = query.order_by(a.created_at.desc(), a.id.desc()).limit(limit)
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]

    async def count(self, *, where: ApplicationFilter, visibility: Visibility) -> int:
        """How many applications `page` would list across all its pages."""
        query = _matching(select(func.count()).select_from(ApplicationRow), where, visibility)
        if query is None:
            return 0
        return int((await self.session.execute(query)).scalar_one())


_S = TypeVar("_S", bound=Select[Any])


def _matching(query: _S, where: ApplicationFilter, visibility: Visibility) -> _S | None:
    """`query` narrowed to the applications that match `where` and that the caller may see;
    None when it may see none."""
    a = ApplicationRow
    if where.competition_id:
        query = query.where(a.competition_id == where.competition_id)
    if where.organisation_id:
        query = query.where(a.organisation_id == where.organisation_id)
    if where.state is not None:
        query = query.where(a.state == where.state.value)
    if where.direction_code:
        query = query.where(a.direction_code == where.direction_code)
    if where.region_code:
        query = query.where(
            a.id.in_(
                select(ApplicationRegionRow.application_id).where(
                    ApplicationRegionRow.region_code == where.region_code
                )
            )
        )
    if not visibility.everything:
        allowed: list[ColumnElement[bool]] = []
        if visibility.applicant_subject:
            own = select(OrganisationRow.id).where(
                or_(
                    OrganisationRow.owner == visibility.applicant_subject,
                    OrganisationRow.id == visibility.applicant_organisation,
                )
            )
            allowed.append(a.organisation_id.in_(own))
        if visibility.funder_subject:
            funded = select(CompetitionRow.id).where(
                CompetitionRow.owner == visibility.funder_subject
            )
            allowed.append(
                and_(a.competition_id.in_(funded), a.state != ApplicationState.DRAFT.value)
            )
        if not allowed:
            return None
        query = query.where(or_(*allowed))
    return query
