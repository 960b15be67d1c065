"""Alerts for funders: conditions on a funded project that need a look, raised once, resolved
when they clear.

An evaluation produces the conditions that hold now (the builders below turn figures into
conditions); `reconcile` compares them with the open alerts and says what to raise and what to
resolve. An alert is identified by (agreement, kind, subject, period), so the same condition in
the same period is raised once however often it is evaluated, and the same condition in a later
period is a new alert. Thresholds are ours, not the national programme's; they are constants
here so they can be shown beside the alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from grantflow_runtime.money import Money

from grantflow_impact.domain.agreements import AgreementIndicator, BudgetLinePlan, ReportingPeriod
from grantflow_impact.domain.attainment import round_half_up

WARNING = "warning"
CRITICAL = "critical"
_SEVERITY_RANK = {WARNING: 1, CRITICAL: 2}

# Prorated attainment (actual against target × elapsed share) below 80% is a warning, below 50%
# critical: a project a fifth behind its own schedule is worth a call, one half behind a visit.
UNDERPERFORMANCE_BELOW = Decimal("0.8")
UNDERPERFORMANCE_CRITICAL_BELOW = Decimal("0.5")
# Co-financing received against committed × elapsed share, with the same bands.
COFINANCING_BELOW = Decimal("0.8")
COFINANCING_CRITICAL_BELOW = Decimal("0.5")
# Grant money spent on a line beyond its plan is a warning; beyond 110% critical, as funders
# commonly let grantees shift up to about a tenth between lines before asking for approval.
OVERSPEND_CRITICAL_ABOVE = Decimal("1.1")
# A report more than this many days past its due date is critical.
LATE_CRITICAL_AFTER_DAYS = 30
ORGANISATION = "organisation"
REPORT = "report"  # the subject of late-report alerts; the period is in the key


class AlertKind(StrEnum):
    UNDERPERFORMANCE = "underperformance"
    COFINANCING_SHORTFALL = "cofinancing_shortfall"
    OVERSPEND = "overspend"
    LATE_REPORT = "late_report"
    SUSTAINABILITY_RISK = "sustainability_risk"


@dataclass(frozen=True)
class AlertKey:
    agreement_id: str
    kind: AlertKind
    subject: str  # indicator key, budget category, co-financing source, or "organisation"
    period_number: int  # the reporting period judged; 0 = not tied to a period


@dataclass(frozen=True)
class Condition:
    key: AlertKey
    message: str
    severity: str  # WARNING or CRITICAL


@dataclass(frozen=True)
class AlertChanges:
    raise_: tuple[Condition, ...]  # conditions now true that have no open alert
    resolve: tuple[AlertKey, ...]  # open alerts in scope whose condition no longer holds

    def __bool__(self) -> bool:
        return bool(self.raise_ or self.resolve)


def _order(key: AlertKey) -> tuple[str, str, str, int]:
    return (key.agreement_id, key.kind.value, key.subject, key.period_number)


def reconcile(
    open_alerts: Collection[AlertKey],
    current: Collection[Condition],
    *,
    scope: Callable[[AlertKey], bool],
) -> AlertChanges:
    """What to raise and resolve so the open alerts match the conditions that hold now.

    `current` must be every condition that holds within `scope` (for example one agreement's
    evaluation): an open alert in scope that is not among them has cleared and is resolved; open
    alerts outside the scope are left alone, since this evaluation did not look at them. A
    condition whose key is already open is not raised again, even when its message or severity
    changed (the alert stays the one raised first). Several conditions with one key are one
    alert: the most severe, the first given among equals. A condition outside `scope` raises
    ValueError: the evaluation would raise what it could never resolve.

    Idempotent: adding the raised keys to the open set and removing the resolved ones, then
    reconciling the same conditions again, changes nothing. Results are sorted by key.
    """
    chosen: dict[AlertKey, Condition] = {}
    for condition in current:
        if not scope(condition.key):
            raise ValueError(f"condition {condition.key} lies outside the evaluated scope")
        if condition.severity not in _SEVERITY_RANK:
            raise ValueError(f"unknown severity {condition.severity!r}")
        held = chosen.get(condition.key)
        if held is None or _SEVERITY_RANK[condition.severity] > _SEVERITY_RANK[held.severity]:
            chosen[condition.key] = condition
    opened = set(open_alerts)
    raise_ = tuple(chosen[key] for key in sorted(chosen, key=_order) if key not in opened)
    resolve = tuple(sorted((key for key in opened if scope(key) and key not in chosen), key=_order))
    return AlertChanges(raise_=raise_, resolve=resolve)


def for_agreement(agreement_id: str) -> Callable[[AlertKey], bool]:
    """The usual scope: every alert of one agreement."""
    return lambda key: key.agreement_id == agreement_id


def _percent(ratio: Fraction | Decimal) -> Decimal:
    return round_half_up(Fraction(ratio) * 100, 1)


def underperformance(
    agreement_id: str,
    indicator: AgreementIndicator,
    prorated_ratio: Decimal | None,
    period_number: int,
) -> Condition | None:
    """An indicator behind its prorated target (attainment.Attainment.prorated_ratio).

    None when the ratio is unknown: a missing value is missing, not a failure, and a target of 0
    (a required indicator nobody promised) has no ratio at all.
    """
    if prorated_ratio is None or prorated_ratio >= UNDERPERFORMANCE_BELOW:
        return None
    severity = CRITICAL if prorated_ratio < UNDERPERFORMANCE_CRITICAL_BELOW else WARNING
    return Condition(
        key=AlertKey(agreement_id, AlertKind.UNDERPERFORMANCE, indicator.key, period_number),
        message=(
            f"{indicator.title}: {_percent(prorated_ratio)}% of the target due by period "
            f"{period_number} (target {indicator.target} {indicator.unit} for the project; "
            f"an alert below {_percent(UNDERPERFORMANCE_BELOW)}%)"
        ),
        severity=severity,
    )


def cofinancing_shortfall(
    agreement_id: str,
    source: str,
    received: Money,
    committed: Money,
    elapsed: Fraction,
    period_number: int,
) -> Condition | None:
    """Co-financing from `source` (or "total") received so far below committed × elapsed share.

    None while nothing is due yet (nothing committed, or the project has not started).
    """
    if not 0 <= elapsed <= 1:
        raise ValueError(f"elapsed share must be between 0 and 1, got {elapsed}")
    due = Fraction(committed.minor_units) * elapsed
    if due <= 0:
        return None
    ratio = Fraction(received.minor_units) / due
    if ratio >= COFINANCING_BELOW:
        return None
    severity = CRITICAL if ratio < COFINANCING_CRITICAL_BELOW else WARNING
    due_money = Money(int(round_half_up(due, 0)), committed.currency)
    return Condition(
        key=AlertKey(agreement_id, AlertKind.COFINANCING_SHORTFALL, source, period_number),
        message=(
            f"co-financing from {source}: {received} received of {due_money} due by now "
            f"({_percent(ratio)}%; {committed} committed for the project)"
        ),
        severity=severity,
    )


def overspend(
    agreement_id: str, line: BudgetLinePlan, grant_spent: Money, period_number: int
) -> Condition | None:
    """Grant money spent on a budget line so far beyond the line's planned grant amount.

    Only the grant part counts: co-financing spent beyond plan is more of the grantee's own
    contribution, not a misuse of the funder's money.
    """
    planned = line.grant_amount
    if grant_spent.minor_units <= planned.minor_units:
        return None
    over = grant_spent - planned
    critical = (
        planned.minor_units == 0
        or Fraction(grant_spent.minor_units, planned.minor_units) > OVERSPEND_CRITICAL_ABOVE
    )
    share = (
        ""
        if planned.minor_units == 0
        else f" ({_percent(Fraction(grant_spent.minor_units, planned.minor_units))}% of plan)"
    )
    return Condition(
        key=AlertKey(agreement_id, AlertKind.OVERSPEND, line.category, period_number),
        message=(
            f"budget line {line.category}: {grant_spent} of grant money spent against "
            f"{planned} planned{share}, {over} over"
        ),
        severity=CRITICAL if critical else WARNING,
    )


def late_report(agreement_id: str, period: ReportingPeriod, today: date) -> Condition | None:
    """A report not filed by its due date (reports.late_periods finds the periods)."""
    days = (today - period.due_on).days
    if days <= 0:
        return None
    return Condition(
        key=AlertKey(agreement_id, AlertKind.LATE_REPORT, REPORT, period.number),
        message=(
            f"the {period.kind} report for period {period.number} "
            f"({period.starts_on.isoformat()} to {period.ends_on.isoformat()}) was due "
            f"{period.due_on.isoformat()}: {days} day{'s' if days != 1 else ''} late"
        ),
        severity=CRITICAL if days > LATE_CRITICAL_AFTER_DAYS else WARNING,
    )


def sustainability_risk(
    agreement_id: str, level: str, period_number: int, reasons: Collection[str] = ()
) -> Condition | None:
    """The organisation's sustainability risk level from a report: amber a warning, red
    critical, green nothing. `reasons` are the findings behind the level, for the message."""
    if level == "green":
        return None
    if level not in ("amber", "red"):
        raise ValueError(f"unknown risk level {level!r}; expected green, amber or red")
    detail = f": {'; '.join(reasons)}" if reasons else ""
    return Condition(
        key=AlertKey(agreement_id, AlertKind.SUSTAINABILITY_RISK, ORGANISATION, period_number),
        message=f"financial sustainability risk is {level}{detail}",
        severity=CRITICAL if level == "red" else WARNING,
    )
