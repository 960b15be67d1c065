"""gRPC methods for applications: drafts, the dry-run check, submission and withdrawal."""

from __future__ import annotations

import uuid
from typing import Any

from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.idempotency import idempotent
from grantflow_runtime.masks import apply_mask
from grantflow_runtime.paging import after_time_and_id, cut, parse_page
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.applications_repo import (
    ApplicationFilter,
    ApplicationRepository,
)
from grantflow_applications.adapters.competitions_repo import CompetitionRepository
from grantflow_applications.adapters.organisations_repo import OrganisationRepository
from grantflow_applications.api import events
from grantflow_applications.api.base import Methods, required_id
from grantflow_applications.api.mapping import (
    APPLICATION_STATES_IN,
    application_content,
    application_to_proto,
    content_fields,
    totals_to_proto,
)
from grantflow_applications.api.policy import (
    acts_for,
    application_visibility,
    sees_application,
    sees_competition,
)
from grantflow_applications.domain.applications import Application, ApplicationState, check_draft
from grantflow_applications.domain.competitions import Competition, CompetitionState
from grantflow_applications.domain.organisations import Organisation
from grantflow_applications.domain.regions import is_region
from grantflow_applications.domain.submission import check_submission
from grantflow_applications.domain.totals import Totals, totals

# What an applicant edits; ids, state, version and totals belong to the server.
SETTABLE = frozenset(
    {
        "title",
        "summary",
        "direction_code",
        "region_codes",
        "start_date",
        "end_date",
        "target_groups",
        "planned_results",
        "budget_lines",
        "cofinancing_sources",
    }
)


def counted_totals(a: Application, c: Competition) -> Totals:
    """Totals as the competition counts them: only allowed source types, in-kind capped."""
    return totals(
        a.content,
        allowed_types=c.allowed_cofinancing_types,
        in_kind_cap_percent=c.in_kind_cap_percent,
    )


class ApplicationMethods(Methods):
    async def _load(
        self,
        session: AsyncSession,
        who: Identity,
        application_id: str,
        *,
        for_update: bool = False,
        change: bool = False,
    ) -> tuple[Application, Organisation, Competition]:
        """The application with its organisation and competition, if `who` may see it (or, with
        `change`, act on it); NotFound otherwise, worded the same whether it exists or not."""
        application = await ApplicationRepository(session).get(
            application_id, for_update=for_update
        )
        if application is not None:
            organisation = await OrganisationRepository(session).get(application.organisation_id)
            competition = await CompetitionRepository(session).get(application.competition_id)
            assert organisation is not None and competition is not None  # foreign keys hold them
            allowed = (
                acts_for(who, organisation)
                if change
                else sees_application(who, application, organisation, competition)
            )
            if allowed:
                return application, organisation, competition
        raise NotFound(f"application {application_id} not found")

    async def CreateApplication(
        self, request: pb.CreateApplicationRequest, context: Any
    ) -> applications_pb2.Application:
        identity = require(Role.APPLICANT, Role.ADMIN)
        m = request.application
        competition_id = required_id(m.competition_id, "application.competition_id")
        organisation_id = required_id(m.organisation_id, "application.organisation_id")
        content = application_content(m)
        check_draft(content)

        async def create(session: AsyncSession) -> applications_pb2.Application:
            organisation = await OrganisationRepository(session).get(organisation_id)
            if organisation is None or not acts_for(identity, organisation):
                raise NotFound(f"organisation {organisation_id} not found")
            competition = await CompetitionRepository(session).get(competition_id)
            if competition is None or not sees_competition(identity, competition):
                raise NotFound(f"competition {competition_id} not found")
            if competition.state is not CompetitionState.OPEN:
                raise FailedPrecondition(
                    f"competition is {competition.state.value}; applications are drafted while it is open",
                    reason="COMPETITION_NOT_OPEN",
                )
            application = Application.draft(
                id=str(uuid.uuid4()),
                competition_id=competition_id,
                organisation_id=organisation_id,
                content=content,
                now=self.clock(),
            )
            await ApplicationRepository(session).add(application, author=identity.subject)
            return application_to_proto(application, counted_totals(application, competition))

        return await idempotent(
            self.db,
            self.idempotency,
            operation="CreateApplication",
            request_id=request.request_id,
            caller=identity.subject,
            request=request,
            response_type=applications_pb2.Application,
            action=create,
        )

    async def GetApplication(
        self, request: pb.GetApplicationRequest, context: Any
    ) -> applications_pb2.Application:
        identity = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            application, _, competition = await self._load(
                session, identity, required_id(request.id, "id")
            )
        return application_to_proto(application, counted_totals(application, competition))

    async def ListApplications(
        self, request: pb.ListApplicationsRequest, context: Any
    ) -> pb.ListApplicationsResponse:
        identity = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        state = APPLICATION_STATES_IN.get(request.state) if request.state else None
        if request.state and state is None:
            raise InvalidArgument([FieldViolation("state", "is not a known state", "enum")])
        if request.region_code and not is_region(request.region_code):
            raise InvalidArgument(
                [
                    FieldViolation(
                        "region_code", "is not an ISO 3166-2:RU federal subject", "catalogue"
                    )
                ]
            )
        where = ApplicationFilter(
            competition_id=request.competition_id,
            organisation_id=request.organisation_id,
            state=state,
            direction_code=request.direction_code,
            region_code=request.region_code,
        )
        filters = {
            "competition_id": where.competition_id,
            "organisation_id": where.organisation_id,
            "state": state.value if state else "",
            "direction_code": where.direction_code,
            "region_code": where.region_code,
        }
        page = parse_page(request.page_size, request.page_token, filters=filters, key_length=2)
        after = after_time_and_id(page)
        visibility = application_visibility(identity)
        async with self.db.reading() as session:
            repo = ApplicationRepository(session)
            items = await repo.page(
                limit=page.size + 1, after=after, where=where, visibility=visibility
            )
            total = await repo.count(where=where, visibility=visibility)
            items, token = cut(
                items, page, key=lambda a: [a.created_at.isoformat(), a.id], filters=filters
            )
            competitions = CompetitionRepository(session)
            rules: dict[str, Competition] = {}
            for a in items:
                if a.competition_id not in rules:
                    found = await competitions.get(a.competition_id)
                    assert found is not None
                    rules[a.competition_id] = found
        return pb.ListApplicationsResponse(
            applications=[
                application_to_proto(a, counted_totals(a, rules[a.competition_id])) for a in items
            ],
            next_page_token=token,
            total_size=total,
        )

    async def UpdateApplication(
        self, request: pb.UpdateApplicationRequest, context: Any
    ) -> applications_pb2.Application:
        identity = require(Role.APPLICANT, Role.ADMIN)
        application_id = required_id(request.application.id, "application.id")
        async with self.db.transaction() as session:
            current, _, competition = await self._load(
                session, identity, application_id, for_update=True, change=True
            )
            merged = apply_mask(
                content_fields(current.content),
                request.application,
                request.update_mask,
                settable=SETTABLE,
            )
            content = application_content(merged)
            check_draft(content)
            updated = current.edit(
                content, self.clock(), expected_version=request.application.version
            )
            await ApplicationRepository(session).save(current, updated, author=identity.subject)
        return application_to_proto(updated, counted_totals(updated, competition))

    async def ValidateApplication(
        self, request: pb.ValidateApplicationRequest, context: Any
    ) -> pb.ValidateApplicationResponse:
        identity = require(Role.APPLICANT, Role.ADMIN)
        async with self.db.reading() as session:
            application, organisation, competition = await self._load(
                session, identity, required_id(request.id, "id"), change=True
            )
            filed = await ApplicationRepository(session).filed_count(
                organisation_id=organisation.id,
                competition_id=competition.id,
                excluding=application.id,
            )
        violations = check_submission(
            application, competition, organisation, now=self.clock(), filed_before=filed
        )
        return pb.ValidateApplicationResponse(
            violations=[
                applications_pb2.RuleViolation(
                    field=v.field, description=v.description, rule=v.rule
                )
                for v in violations
            ],
            totals=totals_to_proto(counted_totals(application, competition)),
        )

    async def SubmitApplication(
        self, request: pb.SubmitApplicationRequest, context: Any
    ) -> applications_pb2.Application:
        identity = require(Role.APPLICANT, Role.ADMIN)
        application_id = required_id(request.id, "id")

        async def submit(session: AsyncSession) -> applications_pb2.Application:
            current, organisation, competition = await self._load(
                session, identity, application_id, for_update=True, change=True
            )
            # Serialise one organisation's submissions, so two at once cannot both pass its limit.
            await OrganisationRepository(session).get(organisation.id, for_update=True)
            if current.state is not ApplicationState.DRAFT:
                raise FailedPrecondition(
                    f"application is {current.state.value}; only a draft can be submitted",
                    reason="STATE",
                )
            repo = ApplicationRepository(session)
            filed = await repo.filed_count(
                organisation_id=organisation.id, competition_id=competition.id, excluding=current.id
            )
            now = self.clock()
            violations = check_submission(
                current, competition, organisation, now=now, filed_before=filed
            )
            if violations:
                raise InvalidArgument(
                    violations,
                    message=f"the application breaks {len(violations)} submission rule(s)",
                )
            submitted = current.submit(now)
            await repo.save(current, submitted, author=identity.subject)
            counted = counted_totals(submitted, competition)
            await self.outbox.add(
                session,
                catalogue.APPLICATION_SUBMITTED,
                events.application_submitted(submitted, organisation, counted),
            )
            await self.outbox.add(
                session,
                catalogue.APPLICATION_STATUS_CHANGED,
                events.status_changed(current.state, submitted),
            )
            return application_to_proto(submitted, counted)

        return await idempotent(
            self.db,
            self.idempotency,
            operation="SubmitApplication",
            request_id=request.request_id,
            caller=identity.subject,
            request=request,
            response_type=applications_pb2.Application,
            action=submit,
        )

    async def WithdrawApplication(
        self, request: pb.WithdrawApplicationRequest, context: Any
    ) -> applications_pb2.Application:
        identity = require(Role.APPLICANT, Role.ADMIN)
        if len(request.reason) > 1000:
            raise InvalidArgument(
                [FieldViolation("reason", "must be at most 1000 characters", "max_len")]
            )
        async with self.db.transaction() as session:
            current, _, competition = await self._load(
                session, identity, required_id(request.id, "id"), for_update=True, change=True
            )
            withdrawn = current.withdraw(self.clock(), request.reason)
            await ApplicationRepository(session).save(current, withdrawn, author=identity.subject)
            if current.state is not ApplicationState.DRAFT:
                # Only scoring's copy of submitted applications needs to hear of it.
                await self.outbox.add(
                    session,
                    catalogue.APPLICATION_WITHDRAWN,
                    events.application_withdrawn(withdrawn),
                )
            await self.outbox.add(
                session,
                catalogue.APPLICATION_STATUS_CHANGED,
                events.status_changed(current.state, withdrawn),
            )
        return application_to_proto(withdrawn, counted_totals(withdrawn, competition))
