"""gRPC methods for assignment and scoring: who reviews what, blind scores with an audit trail,
divergence bringing in one more expert, and closing the panel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from grantflow.events.v1 import scoring_pb2 as ev
from grantflow.scoring.v1 import panels_pb2, reviews_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.paging import cut, parse_page
from grantflow_runtime.protoconv import to_timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.applications_copy import SubmittedApplication, SubmittedApplications
from grantflow_scoring.adapters.experts_repo import Expert, ExpertRepository
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import (
    CANCELLED,
    SCORED,
    Reviews,
    ScoreRecord,
    scores_json,
)
from grantflow_scoring.api.base import Methods, required
from grantflow_scoring.api.mapping import (
    assignment_to_proto,
    panel_to_proto,
    score_to_proto,
    scores_from_proto,
    unassigned_to_proto,
)
from grantflow_scoring.domain.aggregation import extra_experts_needed, final_score
from grantflow_scoring.domain.assignment import (
    AssignmentPlan,
    ExpertCapacity,
    Need,
    plan_assignment,
)
from grantflow_scoring.domain.conflicts import ApplicationParties, ExpertProfile, conflicted_experts
from grantflow_scoring.domain.panels import Panel
from grantflow_scoring.domain.scores import validate_sheet, weighted_total


async def plan_for(
    session: AsyncSession,
    panel: Panel,
    applications: Sequence[SubmittedApplication],
    *,
    extra_for: str = "",
) -> AssignmentPlan:
    """Plan the missing assignments of `applications` (or one more expert for `extra_for`), around
    everything already assigned: earlier pairs are never moved."""
    experts = await ExpertRepository(session).active()
    declared = await ExpertRepository(session).declared()
    existing = [
        a for a in await Reviews(session).assignments(panel.competition_id) if a.state != CANCELLED
    ]
    load: dict[str, int] = defaultdict(int)
    current: dict[str, set[str]] = defaultdict(set)
    everyone: dict[str, set[str]] = defaultdict(set)
    for a in await Reviews(session).assignments(panel.competition_id):
        everyone[a.application_id].add(a.expert_id)  # a cancelled expert is not asked again
    for a in existing:
        load[a.expert_id] += 1
        current[a.application_id].add(a.expert_id)
    profiles = [ExpertProfile(e.id, e.region_code, frozenset(e.affiliation_inns)) for e in experts]
    region_of = {e.id: e.region_code for e in experts}
    needs = []
    for app in applications:
        wanted = (
            1
            if extra_for == app.application_id
            else panel.settings.experts_per_application - len(current[app.application_id])
        )
        if wanted <= 0:
            continue
        parties = ApplicationParties(
            app.application_id, app.organisation_inn, app.organisation_region_code, app.partner_inns
        )
        conflicted = conflicted_experts(
            profiles,
            parties,
            declared,
            same_region_is_conflict=panel.settings.same_region_is_conflict,
        )
        needs.append(
            Need(
                application_id=app.application_id,
                direction_code=app.direction_code,
                region_code=app.organisation_region_code,
                needed=wanted,
                excluded=frozenset(conflicted | everyone[app.application_id]),
                has_same_region_expert=any(
                    region_of.get(e) == app.organisation_region_code
                    for e in current[app.application_id]
                ),
            )
        )
    capacities = [
        ExpertCapacity(e.id, frozenset(e.direction_codes), e.region_code, e.max_load, load[e.id])
        for e in experts
    ]
    return plan_assignment(needs, capacities)


class ReviewMethods(Methods):
    async def _publish_assigned(
        self, session: AsyncSession, competition_id: str, pairs: Sequence[tuple[str, str]]
    ) -> None:
        by_application: dict[str, list[str]] = defaultdict(list)
        for application_id, expert_id in pairs:
            by_application[application_id].append(expert_id)
        now = self.clock()
        for application_id, expert_ids in sorted(by_application.items()):
            await self.outbox.add(
                session,
                catalogue.EXPERTS_ASSIGNED,
                ev.ExpertsAssigned(
                    competition_id=competition_id,
                    application_id=application_id,
                    expert_ids=sorted(expert_ids),
                    assigned_at=to_timestamp(now),
                ),
            )

    async def AssignExperts(
        self, request: pb.AssignExpertsRequest, context: Any
    ) -> pb.AssignExpertsResponse:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.transaction() as session:
            panel = await self._run_panel(session, who, request.competition_id, for_update=True)
            panel.require_scoring()
            applications = await SubmittedApplications(session).in_competition(panel.competition_id)
            plan = await plan_for(session, panel, applications)
            await Reviews(session).assign(
                plan.pairs, competition_id=panel.competition_id, extra=False, now=self.clock()
            )
            await self._publish_assigned(session, panel.competition_id, plan.pairs)
        short = {u.application_id for u in plan.unassigned}
        return pb.AssignExpertsResponse(
            assigned=len(plan.pairs),
            unassigned=[unassigned_to_proto(u) for u in plan.unassigned],
            complete=len([a for a in applications if a.application_id not in short]),
        )

    async def ListAssignments(
        self, request: pb.ListAssignmentsRequest, context: Any
    ) -> pb.ListAssignmentsResponse:
        who = require(Role.EXPERT, Role.FUNDER, Role.ADMIN)
        # An expert's own assignments need no competition; a funder's view is of one panel.
        competition_id = (
            request.competition_id.strip()
            if who.role is Role.EXPERT
            else required(request.competition_id, "competition_id")
        )
        filters = {"competition_id": competition_id, "expert_id": request.expert_id}
        page = parse_page(request.page_size, request.page_token, filters=filters, key_length=2)
        async with self.db.reading() as session:
            if who.role is Role.EXPERT:
                expert_id = (await self._expert_of(session, who)).id
                if request.expert_id and request.expert_id != expert_id:
                    raise NotFound(f"expert {request.expert_id} not found")
            else:
                await self._run_panel(session, who, competition_id)
                expert_id = request.expert_id
            items = await Reviews(session).page_for(
                competition_id=competition_id,
                expert_id=expert_id,
                limit=page.size + 1,
                after=(page.after[0], page.after[1]) if page.after else None,
            )
            rows, token = cut(
                items, page, key=lambda a: [a.application_id, a.expert_id], filters=filters
            )
            copies = SubmittedApplications(session)
            # Every assignment of one competition is due by its panel's deadline.
            panels = PanelRepository(session)
            due: dict[str, datetime | None] = {}
            for cid in {a.competition_id for a in rows}:
                panel = await panels.get(cid)
                due[cid] = panel.settings.scores_due_at if panel is not None else None
            # A cancelled assignment (a conflict) shows no application content to its expert.
            shown = [
                assignment_to_proto(
                    a,
                    await copies.get(a.application_id) if a.state != CANCELLED else None,
                    due=due[a.competition_id],
                )
                for a in rows
            ]
        return pb.ListAssignmentsResponse(assignments=shown, next_page_token=token)

    async def SubmitScore(self, request: pb.SubmitScoreRequest, context: Any) -> reviews_pb2.Score:
        who = require(Role.EXPERT)
        application_id = required(request.application_id, "application_id")
        if len(request.reason) > 2000:
            raise InvalidArgument(
                [FieldViolation("reason", "must be at most 2000 characters", "max_len")]
            )
        async with self.db.transaction() as session:
            expert = await self._expert_of(session, who)
            reviews = Reviews(session)
            # Locked: concurrent submissions of one expert for one application end in one score.
            assignment = await reviews.assignment(application_id, expert.id, for_update=True)
            if assignment is None or assignment.state == CANCELLED:
                raise NotFound(f"no assignment of application {application_id} to this expert")
            panels = PanelRepository(session)
            # Locked like ClosePanel locks it: a score either commits before the close or sees it.
            panel = await panels.get(assignment.competition_id, for_update=True)
            assert panel is not None
            if panel.state.value != "scoring":
                raise FailedPrecondition(
                    f"the panel is {panel.state.value}; scores are no longer accepted",
                    reason="PANEL_CLOSED",
                )
            rubric = await panels.rubric(panel.competition_id)
            assert rubric is not None
            sheet = scores_from_proto(list(request.scores))
            violations = validate_sheet(rubric, sheet)
            earlier = await reviews.score(application_id, expert.id)
            if earlier is not None and not request.reason.strip():
                violations.append(
                    FieldViolation("reason", "is required to revise a submitted score", "required")
                )
            if violations:
                raise InvalidArgument(violations)
            application = await SubmittedApplications(session).get(application_id)
            assert application is not None
            now = self.clock()
            record = ScoreRecord(
                competition_id=panel.competition_id,
                application_id=application_id,
                expert_id=expert.id,
                scores=sheet,
                total=weighted_total(rubric, sheet, application.requested),
                revision=(earlier.revision + 1) if earlier else 1,
                submitted_at=now,
            )
            await reviews.put_score(record)
            await reviews.set_state(application_id, expert.id, SCORED)
            await reviews.audit(
                at=now,
                actor=who.subject,
                action="score.revise" if earlier else "score.submit",
                subject_id=application_id,
                before={
                    "expert_id": expert.id,
                    "total": str(earlier.total),
                    "scores": scores_json(earlier.scores),
                }
                if earlier
                else None,
                after={
                    "expert_id": expert.id,
                    "total": str(record.total),
                    "scores": scores_json(record.scores),
                },
                reason=request.reason.strip(),
            )
            await self.outbox.add(
                session,
                catalogue.SCORE_SUBMITTED,
                ev.ScoreSubmitted(
                    competition_id=panel.competition_id,
                    application_id=application_id,
                    expert_id=expert.id,
                    revision=record.revision,
                    submitted_at=to_timestamp(now),
                ),
            )
            await self._after_score(
                session, panel, application, rubric.max_total_for(application.requested)
            )
        return score_to_proto(record)

    async def _after_score(
        self, session: AsyncSession, panel: Panel, application: SubmittedApplication, max_total: Any
    ) -> None:
        """Once every assigned expert has scored: one more expert if the totals diverge (up to the
        panel's maximum), otherwise the application is scored."""
        reviews = Reviews(session)
        active = [
            a
            for a in await reviews.of_application(application.application_id)
            if a.state != CANCELLED
        ]
        if any(a.state != SCORED for a in active):
            return
        totals = [
            s.total
            for s in await reviews.scores(
                panel.competition_id, application_id=application.application_id
            )
            if s.expert_id in {a.expert_id for a in active}
        ]
        s = panel.settings
        if extra_experts_needed(
            totals,
            max_total=max_total,
            threshold_percent=s.divergence_threshold_percent,
            assigned=len(active),
            max_experts=s.max_experts_per_application,
        ):
            plan = await plan_for(
                session, panel, [application], extra_for=application.application_id
            )
            if plan.pairs:
                now = self.clock()
                await reviews.assign(
                    plan.pairs, competition_id=panel.competition_id, extra=True, now=now
                )
                for application_id, expert_id in plan.pairs:
                    await self.outbox.add(
                        session,
                        catalogue.EXTRA_EXPERT_ASSIGNED,
                        ev.ExtraExpertAssigned(
                            competition_id=panel.competition_id,
                            application_id=application_id,
                            expert_id=expert_id,
                            experts=len(active) + 1,
                            assigned_at=to_timestamp(now),
                        ),
                    )
                return
        await self.outbox.add(
            session,
            catalogue.APPLICATION_SCORED,
            ev.ApplicationScored(
                competition_id=panel.competition_id,
                application_id=application.application_id,
                score=str(final_score(totals, s.final_rule)),
                experts=len(totals),
                scored_at=to_timestamp(self.clock()),
            ),
        )

    async def ListScores(
        self, request: pb.ListScoresRequest, context: Any
    ) -> pb.ListScoresResponse:
        who = require(Role.EXPERT, Role.FUNDER, Role.ADMIN)
        competition_id = required(request.competition_id, "competition_id")
        async with self.db.reading() as session:
            if who.role is Role.EXPERT:
                # Blind: an expert sees its own scores and nobody else's, before and after.
                expert: Expert | None = await self._expert_of(session, who)
            else:
                await self._run_panel(session, who, competition_id)
                expert = None
            scores = await Reviews(session).scores(
                competition_id,
                application_id=request.application_id,
                expert_id=expert.id if expert else "",
            )
        return pb.ListScoresResponse(scores=[score_to_proto(s) for s in scores])

    async def ClosePanel(self, request: pb.ClosePanelRequest, context: Any) -> panels_pb2.Panel:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.transaction() as session:
            panel = await self._run_panel(session, who, request.competition_id, for_update=True)
            closed = panel.close()
            await PanelRepository(session).save(closed)
            await Reviews(session).audit(
                at=self.clock(),
                actor=who.subject,
                action="panel.close",
                subject_id=panel.competition_id,
                before={"state": panel.state.value},
                after={"state": closed.state.value},
            )
        return panel_to_proto(closed)
