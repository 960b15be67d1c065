"""Competition rules in plain Python: every rule with a valid and an invalid case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from grantflow_applications.domain.competitions import (
    Competition,
    CompetitionState,
    CompetitionTerms,
)
from grantflow_runtime.errors import FailedPrecondition, InvalidArgument
from grantflow_runtime.money import Money

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def terms(**changes: object) -> CompetitionTerms:
    base = CompetitionTerms(
        title="Regional call",
        description="",
        direction_codes=("health",),
        min_grant=Money.roubles(100_000),
        max_grant=Money.roubles(1_000_000),
        budget=Money.roubles(10_000_000),
        opens_at=NOW,
        closes_at=NOW + timedelta(days=30),
        time_zone="Europe/Moscow",
        max_duration_months=12,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def violations(**changes: object) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        Competition.create(id="c1", owner="f", terms=terms(**changes), now=NOW)
    return {v.field: v.rule for v in caught.value.violations}


def test_valid_terms_make_a_draft() -> None:
    c = Competition.create(id="c1", owner="f", terms=terms(title="  Regional call  "), now=NOW)
    assert c.state is CompetitionState.DRAFT
    assert c.title == "Regional call"


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"title": " "}, "competition.title", "required"),
        ({"title": "x" * 301}, "competition.title", "max_len"),
        ({"description": "x" * 10_001}, "competition.description", "max_len"),
        ({"direction_codes": ()}, "competition.direction_codes", "required"),
        (
            {"direction_codes": ("health", "astrology")},
            "competition.direction_codes[1]",
            "catalogue",
        ),
        ({"direction_codes": ("health", "health")}, "competition.direction_codes[1]", "unique"),
        ({"min_grant": None}, "competition.min_grant", "required"),
        ({"min_grant": Money(100, "USD")}, "competition.min_grant.currency_code", "currency"),
        ({"min_grant": Money(0)}, "competition.min_grant.minor_units", "range"),
        ({"max_grant": Money.roubles(50_000)}, "competition.max_grant", "order"),
        ({"budget": Money.roubles(500_000)}, "competition.budget", "order"),
        ({"opens_at": None}, "competition.opens_at", "required"),
        ({"closes_at": None}, "competition.closes_at", "required"),
        ({"closes_at": NOW}, "competition.closes_at", "order"),
        (
            {"opens_at": NOW - timedelta(days=9), "closes_at": NOW - timedelta(days=1)},
            "competition.closes_at",
            "future",
        ),
        ({"time_zone": ""}, "competition.time_zone", "required"),
        ({"time_zone": "Mars/Olympus"}, "competition.time_zone", "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "competition.time_zone", "time_zone"),
        ({"max_duration_months": 0}, "competition.max_duration_months", "range"),
        ({"max_duration_months": 37}, "competition.max_duration_months", "range"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str, rule: str) -> None:
    assert violations(**changes).get(field) == rule


def test_every_violation_is_reported_at_once() -> None:
    found = violations(title="", direction_codes=(), time_zone="Nowhere", max_duration_months=99)
    assert set(found) == {
        "competition.title",
        "competition.direction_codes",
        "competition.time_zone",
        "competition.max_duration_months",
    }


def test_open_moves_draft_to_open_once() -> None:
    draft = Competition.create(id="c1", owner="f", terms=terms(), now=NOW)
    opened = draft.open(NOW + timedelta(hours=1))
    assert opened.state is CompetitionState.OPEN
    with pytest.raises(FailedPrecondition):
        opened.open(NOW + timedelta(hours=2))


def test_cannot_open_after_the_deadline() -> None:
    draft = Competition.create(id="c1", owner="f", terms=terms(), now=NOW)
    with pytest.raises(FailedPrecondition) as caught:
        draft.open(NOW + timedelta(days=31))
    assert caught.value.reason == "DEADLINE_PASSED"


def test_closing_now_needs_a_reason_only_before_the_deadline() -> None:
    opened = Competition.create(id="c1", owner="f", terms=terms(), now=NOW).open(NOW)
    early = NOW + timedelta(days=1)
    with pytest.raises(InvalidArgument) as unexplained:
        opened.close_now(early, "")
    assert [v.field for v in unexplained.value.violations] == ["early_close_reason"]
    with pytest.raises(InvalidArgument):
        opened.close_now(early, "x" * 1001)
    assert opened.close_now(early, "budget cut").state is CompetitionState.CLOSED
    late = opened.closes_at + timedelta(seconds=1)
    closed = opened.close_now(late, "")
    assert closed.state is CompetitionState.CLOSED and closed.closes_at == opened.closes_at
    with pytest.raises(FailedPrecondition):
        closed.close_now(late, "again")


def test_only_a_closed_competition_is_decided() -> None:
    opened = Competition.create(id="c1", owner="f", terms=terms(), now=NOW).open(NOW)
    with pytest.raises(FailedPrecondition):
        opened.mark_decided(NOW)
    closed = opened.close_now(opened.closes_at, "")
    assert closed.mark_decided(opened.closes_at).state is CompetitionState.DECIDED


def test_local_deadline_keeps_the_competitions_zone() -> None:
    c = Competition.create(id="c1", owner="f", terms=terms(time_zone="Asia/Vladivostok"), now=NOW)
    assert c.local_deadline().utcoffset() == timedelta(hours=10)
