"""Where every application of a competition stands: its experts' totals, raw and calibrated
final scores, divergence, and its rank. Computed from the stored scores on demand."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.applications_copy import SubmittedApplication, SubmittedApplications
from grantflow_scoring.adapters.reviews_repo import CANCELLED, SCORED, Reviews
from grantflow_scoring.domain.aggregation import Review, calibrate, diverges, final_score
from grantflow_scoring.domain.panels import Panel
from grantflow_scoring.domain.ranking import Candidate, Ranked, rank
from grantflow_scoring.domain.rubric import Rubric


@dataclass(frozen=True)
class Standing:
    application: SubmittedApplication
    totals: tuple[Decimal, ...]
    experts: int
    incomplete: bool
    diverged: bool
    raw: Decimal
    calibrated: Decimal | None


@dataclass(frozen=True)
class Standings:
    ranked: list[Ranked]
    by_application: dict[str, Standing]
    # Applications no expert has scored yet: they cannot be ranked.
    unscored: list[SubmittedApplication]


async def standings(session: AsyncSession, panel: Panel, rubric: Rubric) -> Standings:
    reviews = Reviews(session)
    applications = {
        a.application_id: a
        for a in await SubmittedApplications(session).in_competition(panel.competition_id)
    }
    active: dict[str, set[str]] = defaultdict(set)
    for a in await reviews.assignments(panel.competition_id):
        if a.state != CANCELLED and a.application_id in applications:
            active[a.application_id].add(a.expert_id)
    scored: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for s in await reviews.scores(panel.competition_id):
        # A score whose assignment was cancelled (a conflict found later) does not count.
        if s.expert_id in active.get(s.application_id, set()):
            scored[s.application_id][s.expert_id] = s.total
    calibrated = calibrate(
        [
            Review(expert, app, total)
            for app, by_expert in scored.items()
            for expert, total in by_expert.items()
        ],
        rubric.max_total,
    )
    settings = panel.settings
    table: dict[str, Standing] = {}
    candidates: list[Candidate] = []
    unscored: list[SubmittedApplication] = []
    for application_id, application in sorted(applications.items()):
        by_expert = scored.get(application_id, {})
        if not by_expert:
            unscored.append(application)
            continue
        totals = tuple(by_expert[e] for e in sorted(by_expert))
        cal_totals = [calibrated.get((e, application_id)) for e in sorted(by_expert)]
        cal = (
            final_score([c for c in cal_totals if c is not None], settings.final_rule)
            if all(c is not None for c in cal_totals)
            else None
        )
        raw = final_score(totals, settings.final_rule)
        max_total = rubric.max_total_for(application.requested)
        table[application_id] = Standing(
            application=application,
            totals=totals,
            experts=len(active[application_id]),
            incomplete=len(by_expert) < len(active[application_id]),
            diverged=diverges(totals, max_total, settings.divergence_threshold_percent),
            raw=raw,
            calibrated=cal,
        )
        candidates.append(
            Candidate(
                application_id=application_id,
                direction_code=application.direction_code,
                requested=application.requested,
                raw_score=raw,
                calibrated_score=cal,
                submitted_at=application.submitted_at,
            )
        )
    return Standings(
        ranked=rank(candidates, by_calibrated=settings.decide_by_calibrated),
        by_application=table,
        unscored=unscored,
    )


__all__ = ["SCORED", "Standing", "Standings", "standings"]
