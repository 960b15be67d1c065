"""The rules an application must meet at submission, checked all at once.

`check_submission` returns every violation with its field path and rule, so an applicant fixes
everything in one pass; an empty list means the application may be submitted. A draft may be
incomplete (`applications.check_draft` only bounds sizes); completeness is decided here.
Descriptions are plain sentences for the applicant and never quote personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from grantflow_runtime.errors import FieldViolation, Violations
from grantflow_runtime.money import RUB, Money

from grantflow_applications.domain.applications import (
    MAX_SUMMARY,
    MAX_TEXT,
    Application,
    ApplicationContent,
    CofinancingType,
)
from grantflow_applications.domain.competitions import Competition
from grantflow_applications.domain.identifiers import inn_issue
from grantflow_applications.domain.organisations import Organisation, add_months
from grantflow_applications.domain.regions import REGIONS
from grantflow_applications.domain.totals import share_percent, totals

HUNDRED = Fraction(100)


def check_submission(
    application: Application,
    competition: Competition,
    organisation: Organisation,
    *,
    now: datetime,
    filed_before: int,
    prefix: str = "application",
) -> list[FieldViolation]:
    """Every rule `application` breaks if submitted at `now`; empty when it may be submitted.

    `filed_before` counts this organisation's applications to this competition that are already
    submitted or further along (withdrawn ones excluded), not counting `application` itself.
    """
    v = Violations()
    content = application.content
    deadline_day = competition.local_deadline().date()

    _check_competition(v, prefix, application, competition, now)
    _check_content(v, prefix, content, competition, deadline_day)
    lines_in_roubles = all(
        line.grant_amount.currency == RUB and line.cofinanced_amount.currency == RUB
        for line in content.budget_lines
    )
    sources_in_roubles = all(s.amount.currency == RUB for s in content.cofinancing_sources)
    # Sums over mixed currencies mean nothing; the currency violations are already reported,
    # and the totals below are checked once the applicant has fixed them.
    requested = (
        _sum(line.grant_amount for line in content.budget_lines) if lines_in_roubles else None
    )
    _check_organisation(
        v, prefix, application, competition, organisation, filed_before, requested, deadline_day
    )
    if requested is not None and content.budget_lines:
        _check_requested(v, prefix, requested, competition)
    if lines_in_roubles and sources_in_roubles:
        _check_budget_sum(v, prefix, content)
        _check_cofinancing_share(v, prefix, content, competition)
    return list(v)


def project_months(start: date, end: date) -> int:
    """Duration in whole months, a partial month counting as a whole one: the fewest n with
    start + n months after `end` (inclusive end), so 2026-04-01..2026-09-30 is 6 months and
    2026-04-01..2026-10-01 is 7."""
    months = max(0, (end.year - start.year) * 12 + end.month - start.month)
    while add_months(start, months) <= end:
        months += 1
    return months


def _sum(amounts: Iterable[Money]) -> Money:
    return sum(amounts, Money(0, RUB))


def _local(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def _check_competition(
    v: Violations, prefix: str, application: Application, competition: Competition, now: datetime
) -> None:
    field = f"{prefix}.competition_id"
    if application.competition_id != competition.id:
        v.add(field, "does not match the competition the application is submitted to", "mismatch")
    if competition.is_accepting(now):
        return
    if now >= competition.closes_at:
        message = f"submissions closed at {_local(competition.closes_at, competition.time_zone)}"
    elif now < competition.opens_at:
        message = f"submissions open at {_local(competition.opens_at, competition.time_zone)}"
    else:
        message = f"the competition is {competition.state.value} and does not accept submissions"
    v.add(field, message, "closed")


def _check_organisation(
    v: Violations,
    prefix: str,
    application: Application,
    competition: Competition,
    organisation: Organisation,
    filed_before: int,
    requested: Money | None,
    deadline_day: date,
) -> None:
    field = f"{prefix}.organisation_id"
    if application.organisation_id != organisation.id:
        v.add(field, "does not match the organisation submitting the application", "mismatch")
    if organisation.legal_form not in competition.eligible_legal_forms:
        forms = ", ".join(form.value for form in competition.eligible_legal_forms)
        v.add(
            field,
            f"organisations of legal form {organisation.legal_form.value!r} may not apply to this"
            f" competition; eligible forms: {forms}",
            "legal_form",
        )
    regions = competition.eligible_region_codes
    if regions and organisation.region_code not in regions:
        v.add(
            field,
            f"organisations registered in {organisation.region_code} may not apply to this"
            " competition; it is open to organisations of its eligible regions only",
            "region",
        )
    limit = competition.max_applications_per_organisation
    if filed_before >= limit:
        v.add(
            field,
            f"the organisation has already submitted {filed_before} application(s) to this"
            f" competition, and at most {limit} are allowed",
            "limit",
        )
    # A request whose amount is unknown (a currency to fix) must meet the general requirement.
    small = (
        requested is not None and requested.minor_units <= competition.small_request_max.minor_units
    )
    needed = (
        competition.min_registration_months_small if small else competition.min_registration_months
    )
    if needed > 0 and organisation.registration_months_before(deadline_day) < needed:
        rule_text = (
            f"{competition.min_registration_months_small} months for requests of at most"
            f" {competition.small_request_max}"
            if small
            else f"{competition.min_registration_months} months"
        )
        v.add(
            field,
            f"the organisation must have been registered at least {rule_text} before the"
            f" deadline, {deadline_day.isoformat()}",
            "registration_age",
        )


def _check_text(v: Violations, field: str, text: str, most: int) -> None:
    if not text.strip():
        v.add(field, "is required", "required")
    elif len(text) > most:
        v.add(field, f"must be at most {most} characters", "max_len")


def _check_content(
    v: Violations,
    prefix: str,
    content: ApplicationContent,
    competition: Competition,
    deadline_day: date,
) -> None:
    _check_text(v, f"{prefix}.title", content.title, MAX_TEXT)
    _check_text(v, f"{prefix}.summary", content.summary, MAX_SUMMARY)

    if not content.direction_code:
        v.add(f"{prefix}.direction_code", "is required", "required")
    elif content.direction_code not in competition.direction_codes:
        directions = ", ".join(competition.direction_codes)
        v.add(
            f"{prefix}.direction_code",
            f"{content.direction_code!r} is not a direction of this competition; choose one of:"
            f" {directions}",
            "membership",
        )

    _check_regions(v, prefix, content, competition)
    _check_dates(v, prefix, content, competition, deadline_day)

    if not content.target_groups:
        v.add(f"{prefix}.target_groups", "must name at least one target group", "required")
    for i, group in enumerate(content.target_groups):
        if not group.strip():
            v.add(f"{prefix}.target_groups[{i}]", "is required", "required")

    if not content.planned_results:
        v.add(f"{prefix}.planned_results", "must list at least one planned result", "required")
    for i, result in enumerate(content.planned_results):
        where = f"{prefix}.planned_results[{i}]"
        if not result.title.strip():
            v.add(f"{where}.title", "is required", "required")
        if not result.unit.strip():
            v.add(f"{where}.unit", "is required", "required")
        # NaN and infinities are neither positive nor a target anyone can reach.
        if not result.target_value.is_finite() or result.target_value <= 0:
            v.add(f"{where}.target_value", "must be a number above zero", "range")
        if not result.baseline_value.is_finite() or result.baseline_value < 0:
            v.add(f"{where}.baseline_value", "must be zero or more", "range")

    _check_budget_lines(v, prefix, content)
    _check_sources(v, prefix, content)


def _check_regions(
    v: Violations, prefix: str, content: ApplicationContent, competition: Competition
) -> None:
    if not content.region_codes:
        v.add(
            f"{prefix}.region_codes",
            "must name at least one region where the project runs",
            "required",
        )
    eligible = competition.eligible_region_codes
    for i, code in enumerate(content.region_codes):
        if code not in REGIONS:
            v.add(
                f"{prefix}.region_codes[{i}]",
                f"{code!r} is not an ISO 3166-2:RU federal subject",
                "catalogue",
            )
        elif eligible and code not in eligible:
            v.add(
                f"{prefix}.region_codes[{i}]",
                f"{code} is not among the regions this competition funds projects in",
                "eligibility",
            )


def _check_dates(
    v: Violations,
    prefix: str,
    content: ApplicationContent,
    competition: Competition,
    deadline_day: date,
) -> None:
    start, end = content.start_date, content.end_date
    if start is None:
        v.add(f"{prefix}.start_date", "is required", "required")
    elif start < deadline_day:
        # Projects start once the call has closed, never before the money can be awarded.
        v.add(
            f"{prefix}.start_date",
            f"must not be before {deadline_day.isoformat()}, the day the competition closes",
            "order",
        )
    if end is None:
        v.add(f"{prefix}.end_date", "is required", "required")
    if start is None or end is None:
        return
    if end <= start:
        v.add(f"{prefix}.end_date", "must be after the start date", "order")
        return
    months = project_months(start, end)
    if months > competition.max_duration_months:
        v.add(
            f"{prefix}.end_date",
            f"the project would run {months} months (a started month counts as a whole one);"
            f" this competition allows at most {competition.max_duration_months}",
            "range",
        )


def _check_amount(v: Violations, field: str, amount: Money, *, positive: bool) -> bool:
    """True when `amount` is in roubles and in range."""
    if amount.currency != RUB:
        v.add(field, f"must be in {RUB}", "currency")
        return False
    if amount.minor_units < 0 or (positive and amount.minor_units == 0):
        v.add(field, "must be above zero" if positive else "must not be negative", "range")
        return False
    return True


def _check_budget_lines(v: Violations, prefix: str, content: ApplicationContent) -> None:
    if not content.budget_lines:
        v.add(f"{prefix}.budget_lines", "must have at least one line", "required")
    for i, line in enumerate(content.budget_lines):
        where = f"{prefix}.budget_lines[{i}]"
        if not line.category.strip():
            v.add(f"{where}.category", "is required", "required")
        grant_ok = _check_amount(v, f"{where}.grant_amount", line.grant_amount, positive=False)
        cofinanced_ok = _check_amount(
            v, f"{where}.cofinanced_amount", line.cofinanced_amount, positive=False
        )
        if (
            grant_ok
            and cofinanced_ok
            and not (line.grant_amount.minor_units + line.cofinanced_amount.minor_units)
        ):
            v.add(
                where,
                "must have a grant or a co-financed amount above zero; delete an empty line",
                "range",
            )


def _check_sources(v: Violations, prefix: str, content: ApplicationContent) -> None:
    # A source of a type the competition does not allow is no violation: it simply does not
    # count toward the co-financing share (see `_check_cofinancing_share`), and if the share
    # then falls short, that is reported as the one thing to fix.
    for i, source in enumerate(content.cofinancing_sources):
        where = f"{prefix}.cofinancing_sources[{i}]"
        if source.type is None:
            v.add(f"{where}.type", "is required", "required")
        elif source.type is CofinancingType.BUSINESS_PARTNER:
            if not source.partner_name.strip():
                v.add(f"{where}.partner_name", "is required for a business partner", "required")
            if not source.partner_inn:
                v.add(f"{where}.partner_inn", "is required for a business partner", "required")
            else:
                # A partner may be a company (10 digits) or an individual entrepreneur (12).
                problem = inn_issue(source.partner_inn)
                if problem is not None:
                    v.add(f"{where}.partner_inn", problem.description, problem.rule)
        _check_amount(v, f"{where}.amount", source.amount, positive=True)


def _check_requested(
    v: Violations, prefix: str, requested: Money, competition: Competition
) -> None:
    lo, hi = competition.min_grant, competition.max_grant
    if not lo.minor_units <= requested.minor_units <= hi.minor_units:
        v.add(
            f"{prefix}.budget_lines",
            f"the grant requested (the sum of the lines' grant amounts) is {requested}; this"
            f" competition awards from {lo} to {hi}",
            "range",
        )


def _check_budget_sum(v: Violations, prefix: str, content: ApplicationContent) -> None:
    lines = _sum(line.cofinanced_amount for line in content.budget_lines)
    sources = _sum(source.amount for source in content.cofinancing_sources)
    if lines != sources:
        v.add(
            f"{prefix}.budget_lines",
            f"the co-financed amounts of the budget lines add up to {lines}, but the co-financing"
            f" sources add up to {sources}; they must be equal",
            "sum",
        )


def _check_cofinancing_share(
    v: Violations, prefix: str, content: ApplicationContent, competition: Competition
) -> None:
    minimum = Fraction(competition.min_cofinancing_percent) / HUNDRED
    if minimum <= 0:
        return
    counted = totals(
        content,
        allowed_types=competition.allowed_cofinancing_types,
        in_kind_cap_percent=competition.in_kind_cap_percent,
    )
    share = counted.cofinancing_share
    if share >= minimum:
        return
    achieved, required = share_percent(share), share_percent(minimum)
    # Rounded to 2 places a share just short of the minimum can print as the minimum itself.
    below = "just below" if achieved >= required else "below"
    notes = []
    if set(competition.allowed_cofinancing_types) != set(CofinancingType):
        kinds = ", ".join(kind.value for kind in competition.allowed_cofinancing_types)
        notes.append(f"only these source types count: {kinds}")
    if competition.in_kind_cap_percent < Decimal(100):
        notes.append(
            f"in-kind contributions count up to {competition.in_kind_cap_percent}% of the"
            " counted co-financing"
        )
    detail = f" ({'; '.join(notes)})" if notes else ""
    v.add(
        f"{prefix}.cofinancing_sources",
        f"the co-financing counted is {achieved}% of the project's cost, {below} the minimum of"
        f" {required}% this competition requires{detail}",
        "minimum",
    )
