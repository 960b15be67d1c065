"""Competitions (calls): their rules as entered by a funder, and their lifecycle."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grantflow_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, Violations
from grantflow_runtime.money import RUB, Money

from grantflow_applications.domain.applications import CofinancingType
from grantflow_applications.domain.directions import DIRECTIONS
from grantflow_applications.domain.organisations import DEFAULT_ELIGIBLE_FORMS, LegalForm
from grantflow_applications.domain.regions import REGIONS

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_EARLY_CLOSE_REASON = 1000
# A call announced further ahead is a typo; the bound also keeps local-time arithmetic in range.
MAX_CALL_HORIZON = timedelta(days=5 * 366)
# Long-term projects of the national programme run up to 36 months.
MAX_PROJECT_MONTHS = 36
# National defaults (shared DOMAIN.md): registered 12 months before the deadline, 6 months for
# requests of at most 500,000 roubles.
DEFAULT_MIN_REGISTRATION_MONTHS = 12
DEFAULT_MIN_REGISTRATION_MONTHS_SMALL = 6
DEFAULT_SMALL_REQUEST = Money.roubles(500_000)
HUNDRED = Decimal(100)
INDICATOR_CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


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
    # Empty means every federal subject.
    eligible_region_codes: tuple[str, ...] = ()
    # Empty means the national default forms.
    eligible_legal_forms: tuple[str, ...] = ()
    min_cofinancing_percent: Decimal = Decimal(0)
    # Empty means every source type counts.
    allowed_cofinancing_types: tuple[str, ...] = ()
    # The most the in-kind part may make up of the counted co-financing, in percent.
    in_kind_cap_percent: Decimal = HUNDRED
    # None takes the default: one application per organisation.
    max_applications_per_organisation: int | None = None
    direction_quotas: tuple[tuple[str, Money], ...] = ()
    # None takes the national defaults; 0 means no requirement.
    min_registration_months: int | None = None
    min_registration_months_small: int | None = None
    small_request_max: Money | None = None
    required_indicator_codes: tuple[str, ...] = ()


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
    eligible_region_codes: tuple[str, ...] = ()
    eligible_legal_forms: tuple[LegalForm, ...] = DEFAULT_ELIGIBLE_FORMS
    min_cofinancing_percent: Decimal = Decimal(0)
    allowed_cofinancing_types: tuple[CofinancingType, ...] = tuple(CofinancingType)
    in_kind_cap_percent: Decimal = HUNDRED
    max_applications_per_organisation: int = 1
    direction_quotas: tuple[tuple[str, Money], ...] = ()
    min_registration_months: int = DEFAULT_MIN_REGISTRATION_MONTHS
    min_registration_months_small: int = DEFAULT_MIN_REGISTRATION_MONTHS_SMALL
    small_request_max: Money = DEFAULT_SMALL_REQUEST
    required_indicator_codes: tuple[str, ...] = ()

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
        elif terms.closes_at > now + MAX_CALL_HORIZON:
            v.add(f"{prefix}.closes_at", "must be within 5 years from now", "range")
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
        for i, region in enumerate(terms.eligible_region_codes):
            if region not in REGIONS:
                v.add(
                    f"{prefix}.eligible_region_codes[{i}]",
                    f"{region!r} is not an ISO 3166-2:RU federal subject",
                    "catalogue",
                )
        forms: list[LegalForm] = []
        for i, form in enumerate(terms.eligible_legal_forms):
            try:
                forms.append(LegalForm(form))
            except ValueError:
                v.add(
                    f"{prefix}.eligible_legal_forms[{i}]", f"{form!r} is not a legal form", "enum"
                )
        if not Decimal(0) <= terms.min_cofinancing_percent < HUNDRED:
            v.add(f"{prefix}.min_cofinancing_percent", "must be at least 0 and below 100", "range")
        types: list[CofinancingType] = []
        for i, kind in enumerate(terms.allowed_cofinancing_types):
            try:
                types.append(CofinancingType(kind))
            except ValueError:
                v.add(
                    f"{prefix}.allowed_cofinancing_types[{i}]",
                    f"{kind!r} is not a co-financing type",
                    "enum",
                )
        if not Decimal(0) <= terms.in_kind_cap_percent <= HUNDRED:
            v.add(f"{prefix}.in_kind_cap_percent", "must be between 0 and 100", "range")
        if (
            terms.max_applications_per_organisation is not None
            and terms.max_applications_per_organisation < 1
        ):
            v.add(f"{prefix}.max_applications_per_organisation", "must be at least 1", "range")
        quota_directions: set[str] = set()
        for i, (code, quota) in enumerate(terms.direction_quotas):
            where = f"{prefix}.direction_quotas[{i}]"
            if code not in terms.direction_codes:
                v.add(
                    f"{where}.direction_code",
                    f"{code!r} is not one of the competition's directions",
                    "membership",
                )
            if code in quota_directions:
                v.add(f"{where}.direction_code", f"{code!r} has a quota already", "unique")
            quota_directions.add(code)
            if quota.currency != RUB or quota.minor_units <= 0:
                v.add(f"{where}.amount", f"must be a positive amount in {RUB}", "range")
            elif pool and pool.currency == RUB and quota.minor_units > pool.minor_units:
                v.add(f"{where}.amount", "must not exceed the budget", "order")
        for name in ("min_registration_months", "min_registration_months_small"):
            months = getattr(terms, name)
            if months is not None and not 0 <= months <= 120:
                v.add(f"{prefix}.{name}", "must be between 0 and 120", "range")
        small = terms.small_request_max
        if small is not None and (small.currency != RUB or small.minor_units < 0):
            v.add(f"{prefix}.small_request_max", f"must be a non-negative amount in {RUB}", "range")
        for i, code in enumerate(terms.required_indicator_codes):
            # The catalogue lives in the impact service; here only the code's form is checked.
            if not INDICATOR_CODE.match(code) or len(code) > 64:
                v.add(
                    f"{prefix}.required_indicator_codes[{i}]",
                    "must be a catalogue code like 'people-reached'",
                    "format",
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
            eligible_region_codes=tuple(dict.fromkeys(terms.eligible_region_codes)),
            eligible_legal_forms=tuple(dict.fromkeys(forms)) or DEFAULT_ELIGIBLE_FORMS,
            min_cofinancing_percent=terms.min_cofinancing_percent,
            allowed_cofinancing_types=tuple(dict.fromkeys(types)) or tuple(CofinancingType),
            in_kind_cap_percent=terms.in_kind_cap_percent,
            max_applications_per_organisation=_or(terms.max_applications_per_organisation, 1),
            direction_quotas=terms.direction_quotas,
            min_registration_months=_or(
                terms.min_registration_months, DEFAULT_MIN_REGISTRATION_MONTHS
            ),
            min_registration_months_small=_or(
                terms.min_registration_months_small, DEFAULT_MIN_REGISTRATION_MONTHS_SMALL
            ),
            small_request_max=small or DEFAULT_SMALL_REQUEST,
            required_indicator_codes=tuple(dict.fromkeys(terms.required_indicator_codes)),
        )

    def revise(self, terms: CompetitionTerms, now: datetime) -> Competition:
        """New terms for a draft, validated as a new competition would be."""
        if self.state is not CompetitionState.DRAFT:
            raise FailedPrecondition(
                f"competition is {self.state.value}; only a draft can be changed", reason="STATE"
            )
        revised = Competition.create(id=self.id, owner=self.owner, terms=terms, now=now)
        return replace(revised, created_at=self.created_at)

    def is_accepting(self, now: datetime) -> bool:
        """Open, and `now` inside [opens_at, closes_at): both instants are absolute, so the
        competition's time zone only matters for showing the deadline, never for comparing it."""
        return self.state is CompetitionState.OPEN and self.opens_at <= now < self.closes_at

    def close(self, now: datetime) -> Competition:
        """OPEN -> CLOSED, by the scheduler at closes_at (or later, if it was down then)."""
        if self.state is not CompetitionState.OPEN:
            raise FailedPrecondition(
                f"competition is {self.state.value}; only an open one can close", reason="STATE"
            )
        if now < self.closes_at:
            raise FailedPrecondition("closes_at has not come yet", reason="NOT_DUE")
        return replace(self, state=CompetitionState.CLOSED, updated_at=now)

    def mark_decided(self, now: datetime) -> Competition:
        """CLOSED -> DECIDED, once every application under review has its award decision."""
        if self.state is not CompetitionState.CLOSED:
            raise FailedPrecondition(
                f"competition is {self.state.value}; only a closed one is decided", reason="STATE"
            )
        return replace(self, state=CompetitionState.DECIDED, updated_at=now)

    def close_now(self, now: datetime, early_reason: str) -> Competition:
        """OPEN -> CLOSED at a funder's word. Past the deadline it is the scheduler's close, sooner;
        before it, the funder must say why (applicants planned for the announced deadline)."""
        if self.state is CompetitionState.OPEN and now < self.closes_at:
            reason = early_reason.strip()
            if not reason:
                raise InvalidArgument(
                    [
                        FieldViolation(
                            "early_close_reason",
                            "is required to close before closes_at",
                            "required",
                        )
                    ]
                )
            if len(reason) > MAX_EARLY_CLOSE_REASON:
                raise InvalidArgument(
                    [
                        FieldViolation(
                            "early_close_reason",
                            f"must be at most {MAX_EARLY_CLOSE_REASON} characters",
                            "max_len",
                        )
                    ]
                )
            return replace(self, state=CompetitionState.CLOSED, updated_at=now)
        return self.close(now)

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


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def is_time_zone(name: str) -> bool:
    # IANA names are short; a long one would only reach the file system to fail there (OSError).
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
