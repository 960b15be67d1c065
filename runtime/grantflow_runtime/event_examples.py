"""One realistic example of every event, for the AsyncAPI document and for tests.

Built as protobuf messages, so an example naming a field that does not exist fails at import.
The ids are fixed so the generated document is stable from one run to the next.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.common.v1 import date_pb2, money_pb2
from grantflow.events.v1 import (
    applications_pb2,
    awards_pb2,
    competitions_pb2,
    impact_pb2,
    scoring_pb2,
)

from grantflow_runtime import catalogue
from grantflow_runtime.events import EventSpec

COMPETITION = "4b0c6f1e-8f7a-4c52-9d7e-2f0a3b8c1d10"
APPLICATION = "9e2d4a61-3c1b-4f0e-8a57-6b2c9d0e7f21"
ORGANISATION = "c3a1f5d2-7b64-4e98-a0c1-5d2e8f3b6a32"
EXPERT = "e7f2b3c4-1d5a-4b6c-8e9f-0a1b2c3d4e43"
AGREEMENT = "a5b6c7d8-9e0f-4a1b-8c2d-3e4f5a6b7c54"
REPORT = "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e065"
PRACTICE = "d9c8b7a6-f5e4-4d3c-9b2a-1f0e9d8c7b76"
INN = "7707083893"


def rub(roubles: int) -> money_pb2.Money:
    return money_pb2.Money(minor_units=roubles * 100, currency_code="RUB")


def at(value: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(value).replace(tzinfo=UTC))
    return stamp


def day(year: int, month: int, day: int) -> date_pb2.Date:
    return date_pb2.Date(year=year, month=month, day=day)


_COFINANCING = [
    applications_pb2.CofinancingCommitment(type="own_funds", amount=rub(150_000)),
    applications_pb2.CofinancingCommitment(
        type="business_partner",
        partner_name="Primorye Shipping Company",
        partner_inn="2540016970",
        amount=rub(350_000),
    ),
]
_RESULTS = [
    applications_pb2.PlannedResult(
        title="Families that received early help",
        unit="families",
        target_value="120",
        baseline_value="0",
        indicator_code="families-supported",
    )
]
_BUDGET = [
    applications_pb2.BudgetLine(
        category="salaries",
        description="Two family counsellors, 18 months",
        grant_amount=rub(1_600_000),
        cofinanced_amount=rub(150_000),
    ),
    applications_pb2.BudgetLine(
        category="rent",
        description="Consultation room",
        grant_amount=rub(400_000),
        cofinanced_amount=rub(350_000),
    ),
]
_ORGANISATION_NAME = "Family Support Foundation 'Harbour'"

EXAMPLES: dict[str, Message] = {
    catalogue.COMPETITION_OPENED.subject: competitions_pb2.CompetitionOpened(
        competition_id=COMPETITION,
        title="Social innovation in the Far East, 2026",
        direction_codes=["family", "social-services"],
        min_grant=rub(100_000),
        max_grant=rub(3_000_000),
        budget=rub(50_000_000),
        opens_at=at("2026-02-01T00:00:00"),
        closes_at=at("2026-03-15T14:59:59"),
        time_zone="Asia/Vladivostok",
        owner="funder-far-east",
        direction_quotas=[
            competitions_pb2.DirectionQuota(direction_code="family", amount=rub(30_000_000))
        ],
        required_indicator_codes=["beneficiaries-total"],
    ),
    catalogue.COMPETITION_CLOSED.subject: competitions_pb2.CompetitionClosed(
        competition_id=COMPETITION,
        closes_at=at("2026-03-15T14:59:59"),
        closed_at=at("2026-03-15T15:00:00"),
        submitted_applications=412,
    ),
    catalogue.APPLICATION_SUBMITTED.subject: applications_pb2.ApplicationSubmitted(
        application_id=APPLICATION,
        competition_id=COMPETITION,
        organisation_id=ORGANISATION,
        organisation_inn=INN,
        organisation_region_code="RU-PRI",
        organisation_name=_ORGANISATION_NAME,
        partner_inns=["2540016970"],
        direction_code="family",
        region_codes=["RU-PRI", "RU-KHA"],
        requested=rub(2_000_000),
        cofinancing=rub(500_000),
        counted_cofinancing=rub(500_000),
        total_cost=rub(2_500_000),
        cofinancing_share="1/5",
        planned_results=_RESULTS,
        title="Early help for families with young children",
        summary="Counsellors visit families at risk before a crisis, not after it.",
        submitted_at=at("2026-03-01T09:30:00"),
        version=3,
        start_date=day(2026, 7, 1),
        end_date=day(2027, 12, 31),
        cofinancing_sources=_COFINANCING,
        budget_lines=_BUDGET,
    ),
    catalogue.APPLICATION_WITHDRAWN.subject: applications_pb2.ApplicationWithdrawn(
        application_id=APPLICATION,
        competition_id=COMPETITION,
        organisation_id=ORGANISATION,
        reason="The partner withdrew its co-financing.",
        withdrawn_at=at("2026-03-05T11:00:00"),
    ),
    catalogue.APPLICATION_STATUS_CHANGED.subject: applications_pb2.ApplicationStatusChanged(
        application_id=APPLICATION,
        competition_id=COMPETITION,
        organisation_id=ORGANISATION,
        from_state="submitted",
        to_state="under_review",
        reason="The competition closed.",
        changed_at=at("2026-03-15T15:00:00"),
    ),
    catalogue.EXPERTS_ASSIGNED.subject: scoring_pb2.ExpertsAssigned(
        competition_id=COMPETITION,
        application_id=APPLICATION,
        expert_ids=[EXPERT, "e7f2b3c4-1d5a-4b6c-8e9f-0a1b2c3d4e44"],
        assigned_at=at("2026-03-16T08:00:00"),
    ),
    catalogue.SCORE_SUBMITTED.subject: scoring_pb2.ScoreSubmitted(
        competition_id=COMPETITION,
        application_id=APPLICATION,
        expert_id=EXPERT,
        revision=1,
        submitted_at=at("2026-03-20T17:45:00"),
    ),
    catalogue.EXTRA_EXPERT_ASSIGNED.subject: scoring_pb2.ExtraExpertAssigned(
        competition_id=COMPETITION,
        application_id=APPLICATION,
        expert_id="e7f2b3c4-1d5a-4b6c-8e9f-0a1b2c3d4e45",
        experts=3,
        assigned_at=at("2026-03-21T08:00:00"),
    ),
    catalogue.APPLICATION_SCORED.subject: scoring_pb2.ApplicationScored(
        competition_id=COMPETITION,
        application_id=APPLICATION,
        score="87.5",
        experts=3,
        scored_at=at("2026-03-25T12:00:00"),
    ),
    catalogue.AWARD_DECIDED.subject: awards_pb2.AwardDecided(
        application_id=APPLICATION,
        competition_id=COMPETITION,
        organisation_id=ORGANISATION,
        award=rub(2_000_000),
        rank=4,
        score="87.5",
        decided_at=at("2026-04-01T10:00:00"),
        organisation_inn=INN,
        organisation_name=_ORGANISATION_NAME,
        organisation_region_code="RU-PRI",
        direction_code="family",
        region_codes=["RU-PRI", "RU-KHA"],
        title="Early help for families with young children",
        cofinancing_sources=_COFINANCING,
        planned_results=_RESULTS,
        budget_lines=_BUDGET,
        start_date=day(2026, 7, 1),
        end_date=day(2027, 12, 31),
        funder="funder-far-east",
        required_indicator_codes=["beneficiaries-total"],
    ),
    catalogue.APPLICATION_DECLINED.subject: awards_pb2.ApplicationDeclined(
        application_id="9e2d4a61-3c1b-4f0e-8a57-6b2c9d0e7f22",
        competition_id=COMPETITION,
        organisation_id="c3a1f5d2-7b64-4e98-a0c1-5d2e8f3b6a33",
        reason="The direction's quota was exhausted by higher-ranked applications.",
        decided_at=at("2026-04-01T10:00:00"),
    ),
    catalogue.REPORT_SUBMITTED.subject: impact_pb2.ReportSubmitted(
        report_id=REPORT,
        agreement_id=AGREEMENT,
        period_number=2,
        version=1,
        submitted_at=at("2027-01-10T06:00:00"),
    ),
    catalogue.REPORT_ACCEPTED.subject: impact_pb2.ReportAccepted(
        report_id=REPORT,
        agreement_id=AGREEMENT,
        period_number=2,
        version=2,
        accepted_at=at("2027-01-25T09:00:00"),
    ),
    catalogue.REPORT_RETURNED.subject: impact_pb2.ReportReturned(
        report_id=REPORT,
        agreement_id=AGREEMENT,
        period_number=2,
        version=1,
        comment="Attach the partner's payment order for the rent.",
        returned_at=at("2027-01-15T09:00:00"),
    ),
    catalogue.IMPACT_ALERT_RAISED.subject: impact_pb2.ImpactAlertRaised(
        agreement_id=AGREEMENT,
        kind="cofinancing_shortfall",
        subject="business_partner",
        period_number=2,
        message="Co-financing received is 40% of what was committed by this period.",
        severity="WARNING",
        raised_at=at("2027-01-25T09:00:01"),
    ),
    catalogue.IMPACT_ALERT_RESOLVED.subject: impact_pb2.ImpactAlertResolved(
        agreement_id=AGREEMENT,
        kind="cofinancing_shortfall",
        subject="business_partner",
        period_number=2,
        resolved_at=at("2027-04-20T09:00:00"),
    ),
    catalogue.SUSTAINABILITY_ASSESSED.subject: impact_pb2.SustainabilityAssessed(
        agreement_id=AGREEMENT,
        organisation_id=ORGANISATION,
        risk="amber",
        hhi="0.46",
        reserve_months="2.5",
        assessed_at=at("2027-01-25T09:00:01"),
    ),
    catalogue.PRACTICE_REGISTERED.subject: impact_pb2.PracticeRegistered(
        practice_id=PRACTICE,
        agreement_id=AGREEMENT,
        title="Home visits before a crisis",
        direction_code="family",
        origin_region_code="RU-PRI",
        registered_at=at("2028-02-01T10:00:00"),
    ),
    catalogue.PRACTICE_ADOPTED.subject: impact_pb2.PracticeAdopted(
        practice_id=PRACTICE,
        region_code="RU-TA",
        organisation_name="Kazan Family Centre",
        adopted_at=at("2028-05-12T10:00:00"),
    ),
}

EXAMPLE_EVENT_ID = "0b7e3c9a-5f14-4d2b-9a61-8c3e7f2d1a90"
EXAMPLE_REQUEST_ID = "req-3f9c2a7d"
EXAMPLE_TIME = datetime(2026, 4, 1, 10, 0, 0, 125000, tzinfo=UTC)


def example_for(spec: EventSpec[Any]) -> Message:
    """The example of an event kind; every catalogue entry has one (a test checks)."""
    return EXAMPLES[spec.subject]
