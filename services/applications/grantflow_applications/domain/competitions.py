"""Competitions (calls): their rules as entered by a funder, and their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grantflow_runtime.errors import FailedPrecondition, Violations
from grantflow_runtime.money import RUB, Money

from grantflow_applications.domain.directions import DIRECTIONS

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
# Long-term projects of the national programme run up to 36 months.
MAX_PROJECT_MONTHS = 36


class CompetitionState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    DECIDED = "decided"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class CompetitionTerms:
    """What a funder enters; every field may be missing or wrong until validated."""

    title: str
    description: str
    direction_codes: tuple[str, ...]
    min_grant: Money | None
    max_grant: Money | None
    budget: Money | None
    opens_at: datetime | None
    closes_at: datetime | None
    time_zone: str
    max_duration_months: int


@dataclass(frozen=True)
class Competition:
    id: str
    owner: str
    title: str
    description: str
    direction_codes: tuple[str, ...]
    min_grant: Money
    max_grant: Money
    budget: Money
    opens_at: datetime
    closes_at: datetime
    time_zone: str
    max_duration_months: int
    state: CompetitionState
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls,
        *,
        id: str,
        owner: str,
        terms: CompetitionTerms,
        now: datetime,
        prefix: str = "competition",
    ) -> Competition:
        """A new DRAFT competition, or InvalidArgument listing every broken rule at once."""
        v = Violations()
        title = terms.title.strip()
        if not title:
            v.add(f"{prefix}.title", "is required", "required")
        elif len(title) > MAX_TITLE:
            v.add(f"{prefix}.title", f"must be at most {MAX_TITLE} characters", "max_len")
        if len(terms.description) > MAX_DESCRIPTION:
            v.add(
                f"{prefix}.description", f"must be at most {MAX_DESCRIPTION} characters", "max_len"
            )
        if not terms.direction_codes:
            v.add(f"{prefix}.direction_codes", "must name at least one grant direction", "required")
        for i, code in enumerate(terms.direction_codes):
            if code not in DIRECTIONS:
                v.add(
                    f"{prefix}.direction_codes[{i}]",
                    f"{code!r} is not in the direction catalogue",
                    "catalogue",
                )
            elif code in terms.direction_codes[:i]:
                v.add(f"{prefix}.direction_codes[{i}]", f"{code!r} is listed twice", "unique")
        for name in ("min_grant", "max_grant", "budget"):
            amount: Money | None = getattr(terms, name)
            if amount is None:
                v.add(f"{prefix}.{name}", "is required", "required")
            elif amount.currency != RUB:
                v.add(f"{prefix}.{name}.currency_code", f"must be {RUB}", "currency")
            elif amount.minor_units <= 0:
                v.add(f"{prefix}.{name}.minor_units", "must be positive", "range")
        lo, hi, pool = terms.min_grant, terms.max_grant, terms.budget
        if lo and hi and lo.currency == hi.currency and hi.minor_units < lo.minor_units:
            v.add(f"{prefix}.max_grant", "must not be less than min_grant", "order")
        if hi and pool and hi.currency == pool.currency and pool.minor_units < hi.minor_units:
            v.add(f"{prefix}.budget", "must cover at least one grant of max_grant", "order")
        if terms.opens_at is None:
            v.add(f"{prefix}.opens_at", "is required", "required")
        if terms.closes_at is None:
            v.add(f"{prefix}.closes_at", "is required", "required")
        elif terms.opens_at is not None and terms.closes_at <= terms.opens_at:
            v.add(f"{prefix}.closes_at", "must be after opens_at", "order")
        elif terms.closes_at <= now:
            v.add(f"{prefix}.closes_at", "must be in the future", "future")
        if not terms.time_zone:
            v.add(
                f"{prefix}.time_zone",
                "is required (an IANA zone such as Europe/Moscow)",
                "required",
            )
        elif not is_time_zone(terms.time_zone):
            v.add(
                f"{prefix}.time_zone", f"{terms.time_zone!r} is not an IANA time zone", "time_zone"
            )
        if not 1 <= terms.max_duration_months <= MAX_PROJECT_MONTHS:
            v.add(
                f"{prefix}.max_duration_months",
                f"must be between 1 and {MAX_PROJECT_MONTHS}",
                "range",
            )
        v.raise_if_any()
        assert lo and hi and pool and terms.opens_at and terms.closes_at
        return cls(
            id=id,
            owner=owner,
            title=title,
            description=terms.description,
            direction_codes=terms.direction_codes,
            min_grant=lo,
            max_grant=hi,
            budget=pool,
            opens_at=terms.opens_at,
            closes_at=terms.closes_at,
            time_zone=terms.time_zone,
            max_duration_months=terms.max_duration_months,
            state=CompetitionState.DRAFT,
            created_at=now,
            updated_at=now,
        )

    def open(self, now: datetime) -> Competition:
        """DRAFT -> OPEN. Opening after the deadline would announce a call nobody can answer."""
        if self.state is not CompetitionState.DRAFT:
            raise FailedPrecondition(
                f"competition is {self.state.value}; only a draft can be opened", reason="STATE"
            )
        if now >= self.closes_at:
            raise FailedPrecondition(
                "closes_at has passed; move the deadline before opening", reason="DEADLINE_PASSED"
            )
        return replace(self, state=CompetitionState.OPEN, updated_at=now)

    def local_deadline(self) -> datetime:
        return self.closes_at.astimezone(ZoneInfo(self.time_zone))


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
