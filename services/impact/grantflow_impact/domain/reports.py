"""Grantee reports per reporting period: their validation and lifecycle.

A report holds indicator actuals, expenditure per budget line, co-financing received and the
organisation's finances. Lifecycle, per (agreement, period):

    save_draft -> DRAFT -(submit)-> SUBMITTED -(accept)-> ACCEPTED
                                              -(return_report)-> RETURNED
    SUBMITTED / RETURNED / ACCEPTED -(correct)-> a new version, SUBMITTED

A draft may be replaced as often as the grantee likes; once submitted, the content is a record
and changes only by a correction, a new version with a reason, so every version the funder saw
stays in the history. All functions are pure and return new objects.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from grantflow_runtime.errors import FailedPrecondition, FieldViolation, Violations
from grantflow_runtime.money import Money

from grantflow_impact.domain.agreements import Agreement, ReportingPeriod, same_unit
from grantflow_impact.domain.attainment import round_half_up

MAX_NARRATIVE = 20_000
MAX_REASON = 2_000
MAX_COMMENT = 5_000
# The fixed revenue categories of the sustainability assessment, so figures compare across
# organisations and over time (DOMAIN.md, "After the award").
REVENUE_CATEGORIES = ("grants", "earned_income", "donations", "business", "government")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


# States in which the report for a period counts as filed: it is not late and a second
# submission is refused. A returned report was filed on time; fixing it is a correction.
FILED_STATES = frozenset({ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.RETURNED})
_CORRECTABLE = (ReportState.SUBMITTED, ReportState.RETURNED, ReportState.ACCEPTED)


@dataclass(frozen=True)
class IndicatorValue:
    key: str
    value: Decimal | None  # None = not reported: missing, not zero
    unit: str
    # Percentage indicators only: the parts the percentage comes from, so rollups can pool them.
    numerator: Decimal | None = None
    denominator: Decimal | None = None


@dataclass(frozen=True)
class Expenditure:
    category: str
    grant_part: Money
    cofinanced_part: Money
    spent_on: date | None = None  # date of the largest payment; must lie in the period when given


@dataclass(frozen=True)
class FinancesInput:
    """The organisation's finances for the sustainability assessment.

    `net_assets` (unrestricted net assets or reserves) may be negative: an accumulated deficit is
    exactly what the assessment must see. Revenue and expenses cannot be negative.
    """

    revenue: Mapping[str, Money]  # keys among REVENUE_CATEGORIES; a missing key means none
    expenses: Money
    net_assets: Money
    period_months: int = 12  # the months revenue and expenses cover


@dataclass(frozen=True)
class ReportContent:
    indicator_values: tuple[IndicatorValue, ...]
    expenditures: tuple[Expenditure, ...]
    cofinancing_received: tuple[tuple[str, Money], ...]  # by source type
    finances: FinancesInput | None
    narrative: str


@dataclass(frozen=True)
class Report:
    id: str  # one id per version: a correction is a new row, the versions before it stay
    agreement_id: str
    period_number: int
    version: int
    state: ReportState
    content: ReportContent
    correction_reason: str
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str
    decision_comment: str
    created_at: datetime
    updated_at: datetime


def _key_path(prefix: str, key: str) -> str:
    # Map keys become path segments (AIP-161), quoted with backticks when not identifiers.
    return f"{prefix}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{prefix}.`{key}`"


def validate_report(
    agreement: Agreement, period_number: int, content: ReportContent, prefix: str = "report"
) -> list[FieldViolation]:
    """Every broken rule of a report's content, in field order; an empty list when valid.

    Rules: the period is one of the agreement's ("period"); each indicator key is the agreement's
    ("unknown") and given once ("duplicate"); a unit is given ("required") and is the agreement
    indicator's ("unit"); values are finite and not negative ("range"). Percentage indicators
    may carry numerator and denominator, both or neither ("required"), with 0 <= numerator <=
    denominator and denominator > 0 ("range"), and a value given with them must be 100 ×
    numerator / denominator to the value's own precision ("consistency"); a percentage is
    0..100 ("range"); numerator and denominator on other indicators are refused ("unit").
    Expenditure categories are budget lines ("unknown") given once ("duplicate"), with parts not
    negative ("range") and spent_on inside the period ("period"). Co-financing sources are among
    the agreement's commitments ("unknown"), once ("duplicate"), not negative ("range").
    Revenue keys are REVENUE_CATEGORIES ("unknown"); revenue and expenses are not negative
    ("range"), net assets may be; period_months is 1..12 ("range"). Every amount is in the
    agreement's currency ("currency"). The narrative is at most MAX_NARRATIVE characters
    ("max_len").

    Completeness is not a rule: a value left out is reported as missing, never as zero.
    """
    v = Violations()
    period = agreement.period(period_number)
    if period is None:
        numbers = ", ".join(str(p.number) for p in agreement.schedule)
        v.add(
            f"{prefix}.period_number",
            f"period {period_number} is not one of the agreement's reporting periods ({numbers})",
            "period",
        )
    _check_indicators(v, agreement, content, prefix)
    _check_expenditures(v, agreement, period, content, prefix)
    _check_cofinancing(v, agreement, content, prefix)
    if content.finances is not None:
        _check_finances(v, agreement, content.finances, f"{prefix}.finances")
    if len(content.narrative) > MAX_NARRATIVE:
        v.add(f"{prefix}.narrative", f"must be at most {MAX_NARRATIVE} characters", "max_len")
    return list(v)


def check_report(
    agreement: Agreement, period_number: int, content: ReportContent, prefix: str = "report"
) -> None:
    """validate_report, raising InvalidArgument with every violation."""
    v = Violations()
    for item in validate_report(agreement, period_number, content, prefix):
        v.add(item.field, item.description, item.rule)
    v.raise_if_any()


def _check_number(v: Violations, path: str, number: Decimal) -> bool:
    """Adds a "range" violation for a non-finite or negative number; True when the number is fine."""
    if not number.is_finite():
        v.add(path, "must be a finite number", "range")
        return False
    if number < 0:
        v.add(path, "must not be negative", "range")
        return False
    return True


def _check_money(v: Violations, path: str, amount: Money, currency: str, *, signed: bool) -> None:
    if amount.currency != currency:
        v.add(path, f"must be in {currency}, not {amount.currency}", "currency")
    if not signed and amount.minor_units < 0:
        v.add(path, "must not be negative", "range")


def _check_indicators(
    v: Violations, agreement: Agreement, content: ReportContent, prefix: str
) -> None:
    seen: set[str] = set()
    for i, item in enumerate(content.indicator_values):
        path = f"{prefix}.indicator_values[{i}]"
        indicator = agreement.indicator(item.key)
        if indicator is None:
            v.add(f"{path}.key", f"{item.key!r} is not an indicator of the agreement", "unknown")
        elif item.key in seen:
            v.add(f"{path}.key", f"{item.key!r} is reported more than once", "duplicate")
        seen.add(item.key)
        if not item.unit.strip():
            v.add(f"{path}.unit", "is required", "required")
        elif indicator is not None and not same_unit(item.unit, indicator.unit):
            v.add(
                f"{path}.unit",
                f"{item.key!r} is measured in {indicator.unit!r}, not {item.unit.strip()!r}",
                "unit",
            )
        value_ok = item.value is not None and _check_number(v, f"{path}.value", item.value)
        percentage = indicator is not None and indicator.is_percentage
        if value_ok and percentage and item.value is not None and item.value > 100:
            v.add(f"{path}.value", "a percentage must be between 0 and 100", "range")
            value_ok = False
        has_parts = item.numerator is not None or item.denominator is not None
        if not has_parts:
            continue
        if indicator is not None and not percentage:
            v.add(
                f"{path}.numerator",
                f"numerator and denominator apply to percentage indicators only; "
                f"{item.key!r} is measured in {indicator.unit!r}",
                "unit",
            )
            continue
        if item.numerator is None:
            v.add(f"{path}.numerator", "is required with a denominator", "required")
        if item.denominator is None:
            v.add(f"{path}.denominator", "is required with a numerator", "required")
        if item.numerator is None or item.denominator is None:
            continue
        numerator_ok = _check_number(v, f"{path}.numerator", item.numerator)
        denominator_ok = _check_number(v, f"{path}.denominator", item.denominator)
        if denominator_ok and item.denominator == 0:
            v.add(f"{path}.denominator", "must be greater than 0", "range")
            denominator_ok = False
        if not (numerator_ok and denominator_ok):
            continue
        if item.numerator > item.denominator:
            v.add(f"{path}.numerator", "must not exceed the denominator", "range")
            continue
        if value_ok and item.value is not None:
            places = max(0, -int(item.value.as_tuple().exponent))
            share = 100 * Fraction(item.numerator) / Fraction(item.denominator)
            expected = round_half_up(share, places)
            if expected != item.value:
                v.add(
                    f"{path}.value",
                    f"must be 100 × numerator / denominator = {expected}",
                    "consistency",
                )


def _check_expenditures(
    v: Violations,
    agreement: Agreement,
    period: ReportingPeriod | None,
    content: ReportContent,
    prefix: str,
) -> None:
    currency = agreement.grant.currency
    seen: set[str] = set()
    for i, item in enumerate(content.expenditures):
        path = f"{prefix}.expenditures[{i}]"
        if agreement.budget_line(item.category) is None:
            v.add(
                f"{path}.category",
                f"{item.category!r} is not a budget line of the agreement",
                "unknown",
            )
        elif item.category in seen:
            v.add(f"{path}.category", f"{item.category!r} is reported more than once", "duplicate")
        seen.add(item.category)
        _check_money(v, f"{path}.grant_part", item.grant_part, currency, signed=False)
        _check_money(v, f"{path}.cofinanced_part", item.cofinanced_part, currency, signed=False)
        # Without a known period there is nothing to compare with; "period" is reported once.
        if item.spent_on is not None and period is not None and not period.contains(item.spent_on):
            v.add(
                f"{path}.spent_on",
                f"must lie in period {period.number} "
                f"({period.starts_on.isoformat()} to {period.ends_on.isoformat()})",
                "period",
            )


def _check_cofinancing(
    v: Violations, agreement: Agreement, content: ReportContent, prefix: str
) -> None:
    currency = agreement.grant.currency
    seen: set[str] = set()
    for i, (source, amount) in enumerate(content.cofinancing_received):
        path = f"{prefix}.cofinancing_received[{i}]"
        if agreement.committed(source) is None:
            known = ", ".join(name for name, _ in agreement.cofinancing_committed) or "none"
            v.add(
                f"{path}.source",
                f"{source!r} is not a committed co-financing source (committed: {known})",
                "unknown",
            )
        elif source in seen:
            v.add(f"{path}.source", f"{source!r} is reported more than once", "duplicate")
        seen.add(source)
        _check_money(v, f"{path}.amount", amount, currency, signed=False)


def _check_finances(
    v: Violations, agreement: Agreement, finances: FinancesInput, prefix: str
) -> None:
    currency = agreement.grant.currency
    for key, amount in finances.revenue.items():
        path = _key_path(f"{prefix}.revenue", key)
        if key not in REVENUE_CATEGORIES:
            v.add(
                path,
                f"{key!r} is not a revenue category; use {', '.join(REVENUE_CATEGORIES)}",
                "unknown",
            )
        _check_money(v, path, amount, currency, signed=False)
    _check_money(v, f"{prefix}.expenses", finances.expenses, currency, signed=False)
    _check_money(v, f"{prefix}.net_assets", finances.net_assets, currency, signed=True)
    if not 1 <= finances.period_months <= 12:
        v.add(f"{prefix}.period_months", "must be between 1 and 12", "range")


def _require(report: Report, allowed: Collection[ReportState], action: str) -> None:
    if report.state not in allowed:
        names = " or ".join(s.value for s in ReportState if s in allowed)
        raise FailedPrecondition(
            f"the report for period {report.period_number} is {report.state.value}; "
            f"only a {names} report can be {action}",
            reason="STATE",
        )


def save_draft(
    existing: Report | None,
    *,
    id: str,
    agreement: Agreement,
    period_number: int,
    content: ReportContent,
    now: datetime,
) -> Report:
    """A new draft for the period, or `existing` (a draft) with its content replaced.

    `existing` is the latest version of the period's report, if any. A draft is validated in full
    (InvalidArgument with every violation) because no rule asks for completeness: what is stored
    is always submittable. Replacing a draft keeps its id, version and created_at; `id` is used
    only for a new report. Over a submitted, returned or accepted report this raises
    FailedPrecondition(reason="STATE"): that content is a record, changed only by `correct`.
    """
    if existing is not None and (
        existing.agreement_id != agreement.id or existing.period_number != period_number
    ):
        raise ValueError(
            f"report {existing.id} belongs to {existing.agreement_id} period "
            f"{existing.period_number}, not {agreement.id} period {period_number}"
        )
    if existing is not None:
        _require(existing, (ReportState.DRAFT,), "replaced by a draft; file a correction instead")
    check_report(agreement, period_number, content)
    if existing is not None:
        return replace(existing, content=content, updated_at=now)
    return Report(
        id=id,
        agreement_id=agreement.id,
        period_number=period_number,
        version=1,
        state=ReportState.DRAFT,
        content=content,
        correction_reason="",
        submitted_at=None,
        decided_at=None,
        decided_by="",
        decision_comment="",
        created_at=now,
        updated_at=now,
    )


def submit(report: Report, now: datetime) -> Report:
    """DRAFT -> SUBMITTED. A second submission for the period is refused (STATE): the period's
    latest report is then already submitted; `correct` files a new version instead."""
    _require(report, (ReportState.DRAFT,), "submitted")
    return replace(report, state=ReportState.SUBMITTED, submitted_at=now, updated_at=now)


def correction_id(report: Report) -> str:
    """The id of the version after `report`: "<first id>-v<n>", the same however often the
    correction is retried, so a redelivered request finds the version it already made."""
    base = report.id
    suffix = f"-v{report.version}"
    if report.version > 1 and base.endswith(suffix):
        base = base[: -len(suffix)]
    return f"{base}-v{report.version + 1}"


def correct(
    submitted: Report,
    content: ReportContent,
    reason: str,
    now: datetime,
    *,
    agreement: Agreement | None = None,
    id: str | None = None,
) -> Report:
    """A corrected version of a filed report: version + 1, SUBMITTED, with the reason.

    Allowed from SUBMITTED (the grantee found a mistake), RETURNED (the funder asked for a fix)
    and ACCEPTED (a mistake found later; the accepted version stays in the history and keeps
    counting until the funder accepts the correction). A DRAFT is simply replaced instead.
    The reason is required (field "correction_reason"). Pass `agreement` to have the content
    validated too, every violation reported with the reason's in one InvalidArgument; without
    it the caller must have run validate_report. The new version gets `id`, by default
    `correction_id(submitted)`; the decision fields are cleared, the new version is undecided.
    """
    _require(submitted, _CORRECTABLE, "corrected")
    v = Violations()
    if agreement is not None:
        for item in validate_report(agreement, submitted.period_number, content):
            v.add(item.field, item.description, item.rule)
    reason = reason.strip()
    if not reason:
        v.add("correction_reason", "is required: say what the correction changes", "required")
    elif len(reason) > MAX_REASON:
        v.add("correction_reason", f"must be at most {MAX_REASON} characters", "max_len")
    v.raise_if_any()
    return replace(
        submitted,
        id=id or correction_id(submitted),
        version=submitted.version + 1,
        state=ReportState.SUBMITTED,
        content=content,
        correction_reason=reason,
        submitted_at=now,
        decided_at=None,
        decided_by="",
        decision_comment="",
        created_at=now,
        updated_at=now,
    )


def _decide(
    report: Report, state: ReportState, by: str, comment: str, now: datetime, action: str
) -> Report:
    _require(report, (ReportState.SUBMITTED,), action)
    v = Violations()
    if not by.strip():
        v.add("decided_by", "is required: who decided", "required")
    comment = comment.strip()
    if state is ReportState.RETURNED and not comment:
        v.add("comment", "is required: tell the grantee what to fix", "required")
    elif len(comment) > MAX_COMMENT:
        v.add("comment", f"must be at most {MAX_COMMENT} characters", "max_len")
    v.raise_if_any()
    return replace(
        report,
        state=state,
        decided_at=now,
        decided_by=by.strip(),
        decision_comment=comment,
        updated_at=now,
    )


def accept(report: Report, by: str, comment: str, now: datetime) -> Report:
    """SUBMITTED -> ACCEPTED: from now on its values count. The comment is optional."""
    return _decide(report, ReportState.ACCEPTED, by, comment, now, "accepted")


def return_report(report: Report, by: str, comment: str, now: datetime) -> Report:
    """SUBMITTED -> RETURNED with a required comment; the grantee answers with `correct`."""
    return _decide(report, ReportState.RETURNED, by, comment, now, "returned")


def filed_periods(reports: Collection[Report]) -> frozenset[int]:
    """Periods with a filed report (any version in FILED_STATES), for `late_periods`."""
    return frozenset(r.period_number for r in reports if r.state in FILED_STATES)


def late_periods(
    agreement: Agreement, submitted_periods: Collection[int], today: date
) -> tuple[ReportingPeriod, ...]:
    """Periods whose report was due before `today` and has not been filed.

    On the due date itself the report is still on time. `submitted_periods` are the periods with
    a submitted, accepted or returned report (see `filed_periods`): a returned report was filed,
    its correction is the funder's follow-up, not lateness.
    """
    filed = set(submitted_periods)
    return tuple(p for p in agreement.schedule if p.due_on < today and p.number not in filed)
