"""Financial sustainability of an organisation from its revenue by source and its expenses.

Tuckman & Chang's vulnerability indicators plus common funder practice, over a fixed list of
revenue categories so organisations compare. Formulas and thresholds: docs/formulas.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from grantflow_runtime.money import Money

from grantflow_impact.domain.attainment import round_half_up

SHARE_PLACES = 4
MONTHS_PLACES = 2


class RevenueCategory(StrEnum):
    GRANTS = "grants"
    EARNED_INCOME = "earned_income"
    DONATIONS = "donations"
    BUSINESS = "business"
    GOVERNMENT = "government"


@dataclass(frozen=True)
class Finances:
    period_end: date
    revenue: Mapping[RevenueCategory, Money]
    expenses: Money  # for the period the revenue covers
    net_assets: Money  # unrestricted net assets / reserves
    period_months: int = 12  # months the revenue and expenses cover


class RiskLevel(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_RISK_RANK = {RiskLevel.GREEN: 0, RiskLevel.AMBER: 1, RiskLevel.RED: 2}


@dataclass(frozen=True)
class Thresholds:
    """Where each indicator turns amber or red. Bounds are strict: exactly 3 months is green.

    Applied to the figures as reported (rounded), so anyone can check a verdict from the numbers
    shown beside it.
    """

    # DOMAIN: 3–6 months is the usual goal, under 3 a warning, under 1 critical.
    reserve_months_red: Decimal = Decimal("1")
    reserve_months_amber: Decimal = Decimal("3")
    # DOMAIN: above 0.5 is concentrated. A signal, not a verdict: never red, even with others.
    hhi_amber: Decimal = Decimal("0.5")
    # Ours: more than 80% of revenue from grants leaves the organisation one lost grant away from
    # a crisis; amber only, since most grantees of a grant programme lean on grants.
    grant_dependence_amber: Decimal = Decimal("0.8")
    # Ours: losing more than 10% of revenue in a year eats reserves fast; more than 25% cannot
    # go on for long.
    operating_margin_amber: Decimal = Decimal("-0.1")
    operating_margin_red: Decimal = Decimal("-0.25")
    # Ours (not thresholds on a figure): negative net assets mean liabilities exceed assets, and an
    # organisation with no revenue at all has nothing to sustain it; both are red.


THRESHOLDS = Thresholds()
# Ours: reserve months changing by less than this between two reports count as stable.
TREND_RESERVE_TOLERANCE = Decimal("0.5")


@dataclass(frozen=True)
class Sustainability:
    period_end: date
    total_revenue: Money
    hhi: Decimal | None  # Σ share², 4 dp; None with zero revenue
    grant_dependence: Decimal | None
    earned_income_share: Decimal | None
    reserve_months: Decimal | None  # net_assets / (annual expenses / 12), 2 dp; None, no expenses
    operating_margin: Decimal | None
    equity_ratio: Decimal | None
    risk: RiskLevel
    reasons: tuple[str, ...]  # which thresholds put it at that level; empty when green
    notes: tuple[str, ...] = ()  # figures that could not be computed, and why


def concentration(revenue: Mapping[RevenueCategory, Money]) -> Fraction | None:
    """Exact HHI = Σ sᵢ² over revenue shares: 1 for a single source, 1/n for n equal ones."""
    total = sum(m.minor_units for m in revenue.values())
    if total == 0:
        return None
    return sum((Fraction(m.minor_units, total) ** 2 for m in revenue.values()), Fraction(0))


def assess(f: Finances, *, thresholds: Thresholds = THRESHOLDS) -> Sustainability:
    """The indicators for one reporting period and the risk level they add up to.

    The risk level is the worst level any threshold gives; `reasons` lists every threshold crossed.
    """
    if f.period_months < 1:
        raise ValueError(f"period_months must be at least 1, got {f.period_months}")
    currency = f.expenses.currency
    for category, amount in f.revenue.items():
        if amount.currency != currency:
            raise ValueError(f"{category} revenue is in {amount.currency}, expenses in {currency}")
        if amount.minor_units < 0:
            raise ValueError(f"{category} revenue must not be negative, got {amount}")
    if f.net_assets.currency != currency:
        raise ValueError(f"net assets are in {f.net_assets.currency}, expenses in {currency}")
    if f.expenses.minor_units < 0:
        raise ValueError(f"expenses must not be negative, got {f.expenses}")

    revenue = sum(m.minor_units for m in f.revenue.values())
    expenses = f.expenses.minor_units
    net_assets = f.net_assets.minor_units
    notes: list[str] = []

    def share_of_revenue(amount: int) -> Decimal | None:
        return None if revenue == 0 else round_half_up(Fraction(amount, revenue), SHARE_PLACES)

    def amount_in(c: RevenueCategory) -> int:
        return f.revenue[c].minor_units if c in f.revenue else 0

    hhi_exact = concentration(f.revenue)
    hhi = None if hhi_exact is None else round_half_up(hhi_exact, SHARE_PLACES)
    if revenue == 0:
        notes.append("no revenue: concentration, shares, margin and equity ratio are undefined")
    # Months of reserves = net assets / monthly expenses, where monthly = expenses / period months.
    reserve_months = (
        None
        if expenses == 0
        else round_half_up(Fraction(net_assets * f.period_months, expenses), MONTHS_PLACES)
    )
    if reserve_months is None:
        notes.append("no expenses reported: months of reserves are undefined")
    operating_margin = share_of_revenue(revenue - expenses)
    # Ours: revenue annualised so a half-year report compares with a full year's.
    equity_ratio = (
        None
        if revenue == 0
        else round_half_up(Fraction(net_assets * f.period_months, revenue * 12), SHARE_PLACES)
    )
    grant_dependence = share_of_revenue(amount_in(RevenueCategory.GRANTS))

    signals: list[tuple[RiskLevel, str]] = []
    if revenue == 0:
        signals.append((RiskLevel.RED, "no revenue in the period"))
    if net_assets < 0:
        signals.append((RiskLevel.RED, f"negative net assets ({f.net_assets})"))
    if reserve_months is not None:
        if reserve_months < thresholds.reserve_months_red:
            signals.append(
                (
                    RiskLevel.RED,
                    f"reserves of {reserve_months} months, under {thresholds.reserve_months_red}",
                )
            )
        elif reserve_months < thresholds.reserve_months_amber:
            signals.append(
                (
                    RiskLevel.AMBER,
                    f"reserves of {reserve_months} months, under {thresholds.reserve_months_amber}",
                )
            )
    if hhi is not None and hhi > thresholds.hhi_amber:
        signals.append(
            (RiskLevel.AMBER, f"revenue concentration HHI {hhi}, above {thresholds.hhi_amber}")
        )
    if grant_dependence is not None and grant_dependence > thresholds.grant_dependence_amber:
        signals.append(
            (
                RiskLevel.AMBER,
                f"grant dependence {grant_dependence}, above {thresholds.grant_dependence_amber}",
            )
        )
    if operating_margin is not None:
        if operating_margin < thresholds.operating_margin_red:
            signals.append(
                (
                    RiskLevel.RED,
                    f"operating margin {operating_margin}, under {thresholds.operating_margin_red}",
                )
            )
        elif operating_margin < thresholds.operating_margin_amber:
            signals.append(
                (
                    RiskLevel.AMBER,
                    f"operating margin {operating_margin}, "
                    f"under {thresholds.operating_margin_amber}",
                )
            )

    risk = max((level for level, _ in signals), key=_RISK_RANK.__getitem__, default=RiskLevel.GREEN)
    return Sustainability(
        period_end=f.period_end,
        total_revenue=Money(revenue, currency),
        hhi=hhi,
        grant_dependence=grant_dependence,
        earned_income_share=share_of_revenue(amount_in(RevenueCategory.EARNED_INCOME)),
        reserve_months=reserve_months,
        operating_margin=operating_margin,
        equity_ratio=equity_ratio,
        risk=risk,
        reasons=tuple(reason for _, reason in signals),
        notes=tuple(notes),
    )


class Trend(StrEnum):
    IMPROVING = "improving"
    STABLE = "stable"
    WORSENING = "worsening"
    UNKNOWN = "unknown"


def trend(
    history: Sequence[Sustainability], *, tolerance: Decimal = TREND_RESERVE_TOLERANCE
) -> Trend:
    """Latest report against the one before it (by period_end, whatever the order given).

    A change of risk level decides. At the same level, months of reserves moving by more than
    `tolerance` decide; otherwise, or when either report has no reserve figure, it is stable.
    Fewer than two reports: unknown.
    """
    if len(history) < 2:
        return Trend.UNKNOWN
    ordered = sorted(history, key=lambda s: s.period_end)
    previous, latest = ordered[-2], ordered[-1]
    if previous.period_end == latest.period_end:
        raise ValueError(f"two assessments for the same period {latest.period_end}")
    before, after = _RISK_RANK[previous.risk], _RISK_RANK[latest.risk]
    if after != before:
        return Trend.IMPROVING if after < before else Trend.WORSENING
    if previous.reserve_months is None or latest.reserve_months is None:
        return Trend.STABLE
    change = latest.reserve_months - previous.reserve_months
    if change > tolerance:
        return Trend.IMPROVING
    if change < -tolerance:
        return Trend.WORSENING
    return Trend.STABLE
