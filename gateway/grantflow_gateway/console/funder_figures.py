"""The funder pages' figures, as plain functions of the API's JSON answers: which competitions are
the caller's, who is funded (as decided, or as a decision now would fund), and the portfolio's
distributions by attainment, leverage, risk, month and region.

Who a decision would fund is worked out by the scoring service's own `decide` (a pure function),
so the line the ranking page draws is the line DecideAwards will draw."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from grantflow_runtime.money import RUB, Money
from grantflow_runtime.money import minor_units_of as minor_units
from grantflow_scoring.domain.awards import PassMark, decide
from grantflow_scoring.domain.ranking import Candidate, Ranked

from grantflow_gateway.console.i18n import Translator

DRAFT = "STATE_DRAFT"
# The portfolio's buckets and levels, in the order a reader expects (impact's portfolio.proto).
ATTAINMENT_BUCKETS = ("below_50", "50_80", "80_100", "100_plus", "unknown")
RISK_LEVELS = ("green", "amber", "red", "unknown")
SHADES = 4
# The scoring service's words for why an application was not funded (domain/awards.py and
# api/decision_methods.py), so both decided and projected lines read in the page's language.
BUDGET_REASON = "the budget is exhausted"
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^below the pass mark of (?P<mark>[0-9.]+) for its request size$"), "pass_mark"),
    (re.compile(rf"^{re.escape(BUDGET_REASON)}$"), "budget"),
    (re.compile(r"^the quota of direction '(?P<direction>[^']*)' is exhausted$"), "quota"),
    (re.compile(r"^no expert scored it$"), "unscored"),
)
# decide() ignores when an application was submitted (only rank() uses it), and the ranking
# already carries the service's order; any fixed instant will do.
_NOT_USED = datetime(2000, 1, 1, tzinfo=UTC)
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "ru": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}


# ---- competitions ----


def own_competitions(
    competitions: Iterable[Mapping[str, Any]], with_panel: Iterable[str], *, admin: bool
) -> list[Mapping[str, Any]]:
    """The competitions the caller runs. The API does not say whose a competition is; it shows
    a funder only its own drafts, and a panel (GetPanel) only of its own competitions, so a
    non-draft is the caller's when its panel could be read. An administrator runs them all."""
    readable = set(with_panel)
    return [
        c
        for c in competitions
        if admin or c.get("state") == DRAFT or str(c.get("id", "")) in readable
    ]


# ---- award outcomes ----


@dataclass(frozen=True)
class Outcomes:
    """Who is funded and who is not, by application id, as decided or as projected."""

    decided: bool
    funded: Mapping[str, int]  # awarded kopecks
    declined: Mapping[str, str]  # the service's reason
    budget: int
    budget_used: int
    # The first rank a passing application was refused because the budget ran out, and what
    # was left of the budget there; None when the budget never ran out.
    cut_off_rank: int | None
    left_at_cut_off: int | None

    @property
    def budget_left(self) -> int:
        return self.budget - self.budget_used


def _money(value: Any) -> Money:
    currency = value.get("currencyCode") if isinstance(value, Mapping) else None
    return Money(minor_units(value), currency or RUB)


def _cut_off(
    funded: Mapping[str, tuple[int, int]], declined: Mapping[str, tuple[int, str]], budget: int
) -> tuple[int | None, int | None]:
    """Where the budget ran out: `funded` maps ids to (rank, amount), `declined` to (rank,
    reason)."""
    ranks = [rank for rank, reason in declined.values() if reason == BUDGET_REASON and rank > 0]
    if not ranks:
        return None, None
    cut = min(ranks)
    spent = sum(amount for rank, amount in funded.values() if rank < cut)
    return cut, budget - spent


def _outcomes(
    decided: bool,
    funded: Mapping[str, tuple[int, int]],
    declined: Mapping[str, tuple[int, str]],
    budget: int,
) -> Outcomes:
    cut, left = _cut_off(funded, declined, budget)
    return Outcomes(
        decided=decided,
        funded={a: amount for a, (_, amount) in funded.items()},
        declined={a: reason for a, (_, reason) in declined.items()},
        budget=budget,
        budget_used=sum(amount for _, amount in funded.values()),
        cut_off_rank=cut,
        left_at_cut_off=left,
    )


def decided_outcomes(decision: Mapping[str, Any], budget: int) -> Outcomes:
    """The recorded decision (GetDecision)."""
    funded = {
        str(a.get("applicationId", "")): (int(a.get("rank", 0)), minor_units(a.get("amount")))
        for a in decision.get("awards", [])
    }
    declined = {
        str(d.get("applicationId", "")): (int(d.get("rank", 0)), str(d.get("reason", "")))
        for d in decision.get("declined", [])
    }
    return _outcomes(True, funded, declined, budget)


def _score(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def _pass_marks(panel: Mapping[str, Any]) -> tuple[PassMark, ...]:
    marks = []
    for m in panel.get("passMarks", []):
        mark = _score(m.get("mark"))
        if mark is None:
            raise ValueError(f"pass mark {m.get('mark')!r} is not a number")
        bound = m.get("maxRequest")
        marks.append(PassMark(_money(bound) if bound else None, mark))
    return tuple(marks)


def projected_outcomes(
    entries: Sequence[Mapping[str, Any]], panel: Mapping[str, Any], *, by_calibrated: bool
) -> Outcomes | None:
    """Who a decision now would fund: the ranking (GetRanking, all directions) walked by the
    scoring service's `decide` with the panel's budget, quotas and pass marks. None when it
    cannot be worked out: a score the panel decides by is missing, or the panel's pass marks
    do not cover a request (DecideAwards would refuse too)."""
    ranked = []
    for e in entries:
        raw = _score(e.get("rawScore"))
        calibrated = _score(e.get("calibratedScore"))
        deciding = calibrated if by_calibrated else raw
        if raw is None or deciding is None:
            return None
        candidate = Candidate(
            application_id=str(e.get("applicationId", "")),
            direction_code=str(e.get("directionCode", "")),
            requested=_money(e.get("requested")),
            raw_score=raw,
            calibrated_score=calibrated,
            submitted_at=_NOT_USED,
        )
        ranked.append(Ranked(rank=int(e.get("rank", 0)), candidate=candidate, score=deciding))
    budget = _money(panel.get("budget"))
    try:
        decision = decide(
            ranked,
            budget=budget,
            quotas={
                str(q.get("directionCode", "")): _money(q.get("amount"))
                for q in panel.get("directionQuotas", [])
            },
            pass_marks=_pass_marks(panel),
        )
    except ValueError:
        return None
    funded = {a.application_id: (a.rank, a.amount.minor_units) for a in decision.awards}
    declined = {d.application_id: (d.rank, d.reason) for d in decision.declined}
    return _outcomes(False, funded, declined, budget.minor_units)


def explain(t: Translator, reason: str) -> str:
    """A declined line's reason in the page's language; one the console does not know stays
    in the service's words."""
    for pattern, key in _REASONS:
        match = pattern.match(reason)
        if match:
            return t(f"funder.reason.{key}", **match.groupdict())
    return reason


def shortfall(t: Translator, unassigned: Mapping[str, Any]) -> str:
    """Why AssignExperts left an application short, worded in the page's language from the
    cause and its figures; a cause the console does not know stays in the service's words."""
    key = f"funder.short.{str(unassigned.get('cause', '')).lower()}"
    if not t.has(key):
        return str(unassigned.get("reason", ""))
    code = str(unassigned.get("directionCode", ""))
    return t(
        key,
        direction=t.maybe(f"direction.{code}", code),
        needed=int(unassigned.get("needed", 0)),
        covering=int(unassigned.get("coveringExperts", 0)),
        eligible=int(unassigned.get("eligibleExperts", 0)),
        room=int(unassigned.get("expertsWithRoom", 0)),
    )


# ---- portfolio ----


def counts(items: Any) -> dict[str, int]:
    """A list of `Count` (name, count as int64 text) as a mapping."""
    if not isinstance(items, list):
        return {}
    return {str(c.get("name", "")): int(c.get("count", 0) or 0) for c in items}


def in_order(counted: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    """Every name of `order` (zero when absent), then any other name the service sent, so a new
    bucket still shows."""
    extra = sorted(name for name in counted if name not in order)
    return [(name, counted.get(name, 0)) for name in (*order, *extra)]


@dataclass(frozen=True)
class Leverage:
    direction: str
    agreements: int
    awarded: int
    committed: int
    # Co-financing committed per rouble of grant; None when the service gave none (no grant).
    leverage: Decimal | None


def leverage_by_direction(portfolio: Mapping[str, Any]) -> list[Leverage]:
    """The portfolio by direction, highest leverage first; directions without one last."""
    rows = [
        Leverage(
            direction=str(g.get("key", "")),
            agreements=int(g.get("agreements", 0) or 0),
            awarded=minor_units(g.get("awarded")),
            committed=minor_units(g.get("cofinancingCommitted")),
            leverage=_score(g.get("leverage")),
        )
        for g in portfolio.get("groups", [])
    ]
    return sorted(
        rows, key=lambda r: (r.leverage is None, -(r.leverage or Decimal(0)), r.direction)
    )


@dataclass(frozen=True)
class RegionRisk:
    region: str
    agreements: int
    counts: tuple[int, ...]  # per RISK_LEVELS
    # 0 (none) to SHADES (all): how much of the region's agreements each count is, for shading.
    shades: tuple[int, ...]


def shade(count: int, total: int) -> int:
    """0 for none; otherwise 1..SHADES by the share of `total`, so a single case still shows."""
    if count <= 0 or total <= 0:
        return 0
    return min(SHADES, max(1, -(-count * SHADES // total)))


def region_risks(portfolio: Mapping[str, Any]) -> list[RegionRisk]:
    """The portfolio by region with its agreements per risk level; the riskiest regions first
    (most red, then most amber)."""
    rows = []
    for g in portfolio.get("groups", []):
        counted = counts(g.get("risk"))
        levels = tuple(counted.get(level, 0) for level in RISK_LEVELS)
        # Agreements with no risk figure yet count as unknown, so the row adds up.
        agreements = int(g.get("agreements", 0) or 0)
        known = sum(levels[:-1])
        levels = (*levels[:-1], max(levels[-1], agreements - known))
        total = max(agreements, sum(levels))
        rows.append(
            RegionRisk(
                region=str(g.get("key", "")),
                agreements=agreements,
                counts=levels,
                shades=tuple(shade(c, total) for c in levels),
            )
        )
    return sorted(rows, key=lambda r: (-r.counts[2], -r.counts[1], r.region))


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int
    raised: int
    critical: int


def _instant(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def alerts_by_month(alerts: Iterable[Mapping[str, Any]]) -> list[MonthCount]:
    """Alerts raised per calendar month (UTC), from the first month with one to the last, months
    without any included as zeros so the series reads as time."""
    raised: Counter[tuple[int, int]] = Counter()
    critical: Counter[tuple[int, int]] = Counter()
    for alert in alerts:
        moment = _instant(alert.get("raiseTime"))
        if moment is None or moment.year <= 1970:
            continue
        key = (moment.year, moment.month)
        raised[key] += 1
        if alert.get("severity") == "critical":
            critical[key] += 1
    if not raised:
        return []
    (year, month), last = min(raised), max(raised)
    series = []
    while (year, month) <= last:
        series.append(MonthCount(year, month, raised[(year, month)], critical[(year, month)]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return series


def month_label(year: int, month: int, language: str) -> str:
    return f"{_MONTHS[language][month - 1]} {year}"


# ---- practices ----


@dataclass(frozen=True)
class RegionSpread:
    region: str
    adoptions: int
    practices: int


def spread_by_region(practices: Iterable[Mapping[str, Any]]) -> list[RegionSpread]:
    """Where practices were taken up: adoptions per region and how many practices they were of;
    the widest spread first."""
    adoptions: Counter[str] = Counter()
    which: dict[str, set[str]] = defaultdict(set)
    for practice in practices:
        for adoption in practice.get("adoptions", []):
            region = str(adoption.get("regionCode", ""))
            adoptions[region] += 1
            which[region].add(str(practice.get("id", "")))
    return sorted(
        (RegionSpread(region, n, len(which[region])) for region, n in adoptions.items()),
        key=lambda r: (-r.adoptions, r.region),
    )
