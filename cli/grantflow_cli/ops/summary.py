"""A competition's summary and a funder's portfolio, computed from the API's JSON answers.

Award figures come from the impact service's portfolio roll-up (its agreements, grouped in SQL),
so they agree with what `GET /v1/portfolio` reports; application counts come from the list of
applications the caller may see (a funder never sees drafts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from grantflow.applications.v1 import applications_pb2
from grantflow_runtime.money import minor_units_of

APPLICATION_STATE = applications_pb2.Application.DESCRIPTOR.enum_types_by_name["State"]


@dataclass(frozen=True)
class Group:
    """One line of a roll-up: a competition, direction or region, or the total."""

    key: str
    agreements: int
    awarded: int
    cofinancing_committed: int
    cofinancing_received: int
    leverage: str
    beneficiaries: int
    attainment: dict[str, int]
    open_alerts: dict[str, int]
    risk: dict[str, int]


@dataclass(frozen=True)
class CompetitionSummary:
    id: str
    title: str
    state: str
    opens_at: str
    closes_at: str
    budget: int
    applications: list[tuple[str, int]]
    by_direction: list[Group]
    by_region: list[Group]
    total: Group

    @property
    def remaining(self) -> int:
        return self.budget - self.total.awarded


@dataclass(frozen=True)
class PortfolioSummary:
    group_by: str
    groups: list[Group]
    total: Group


def state_name(value: str, prefix: str = "STATE_") -> str:
    """`STATE_UNDER_REVIEW` -> `under_review`."""
    return value.removeprefix(prefix).lower()


def group(data: Mapping[str, Any]) -> Group:
    """A PortfolioGroup from its JSON mapping."""
    return Group(
        key=str(data.get("key", "")),
        agreements=int(data.get("agreements", 0) or 0),
        awarded=minor_units_of(data.get("awarded")),
        cofinancing_committed=minor_units_of(data.get("cofinancingCommitted")),
        cofinancing_received=minor_units_of(data.get("cofinancingReceived")),
        leverage=str(data.get("leverage", "")),
        beneficiaries=int(data.get("beneficiaries", 0) or 0),
        attainment=_counts(data.get("attainment")),
        open_alerts=_counts(data.get("openAlerts")),
        risk=_counts(data.get("risk")),
    )


def _counts(items: Any) -> dict[str, int]:
    if not isinstance(items, list):
        return {}
    return {str(c.get("name", "")): int(c.get("count", 0) or 0) for c in items}


def _groups(portfolio: Mapping[str, Any]) -> list[Group]:
    return sorted((group(g) for g in portfolio.get("groups", [])), key=lambda g: g.key)


def applications_by_state(applications: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Counts per state, in the order of the lifecycle."""
    counted = Counter(str(a.get("state", "")) for a in applications)
    order = {v.name: v.number for v in APPLICATION_STATE.values}
    return [
        (state_name(name), n)
        for name, n in sorted(counted.items(), key=lambda s: order.get(s[0], 99))
    ]


def competition_summary(
    competition: Mapping[str, Any],
    applications: Iterable[Mapping[str, Any]],
    by_direction: Mapping[str, Any],
    by_region: Mapping[str, Any],
) -> CompetitionSummary:
    """From GET competition, its applications, and its portfolio by direction and by region."""
    return CompetitionSummary(
        id=str(competition.get("id", "")),
        title=str(competition.get("title", "")),
        state=state_name(str(competition.get("state", ""))),
        opens_at=str(competition.get("opensAt", "")),
        closes_at=str(competition.get("closesAt", "")),
        budget=minor_units_of(competition.get("budget")),
        applications=applications_by_state(applications),
        by_direction=_groups(by_direction),
        by_region=_groups(by_region),
        total=group(by_direction.get("total") or {"key": "total"}),
    )


def portfolio_summary(portfolio: Mapping[str, Any]) -> PortfolioSummary:
    return PortfolioSummary(
        group_by=str(portfolio.get("groupBy", "")),
        groups=_groups(portfolio),
        total=group(portfolio.get("total") or {"key": "total"}),
    )
