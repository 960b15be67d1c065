"""The seeded round as plain data: what the demo will register, apply for and score. Amounts are
integer kopecks, as everywhere in Grantflow."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Flaw(StrEnum):
    """The one submission rule an invalid application breaks."""

    COFINANCING_BELOW_MINIMUM = "cofinancing_below_minimum"
    OVER_MAX_GRANT = "over_max_grant"
    TOO_LONG = "too_long"
    INELIGIBLE_REGION = "ineligible_region"
    REGISTERED_TOO_RECENTLY = "registered_too_recently"


# The violation (field path, rule) the applications service reports for each flaw.
FLAW_RULES: dict[Flaw, tuple[str, str]] = {
    Flaw.COFINANCING_BELOW_MINIMUM: ("application.cofinancing_sources", "minimum"),
    Flaw.OVER_MAX_GRANT: ("application.budget_lines", "range"),
    Flaw.TOO_LONG: ("application.end_date", "range"),
    Flaw.INELIGIBLE_REGION: ("application.organisation_id", "region"),
    Flaw.REGISTERED_TOO_RECENTLY: ("application.organisation_id", "registration_age"),
}


@dataclass(frozen=True)
class CompetitionPlan:
    title: str
    description: str
    directions: tuple[str, ...]
    min_grant: int
    max_grant: int
    budget: int
    quotas: tuple[tuple[str, int], ...]
    min_cofinancing_percent: str
    allowed_cofinancing_types: tuple[str, ...]
    in_kind_cap_percent: str
    max_duration_months: int
    eligible_regions: tuple[str, ...]
    required_indicators: tuple[str, ...]
    time_zone: str
    deadline: date  # the deadline's calendar day where it is announced; projects start on it


@dataclass(frozen=True)
class OrganisationPlan:
    number: int
    name: str
    legal_form: str
    inn: str
    ogrn: str
    region: str
    registered_on: date
    contact_name: str
    email: str
    phone: str
    website: str


@dataclass(frozen=True)
class BudgetLinePlan:
    category: str
    description: str
    grant: int
    cofinanced: int


@dataclass(frozen=True)
class SourcePlan:
    type: str  # as the agreement names it: own_funds, business_partner, regional_budget, in_kind
    partner_name: str
    partner_inn: str
    amount: int
    confirmation_letter: bool


@dataclass(frozen=True)
class ResultPlan:
    title: str
    unit: str
    target: int
    indicator_code: str = ""


@dataclass(frozen=True)
class ApplicationPlan:
    number: int  # the organisation's number: one application per organisation
    direction: str
    title: str
    summary: str
    regions: tuple[str, ...]
    start: date
    end: date
    target_groups: tuple[str, ...]
    results: tuple[ResultPlan, ...]
    lines: tuple[BudgetLinePlan, ...]
    sources: tuple[SourcePlan, ...]
    flaw: Flaw | None
    # Merit on the 0-100 scale the experts' totals scatter around.
    quality: float
    # One of its first experts misjudges it badly, so the service brings in extra experts.
    divergent: bool

    @property
    def requested(self) -> int:
        return sum(line.grant for line in self.lines)

    @property
    def cofinancing(self) -> int:
        return sum(source.amount for source in self.sources)


@dataclass(frozen=True)
class ExpertPlan:
    number: int
    subject: str
    name: str
    directions: tuple[str, ...]
    region: str
    affiliations: tuple[str, ...]  # INNs of organisations or partners the expert works for
    declared: tuple[tuple[str, str], ...]  # (organisation INN, reason) the expert declares
    max_load: int
    # How much harsher (negative) or kinder the expert scores each criterion than its merit.
    severity: float


@dataclass(frozen=True)
class RoundPlan:
    seed: int
    competition: CompetitionPlan
    organisations: tuple[OrganisationPlan, ...]
    applications: tuple[ApplicationPlan, ...]
    experts: tuple[ExpertPlan, ...]

    def organisation(self, number: int) -> OrganisationPlan:
        return self.organisations[number - 1]

    def application(self, number: int) -> ApplicationPlan:
        return self.applications[number - 1]


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month (as the services do)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
