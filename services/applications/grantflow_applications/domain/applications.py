"""Applications: what an organisation asks for, with its budget and co-financing, and its lifecycle.

Totals are derived from the lines and sources, never entered. Every transition is a method that
refuses (FailedPrecondition) when the state does not allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from grantflow_runtime.errors import FailedPrecondition, Violations
from grantflow_runtime.money import Money


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWARDED = "awarded"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    INELIGIBLE = "ineligible"


class CofinancingType(StrEnum):
    OWN_FUNDS = "own_funds"
    BUSINESS_PARTNER = "business_partner"
    REGIONAL_BUDGET = "regional_budget"  # regional or municipal budget
    OTHER_GRANTS = "other_grants"
    IN_KIND = "in_kind"  # volunteer work valued at an hourly rate, premises, equipment


@dataclass(frozen=True)
class BudgetLine:
    category: str
    description: str
    grant_amount: Money
    cofinanced_amount: Money


@dataclass(frozen=True)
class CofinancingSource:
    type: CofinancingType | None
    partner_name: str
    partner_inn: str
    amount: Money
    confirmation_letter: bool


@dataclass(frozen=True)
class PlannedResult:
    """A result the project promises; it becomes an indicator of the award agreement."""

    title: str
    unit: str
    target_value: Decimal
    indicator_code: str = ""
    baseline_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class ApplicationContent:
    """Everything the applicant edits. While a draft, anything may be missing or inconsistent."""

    title: str
    summary: str
    direction_code: str
    region_codes: tuple[str, ...]
    start_date: date | None
    end_date: date | None
    target_groups: tuple[str, ...]
    planned_results: tuple[PlannedResult, ...]
    budget_lines: tuple[BudgetLine, ...]
    cofinancing_sources: tuple[CofinancingSource, ...]


# Where a transition may start from.
# Before a decision, an applicant may still step back, also while the experts are at work.
_WITHDRAWABLE = (ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
_DECIDABLE = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
_SCREENABLE = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)


@dataclass(frozen=True)
class Application:
    id: str
    competition_id: str
    organisation_id: str
    state: ApplicationState
    content: ApplicationContent
    # Every edit of a draft makes a new version; a submission freezes the version it submitted.
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    status_reason: str = ""

    @classmethod
    def draft(
        cls,
        *,
        id: str,
        competition_id: str,
        organisation_id: str,
        content: ApplicationContent,
        now: datetime,
    ) -> Application:
        return cls(
            id=id,
            competition_id=competition_id,
            organisation_id=organisation_id,
            state=ApplicationState.DRAFT,
            content=content,
            version=1,
            created_at=now,
            updated_at=now,
        )

    def _require(self, allowed: tuple[ApplicationState, ...], action: str) -> None:
        if self.state not in allowed:
            names = " or ".join(s.value for s in allowed)
            raise FailedPrecondition(
                f"application is {self.state.value}; only {names} can be {action}", reason="STATE"
            )

    def edit(
        self, content: ApplicationContent, now: datetime, *, expected_version: int = 0
    ) -> Application:
        self._require((ApplicationState.DRAFT,), "edited")
        if expected_version and expected_version != self.version:
            raise FailedPrecondition(
                f"the draft is at version {self.version}, not {expected_version}; reload and edit again",
                reason="VERSION_CONFLICT",
            )
        return replace(self, content=content, version=self.version + 1, updated_at=now)

    def submit(self, now: datetime) -> Application:
        """DRAFT -> SUBMITTED. The rules are checked by `submission.check_submission` before this is called."""
        self._require((ApplicationState.DRAFT,), "submitted")
        return replace(self, state=ApplicationState.SUBMITTED, submitted_at=now, updated_at=now)

    def withdraw(self, now: datetime, reason: str = "") -> Application:
        self._require(_WITHDRAWABLE, "withdrawn")
        return replace(self, state=ApplicationState.WITHDRAWN, updated_at=now, status_reason=reason)

    def start_review(self, now: datetime) -> Application:
        self._require((ApplicationState.SUBMITTED,), "put under review")
        return replace(self, state=ApplicationState.UNDER_REVIEW, updated_at=now)

    def award(self, now: datetime) -> Application:
        self._require(_DECIDABLE, "awarded")
        return replace(self, state=ApplicationState.AWARDED, updated_at=now)

    def decline(self, now: datetime, reason: str = "") -> Application:
        self._require(_DECIDABLE, "declined")
        return replace(self, state=ApplicationState.DECLINED, updated_at=now, status_reason=reason)

    def mark_ineligible(self, now: datetime, reason: str) -> Application:
        self._require(_SCREENABLE, "found ineligible")
        return replace(
            self, state=ApplicationState.INELIGIBLE, updated_at=now, status_reason=reason
        )


# Bounds on what a draft may hold, so one request cannot make a huge document; the submission
# rules (`submission.check_submission`) decide what a complete application needs.
MAX_TEXT = 300
MAX_SUMMARY = 5_000
MAX_DESCRIPTION = 1_000
MAX_ITEMS = {
    "budget_lines": 500,
    "cofinancing_sources": 100,
    "planned_results": 100,
    "region_codes": 100,
    "target_groups": 50,
}


def check_draft(content: ApplicationContent, prefix: str = "application") -> None:
    """InvalidArgument naming every field over its bound; anything incomplete is fine in a draft."""
    v = Violations()
    if len(content.title) > MAX_TEXT:
        v.add(f"{prefix}.title", f"must be at most {MAX_TEXT} characters", "max_len")
    if len(content.summary) > MAX_SUMMARY:
        v.add(f"{prefix}.summary", f"must be at most {MAX_SUMMARY} characters", "max_len")
    for name, most in MAX_ITEMS.items():
        if len(getattr(content, name)) > most:
            v.add(f"{prefix}.{name}", f"must have at most {most} entries", "max_items")
    texts = [
        *((f"budget_lines[{i}].category", b.category) for i, b in enumerate(content.budget_lines)),
        *(
            (f"budget_lines[{i}].description", b.description)
            for i, b in enumerate(content.budget_lines)
        ),
        *(
            (f"cofinancing_sources[{i}].partner_name", s.partner_name)
            for i, s in enumerate(content.cofinancing_sources)
        ),
        *((f"planned_results[{i}].title", r.title) for i, r in enumerate(content.planned_results)),
        *((f"target_groups[{i}]", g) for i, g in enumerate(content.target_groups)),
    ]
    for field, text in texts:
        if len(text) > MAX_DESCRIPTION:
            v.add(f"{prefix}.{field}", f"must be at most {MAX_DESCRIPTION} characters", "max_len")
    v.raise_if_any()
