"""The expert area's rules in plain Python: reading a rubric and assignments from the API's JSON,
which scores need a comment, when an assignment is overdue, which weights apply to a request, and
what a posted score sheet says.

The scoring service stays the judge of every rule here; the console applies the same rules only
to explain them up front (the hint beside each comment) and to say why a refusal happened in the
reader's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from grantflow_gateway.console.forms import Form
from grantflow_gateway.problems import Violation

PENDING = "STATE_PENDING"
SCORED = "STATE_SCORED"
CANCELLED = "STATE_CANCELLED"
# Scoring is over once the awards are decided.
_DECIDED = frozenset({"STATE_DECIDED", "STATE_ARCHIVED"})
# Scales this short read best as a row of radio buttons; longer ones become a select.
MAX_RADIO_CHOICES = 11
# As the scoring service caps them (domain/scores.py COMMENT_MAX_LEN and SubmitScore's reason).
COMMENT_MAX_LEN = 2000
REASON_MAX_LEN = 2000

Text = Callable[..., str]
# Refusals of a whole form (no field) the console words itself, by the service's reason.
_REFUSALS = {
    "panel_closed": "expert.error.panel_closed",
    "not_found": "expert.not_found",
}


@dataclass(frozen=True)
class Criterion:
    """One criterion of a rubric, as GetRubric's JSON gives it (zeros are left out there)."""

    code: str
    title: str
    weight: Decimal
    scale_min: int
    scale_max: int
    comment_at_or_below: int
    comment_at_or_above: int

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Criterion:
        return cls(
            code=str(data.get("code", "")),
            title=str(data.get("title", "")),
            weight=_decimal(data.get("weight")),
            scale_min=int(data.get("scaleMin", 0)),
            scale_max=int(data.get("scaleMax", 0)),
            comment_at_or_below=int(data.get("commentRequiredAtOrBelow", 0)),
            comment_at_or_above=int(data.get("commentRequiredAtOrAbove", 0)),
        )

    @property
    def choices(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))

    @property
    def as_radios(self) -> bool:
        return len(self.choices) <= MAX_RADIO_CHOICES

    def needs_comment(self, value: int) -> bool:
        """The scoring service's rule: an extreme score must be justified with a comment."""
        return value <= self.comment_at_or_below or value >= self.comment_at_or_above

    def comment_ranges(self) -> list[tuple[int, int]]:
        """The scores on the scale that need a comment, as inclusive runs, lowest first."""
        runs: list[tuple[int, int]] = []
        for value in self.choices:
            if not self.needs_comment(value):
                continue
            if runs and runs[-1][1] == value - 1:
                runs[-1] = (runs[-1][0], value)
            else:
                runs.append((value, value))
        return runs


def criteria_of(rubric: Mapping[str, Any]) -> list[Criterion]:
    return [Criterion.of(c) for c in rubric.get("criteria", [])]


def describe_runs(runs: Sequence[tuple[int, int]], conjunction: str) -> str:
    """`[(0, 2), (10, 10)]` -> `0–2 and 10`, with the reader's word for "and"."""
    parts = [str(low) if low == high else f"{low}–{high}" for low, high in runs]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + conjunction + parts[-1]


def comment_rule(criterion: Criterion, t: Text) -> str:
    """What the comment hint says: optional, always required, or required for which scores."""
    runs = criterion.comment_ranges()
    if not runs:
        return t("expert.comment.optional")
    if runs == [(criterion.scale_min, criterion.scale_max)]:
        return t("expert.comment.always")
    return t("expert.comment.for", values=describe_runs(runs, t("expert.and")))


def weights_for(
    rubric: Mapping[str, Any], requested: Mapping[str, Any] | None
) -> dict[str, Decimal]:
    """Each criterion's weight for a request of this size: the first weight band whose bound
    covers the request overrides the criteria's own weights (the scoring service's rule, so the
    expert sees the weights the total will use)."""
    own = {c.code: c.weight for c in criteria_of(rubric)}
    amount = int((requested or {}).get("minorUnits") or 0)
    for band in rubric.get("bands", []):
        bound = band.get("maxRequest")
        if bound is None or amount <= int(bound.get("minorUnits") or 0):
            overrides = {w["code"]: _decimal(w.get("weight")) for w in band.get("weights", [])}
            return {code: overrides.get(code, weight) for code, weight in own.items()}
    return own


def best_total(criteria: Iterable[Criterion], weights: Mapping[str, Decimal]) -> Decimal:
    return sum((weights.get(c.code, c.weight) * c.scale_max for c in criteria), Decimal(0))


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 timestamp from the JSON mapping; None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def is_overdue(assignment: Mapping[str, Any], now: datetime) -> bool:
    """Still waiting for the expert's score after the panel's deadline."""
    due = parse_time(assignment.get("dueTime"))
    return assignment.get("state") == PENDING and due is not None and now > due


def scoring_over(competition: Mapping[str, Any] | None) -> bool:
    """Whether the competition is past scoring for certain: its awards are decided. (Scoring can
    close earlier, when the funder closes the panel; an expert cannot read the panel, so a score
    posted then is refused by the service and the page says why.)"""
    return competition is not None and competition.get("state") in _DECIDED


def list_order(assignment: Mapping[str, Any], now: datetime) -> tuple[int, str, str]:
    """Work first: overdue, then the rest still to score, then scored, then cancelled; by title."""
    state = assignment.get("state")
    rank = 0 if is_overdue(assignment, now) else {PENDING: 1, SCORED: 2}.get(str(state), 3)
    title = str(assignment.get("application", {}).get("title", ""))
    return (rank, title.casefold(), str(assignment.get("applicationId", "")))


@dataclass(frozen=True)
class Counts:
    pending: int
    overdue: int
    scored: int


def count(assignments: Iterable[Mapping[str, Any]], now: datetime) -> Counts:
    items = list(assignments)
    return Counts(
        pending=sum(1 for a in items if a.get("state") == PENDING),
        overdue=sum(1 for a in items if is_overdue(a, now)),
        scored=sum(1 for a in items if a.get("state") == SCORED),
    )


@dataclass(frozen=True)
class Sheet:
    """A posted score sheet: what the expert typed, by input name (to show again), and the
    SubmitScore body when every criterion has a readable score."""

    typed: dict[str, str]
    body: dict[str, Any] | None
    problems: list[Violation]
    # The form was drawn from another rubric than the current one.
    rubric_changed: bool


def value_name(index: int) -> str:
    return f"scores[{index}].value"


def comment_name(index: int) -> str:
    return f"scores[{index}].comment"


def code_name(index: int) -> str:
    return f"scores[{index}].code"


def read_sheet(form: Form, criteria: Sequence[Criterion], *, revising: bool) -> Sheet:
    """The sheet posted for `criteria`, indexed in rubric order as the service names violations
    (`scores[1].comment`). A criterion left unscored is a violation of its input and nothing is
    sent; comments the service would refuse are left to it, so there is one judge of them."""
    typed: dict[str, str] = {}
    problems: list[Violation] = []
    scores: list[dict[str, Any]] = []
    changed = False
    for i, criterion in enumerate(criteria):
        posted_code = form.text(code_name(i))
        changed = changed or (posted_code != "" and posted_code != criterion.code)
        typed[value_name(i)] = form.text(value_name(i))
        typed[comment_name(i)] = form.values.get(comment_name(i), "")
        value = form.integer(value_name(i))
        if value is None and not typed[value_name(i)]:
            problems.append(Violation(value_name(i), "is required", "required"))
        elif value is not None and not criterion.scale_min <= value <= criterion.scale_max:
            problems.append(Violation(value_name(i), "is outside the scale", "range"))
        if value is not None:
            scores.append(
                {"code": criterion.code, "value": value, "comment": typed[comment_name(i)].strip()}
            )
    typed["reason"] = form.values.get("reason", "")
    problems.extend(form.problems)
    body: dict[str, Any] | None = None
    if not problems and not changed:
        body = {"scores": scores}
        if revising:
            body["reason"] = typed["reason"].strip()
    return Sheet(typed, body, problems, changed)


def typed_from_score(
    score: Mapping[str, Any] | None, criteria: Sequence[Criterion]
) -> dict[str, str]:
    """A submitted score as the form's inputs hold it, to start a revision from."""
    given = {s.get("code"): s for s in (score or {}).get("scores", [])}
    typed: dict[str, str] = {"reason": ""}
    for i, criterion in enumerate(criteria):
        found = given.get(criterion.code, {})
        typed[value_name(i)] = str(found.get("value", 0)) if found else ""
        typed[comment_name(i)] = str(found.get("comment", ""))
    return typed


def index_of(field: str) -> int | None:
    """`scores[3].comment` -> 3."""
    if not field.startswith("scores["):
        return None
    digits = field[len("scores[") :].split("]", 1)[0]
    return int(digits) if digits.isdigit() else None


def explain(
    violation: Violation, criteria: Sequence[Criterion], typed: Mapping[str, str], t: Text
) -> str:
    """A violation of the score sheet or the conflict form in the reader's language, for the
    reasons the console knows; any other keeps the service's own words."""
    # The service sends its rule names upper-cased (COMMENT_REQUIRED); the console's are lower.
    field, reason = violation.field, violation.reason.lower()
    index = index_of(field)
    if index is not None and index < len(criteria):
        criterion = criteria[index]
        if field == value_name(index) and reason == "required":
            return t("expert.error.value_required")
        if field == value_name(index) and reason in ("range", "format"):
            return t("expert.error.value_range", min=criterion.scale_min, max=criterion.scale_max)
        if field == comment_name(index) and reason == "comment_required":
            return t("expert.error.comment_required", value=typed.get(value_name(index), ""))
        if field == comment_name(index) and reason == "max_len":
            return t("expert.error.too_long", max=COMMENT_MAX_LEN)
    if field == "scores" and reason == "missing":
        return t("expert.error.missing")
    if field == "" and reason in _REFUSALS:
        return t(_REFUSALS[reason])
    if field == "reason" and reason == "required":
        return t("expert.error.reason_required")
    if field == "conflict.reason" and reason == "required":
        return t("expert.error.conflict_reason")
    if field in ("reason", "conflict.reason") and reason == "max_len":
        return t("expert.error.too_long", max=REASON_MAX_LEN)
    return violation.description


def _decimal(value: Any) -> Decimal:
    # Weights arrive as the service's exact decimal strings; one it could not have sent reads as
    # 0 rather than taking the page down, and the service still weighs the total itself.
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
