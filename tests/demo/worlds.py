"""The demo's plan seen through the services' own pure domain code: its bodies parsed the way the
gateway parses them, into the objects the services check. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from google.protobuf.json_format import MessageToDict, ParseDict
from grantflow.applications.v1 import applications_pb2, competitions_pb2, organisations_pb2
from grantflow_applications.api.mapping import (
    application_content,
    competition_terms,
    organisation_terms,
)
from grantflow_applications.domain.applications import Application
from grantflow_applications.domain.competitions import Competition
from grantflow_applications.domain.organisations import Organisation
from grantflow_cli.demo import bodies
from grantflow_cli.demo.generate import BENEFICIARIES, VOLUNTEERS, build_plan
from grantflow_cli.demo.model import ApplicationPlan, OrganisationPlan, RoundPlan
from grantflow_cli.demo.phase_competition import choose_closing, deadline_day
from grantflow_cli.demo.settings import FUNDER, DemoSettings
from grantflow_impact.api.report_mapping import agreement_to_proto
from grantflow_impact.domain.agreements import (
    Agreement,
    budget_from,
    cofinancing_from,
    indicators_from,
    reporting_schedule,
)
from grantflow_impact.domain.indicators import Aggregation, Direction
from grantflow_runtime.money import Money

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
CATALOGUE = {
    BENEFICIARIES: ("people", Aggregation.SUM, Direction.INCREASE),
    VOLUNTEERS: ("volunteers", Aggregation.SUM, Direction.INCREASE),
}


def planned(settings: DemoSettings, now: datetime = NOW) -> tuple[RoundPlan, datetime]:
    """The plan a run started at `now` builds, and the deadline it announces."""
    closes = choose_closing(now, settings.time_zone)
    return build_plan(settings, deadline_day(closes, settings.time_zone)), closes


def competition(plan: RoundPlan, closes: datetime) -> Competition:
    body = bodies.competition_body(
        plan.competition, opens_at=closes - timedelta(days=30), closes_at=closes
    )
    terms = competition_terms(ParseDict(body, competitions_pb2.Competition()))
    return Competition.create(id="c-1", owner=FUNDER, terms=terms, now=NOW).open(NOW)


def organisation(org: OrganisationPlan) -> Organisation:
    message = ParseDict(bodies.organisation_body(org), organisations_pb2.Organisation())
    return Organisation.create(
        id=f"o-{org.number}", owner="x", terms=organisation_terms(message), now=NOW
    )


def application(app: ApplicationPlan) -> Application:
    message = ParseDict(
        bodies.application_body(app, "c-1", f"o-{app.number}"), applications_pb2.Application()
    )
    return Application.draft(
        id=f"a-{app.number}",
        competition_id="c-1",
        organisation_id=f"o-{app.number}",
        content=application_content(message),
        now=NOW,
    )


def agreement(app: ApplicationPlan, required: tuple[str, ...] = (BENEFICIARIES,)) -> Agreement:
    """The agreement impact makes from the award of `app` (as its AwardDecided handler does)."""
    return Agreement(
        id=f"a-{app.number}",
        competition_id="c-1",
        organisation_id=f"o-{app.number}",
        organisation_inn="7707083893",
        organisation_name="АНО «Тест»",
        region_code=app.regions[0],
        direction_code=app.direction,
        title=app.title,
        funder=FUNDER,
        grant=Money(app.requested),
        cofinancing_committed=cofinancing_from([(s.type, Money(s.amount)) for s in app.sources]),
        starts_on=app.start,
        ends_on=app.end,
        budget=budget_from(
            [(line.category, Money(line.grant), Money(line.cofinanced)) for line in app.lines]
        ),
        indicators=indicators_from(
            [
                (r.title, r.unit, Decimal(r.target), Decimal(0), r.indicator_code)
                for r in app.results
            ],
            CATALOGUE,
            required_codes=list(required),
        ),
        schedule=reporting_schedule(app.start, app.end),
        created_at=NOW,
    )


def as_json(a: Agreement) -> dict[str, Any]:
    """The agreement as the gateway renders it."""
    return MessageToDict(agreement_to_proto(a), always_print_fields_with_no_presence=True)
