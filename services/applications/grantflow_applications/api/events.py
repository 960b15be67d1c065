"""The events the applications service publishes, built from domain objects. Contact persons'
personal data is never put in an event."""

from __future__ import annotations

from datetime import datetime

from grantflow.events.v1 import applications_pb2 as ev
from grantflow.events.v1 import competitions_pb2 as competition_events
from grantflow_runtime.protoconv import to_date, to_money, to_timestamp

from grantflow_applications.domain.applications import Application, ApplicationState
from grantflow_applications.domain.competitions import Competition
from grantflow_applications.domain.organisations import Organisation
from grantflow_applications.domain.totals import Totals


def application_submitted(
    a: Application, organisation: Organisation, t: Totals
) -> ev.ApplicationSubmitted:
    c = a.content
    assert a.submitted_at is not None
    return ev.ApplicationSubmitted(
        application_id=a.id,
        competition_id=a.competition_id,
        organisation_id=a.organisation_id,
        organisation_inn=organisation.inn,
        organisation_region_code=organisation.region_code,
        organisation_name=organisation.name,
        partner_inns=sorted({s.partner_inn for s in c.cofinancing_sources if s.partner_inn}),
        direction_code=c.direction_code,
        region_codes=c.region_codes,
        requested=to_money(t.requested),
        cofinancing=to_money(t.cofinancing),
        counted_cofinancing=to_money(t.counted_cofinancing),
        total_cost=to_money(t.total_cost),
        cofinancing_share=f"{t.cofinancing_share.numerator}/{t.cofinancing_share.denominator}",
        planned_results=[
            ev.PlannedResult(
                title=r.title,
                unit=r.unit,
                target_value=str(r.target_value),
                baseline_value=str(r.baseline_value),
                indicator_code=r.indicator_code,
            )
            for r in c.planned_results
        ],
        title=c.title,
        summary=c.summary,
        submitted_at=to_timestamp(a.submitted_at),
        version=a.version,
        start_date=to_date(c.start_date),
        end_date=to_date(c.end_date),
        cofinancing_sources=[
            ev.CofinancingCommitment(
                type=s.type.value if s.type else "",
                partner_name=s.partner_name,
                partner_inn=s.partner_inn,
                amount=to_money(s.amount),
            )
            for s in c.cofinancing_sources
        ],
        budget_lines=[
            ev.BudgetLine(
                category=b.category,
                description=b.description,
                grant_amount=to_money(b.grant_amount),
                cofinanced_amount=to_money(b.cofinanced_amount),
            )
            for b in c.budget_lines
        ],
    )


def application_withdrawn(a: Application) -> ev.ApplicationWithdrawn:
    return ev.ApplicationWithdrawn(
        application_id=a.id,
        competition_id=a.competition_id,
        organisation_id=a.organisation_id,
        reason=a.status_reason,
        withdrawn_at=to_timestamp(a.updated_at),
    )


def status_changed(before: ApplicationState, after: Application) -> ev.ApplicationStatusChanged:
    return ev.ApplicationStatusChanged(
        application_id=after.id,
        competition_id=after.competition_id,
        organisation_id=after.organisation_id,
        from_state=before.value,
        to_state=after.state.value,
        reason=after.status_reason,
        changed_at=to_timestamp(after.updated_at),
    )


def competition_closed(
    c: Competition, *, closed_at: datetime, submitted: int, early_reason: str = ""
) -> competition_events.CompetitionClosed:
    return competition_events.CompetitionClosed(
        competition_id=c.id,
        closes_at=to_timestamp(c.closes_at),
        closed_at=to_timestamp(closed_at),
        submitted_applications=submitted,
        early_close_reason=early_reason,
    )
