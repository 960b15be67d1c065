"""Ranking with every tie-break exercised, pass marks by request size, and award decisions: a hand
case with the DOMAIN.md numbers and a property test of the budget, quota and pass-mark rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from grantflow_runtime.money import Money
from grantflow_scoring.domain.awards import (
    NATIONAL_PASS_MARKS,
    Award,
    Decision,
    PassMark,
    decide,
    pass_mark_for,
)
from grantflow_scoring.domain.ranking import Candidate, Ranked, rank, rank_by_direction
from hypothesis import given, settings
from hypothesis import strategies as st

D = Decimal
T0 = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


def rub(roubles: int) -> Money:
    return Money.roubles(roubles)


def cand(
    app: str,
    score: str,
    *,
    direction: str = "health",
    requested: Money | None = None,
    calibrated: str | None = None,
    minutes: int = 0,
) -> Candidate:
    return Candidate(
        application_id=app,
        direction_code=direction,
        requested=requested or rub(1_000_000),
        raw_score=D(score),
        calibrated_score=None if calibrated is None else D(calibrated),
        submitted_at=T0 + timedelta(minutes=minutes),
    )


def order(ranked: list[Ranked]) -> list[str]:
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    return [r.candidate.application_id for r in ranked]


# --- ranking ---


def test_higher_score_first() -> None:
    ranked = rank([cand("a", "70"), cand("b", "90.5"), cand("c", "80")])
    assert order(ranked) == ["b", "c", "a"]
    assert [r.score for r in ranked] == [D("90.5"), D(80), D(70)]


def test_by_calibrated_uses_the_calibrated_score() -> None:
    candidates = [cand("a", "90", calibrated="60"), cand("b", "70", calibrated="75")]
    assert order(rank(candidates)) == ["a", "b"]
    ranked = rank(candidates, by_calibrated=True)
    assert order(ranked) == ["b", "a"]
    assert [r.score for r in ranked] == [D(75), D(60)]


def test_equal_calibrated_scores_fall_back_to_raw() -> None:
    candidates = [cand("a", "70", calibrated="80"), cand("b", "72", calibrated="80")]
    assert order(rank(candidates, by_calibrated=True)) == ["b", "a"]


def test_equal_scores_earlier_submission_first() -> None:
    candidates = [cand("a", "80", minutes=5), cand("b", "80", minutes=1)]
    assert order(rank(candidates)) == ["b", "a"]


def test_then_the_smaller_request_first() -> None:
    candidates = [cand("a", "80", requested=rub(900_000)), cand("b", "80", requested=rub(800_000))]
    assert order(rank(candidates)) == ["b", "a"]


def test_finally_the_application_id() -> None:
    candidates = [cand("b", "80"), cand("a", "80"), cand("c", "80")]
    assert order(rank(candidates)) == ["a", "b", "c"]


def test_ranking_does_not_depend_on_input_order() -> None:
    candidates = [
        cand("a", "80", minutes=3),
        cand("b", "80", minutes=1, requested=rub(2_000_000)),
        cand("c", "80", minutes=1),
        cand("d", "95"),
        cand("e", "80", minutes=1),
    ]
    expected = ["d", "c", "e", "b", "a"]
    assert order(rank(candidates)) == expected
    assert order(rank(list(reversed(candidates)))) == expected


def test_missing_calibrated_score_names_the_application() -> None:
    with pytest.raises(ValueError, match="'b'"):
        rank([cand("a", "80", calibrated="80"), cand("b", "70")], by_calibrated=True)


def test_an_application_is_ranked_once() -> None:
    with pytest.raises(ValueError, match="once"):
        rank([cand("a", "80"), cand("a", "70")])
    with pytest.raises(ValueError, match="once"):
        rank_by_direction([cand("a", "80"), cand("a", "70", direction="family")])


def test_rank_by_direction_restarts_at_one() -> None:
    candidates = [
        cand("h1", "70"),
        cand("f1", "90", direction="family"),
        cand("h2", "85"),
        cand("f2", "60", direction="family"),
        cand("h3", "85", minutes=-1),
    ]
    by_direction = rank_by_direction(candidates)
    assert list(by_direction) == ["family", "health"]
    assert order(by_direction["family"]) == ["f1", "f2"]
    assert order(by_direction["health"]) == ["h3", "h2", "h1"]
    assert rank_by_direction([]) == {}


# --- pass marks ---


@pytest.mark.parametrize(
    ("requested", "mark"),
    [
        (rub(100_000), D(60)),
        (rub(500_000), D(60)),  # "up to 500,000" includes it
        (rub(500_000) + Money(1), D(65)),
        (rub(3_000_000), D(65)),
        (rub(3_000_000) + Money(1), D(68)),
        (rub(10_000_000), D(68)),
        (rub(10_000_000) + Money(1), D(70)),
        (rub(250_000_000), D(70)),
    ],
)
def test_national_pass_marks(requested: Money, mark: Decimal) -> None:
    assert pass_mark_for(requested, NATIONAL_PASS_MARKS) == mark


def test_a_request_no_band_covers_is_an_error() -> None:
    with pytest.raises(ValueError, match="no pass mark"):
        pass_mark_for(rub(20_000_000), NATIONAL_PASS_MARKS[:3])


# --- decisions ---

PLAIN_MARKS = (PassMark(None, D(50)),)


def ranked_of(*candidates: Candidate) -> list[Ranked]:
    return rank(list(candidates))


def test_hand_case_with_domain_numbers() -> None:
    ranked = ranked_of(
        cand("a", "90", direction="health", requested=rub(2_500_000)),
        cand("c", "85", direction="family", requested=rub(12_000_000)),
        cand("b", "80", direction="health", requested=rub(600_000)),
        cand("g", "75", direction="culture", requested=rub(7_000_000)),
        cand("d", "67.99", direction="family", requested=rub(4_000_000)),
        cand("e", "65", direction="family", requested=rub(3_000_000)),
        cand("f", "60", direction="health", requested=rub(500_000)),
        cand("i", "59.99", direction="family", requested=rub(100_000)),
    )
    decision = decide(
        ranked,
        budget=rub(10_000_000),
        quotas={"health": rub(3_000_000)},
        pass_marks=NATIONAL_PASS_MARKS,
    )
    # a: 2.5M of 10M, health 0.5M left. c: 12M > 7.5M left. b: 0.6M > 0.5M of health.
    # g: 7M fits, 0.5M left. d: 67.99 < 68. e: 65 passes its 65, but 3M > 0.5M.
    # f: 0.5M is band one (mark 60) and fits both budget and quota exactly. i: 59.99 < 60.
    assert decision.awards == (
        ranked_award(ranked, "a"),
        ranked_award(ranked, "g"),
        ranked_award(ranked, "f"),
    )
    assert [(d.application_id, d.rank, d.reason) for d in decision.declined] == [
        ("c", 2, "the budget is exhausted"),
        ("b", 3, "the quota of direction 'health' is exhausted"),
        ("d", 5, "below the pass mark of 68 for its request size"),
        ("e", 6, "the budget is exhausted"),
        ("i", 8, "below the pass mark of 60 for its request size"),
    ]
    assert decision.budget_used == rub(10_000_000)
    assert decision.quota_used == {"culture": rub(7_000_000), "health": rub(3_000_000)}


def ranked_award(ranked: list[Ranked], app: str) -> Award:
    entry = next(r for r in ranked if r.candidate.application_id == app)
    return Award(app, entry.candidate.requested, entry.rank, entry.score)


def test_quota_directions_without_awards_report_zero() -> None:
    decision = decide(
        ranked_of(cand("a", "90", direction="family")),
        budget=rub(5_000_000),
        quotas={"health": rub(1_000_000)},
        pass_marks=PLAIN_MARKS,
    )
    assert decision.quota_used == {"family": rub(1_000_000), "health": Money(0)}


def test_the_mark_is_shown_without_trailing_zeros() -> None:
    marks = (PassMark(None, D("62.50")),)
    decision = decide(
        ranked_of(cand("a", "62.49")), budget=rub(5_000_000), quotas={}, pass_marks=marks
    )
    assert decision.declined[0].reason == "below the pass mark of 62.5 for its request size"


def test_budget_reason_wins_when_neither_fits() -> None:
    decision = decide(
        ranked_of(cand("a", "90", requested=rub(2_000_000))),
        budget=rub(1_000_000),
        quotas={"health": rub(1_000_000)},
        pass_marks=PLAIN_MARKS,
    )
    assert decision.declined[0].reason == "the budget is exhausted"


def test_empty_ranking_and_bad_inputs() -> None:
    empty = decide([], budget=rub(1), quotas={}, pass_marks=PLAIN_MARKS)
    assert empty == Decision((), (), Money(0), {})
    one = ranked_of(cand("a", "90"))
    with pytest.raises(ValueError, match="budget"):
        decide(one, budget=Money(-1), quotas={}, pass_marks=PLAIN_MARKS)
    with pytest.raises(ValueError, match="quota"):
        decide(one, budget=rub(1), quotas={"health": Money(-1)}, pass_marks=PLAIN_MARKS)
    with pytest.raises(ValueError, match="distinct"):
        decide(
            [*one, replace(one[0], candidate=cand("b", "1"))],
            budget=rub(1),
            quotas={},
            pass_marks=PLAIN_MARKS,
        )
    with pytest.raises(ValueError, match="once"):
        decide([*one, replace(one[0], rank=2)], budget=rub(1), quotas={}, pass_marks=PLAIN_MARKS)
    free = ranked_of(cand("z", "90", requested=Money(0)))
    with pytest.raises(ValueError, match="requests no money"):
        decide(free, budget=rub(1), quotas={}, pass_marks=PLAIN_MARKS)


# --- property: every decision respects the rules and is deterministic ---

DIRECTIONS = ("health", "family", "culture")


@st.composite
def competitions(
    draw: st.DrawFn,
) -> tuple[list[Ranked], Money, dict[str, Money]]:
    count = draw(st.integers(min_value=0, max_value=25))
    candidates = [
        Candidate(
            application_id=f"app-{i}",
            direction_code=draw(st.sampled_from(DIRECTIONS)),
            # Kopeck amounts around every pass-mark boundary, up to 15 million roubles.
            requested=Money(draw(st.integers(min_value=1, max_value=1_500_000_000))),
            raw_score=D(draw(st.integers(min_value=5_000, max_value=10_000))).scaleb(-2),
            calibrated_score=None,
            submitted_at=T0 + timedelta(seconds=draw(st.integers(0, 10))),
        )
        for i in range(count)
    ]
    budget = Money(draw(st.integers(min_value=0, max_value=3_000_000_000)))
    quota_directions = draw(st.sets(st.sampled_from(DIRECTIONS)))
    quotas = {
        d: Money(draw(st.integers(min_value=0, max_value=1_500_000_000)))
        for d in sorted(quota_directions)
    }
    return rank(candidates), budget, quotas


@settings(max_examples=300, deadline=None)
@given(competitions())
def test_decisions_respect_budget_quotas_and_pass_marks(
    case: tuple[list[Ranked], Money, dict[str, Money]],
) -> None:
    ranked, budget, quotas = case
    decision = decide(ranked, budget=budget, quotas=quotas, pass_marks=NATIONAL_PASS_MARKS)

    awarded = {a.application_id: a for a in decision.awards}
    declined = {d.application_id: d for d in decision.declined}
    assert awarded.keys().isdisjoint(declined)
    assert awarded.keys() | declined.keys() == {r.candidate.application_id for r in ranked}

    total = sum((a.amount.minor_units for a in decision.awards), 0)
    assert total == decision.budget_used.minor_units <= budget.minor_units
    per_direction: dict[str, int] = defaultdict(int)
    for r in ranked:
        if r.candidate.application_id in awarded:
            per_direction[r.candidate.direction_code] += r.candidate.requested.minor_units
    for direction, quota in quotas.items():
        assert per_direction[direction] <= quota.minor_units
    assert {d: m.minor_units for d, m in decision.quota_used.items()} == {
        d: per_direction[d] for d in sorted(set(quotas) | set(per_direction))
    }

    # Replay in rank order: every award fitted, every skip was forced at the moment it happened.
    remaining = budget.minor_units
    left = {d: q.minor_units for d, q in quotas.items()}
    for r in ranked:
        c = r.candidate
        need = c.requested.minor_units
        mark = pass_mark_for(c.requested, NATIONAL_PASS_MARKS)
        if c.application_id in awarded:
            award = awarded[c.application_id]
            assert award.amount == c.requested
            assert award.score == r.score >= mark
            assert award.rank == r.rank
            assert need <= remaining
            assert need <= left.get(c.direction_code, need)
            remaining -= need
            if c.direction_code in left:
                left[c.direction_code] -= need
            continue
        reason = declined[c.application_id].reason
        if r.score < mark:
            assert reason.startswith("below the pass mark")
        elif need > remaining:
            assert reason == "the budget is exhausted"
        else:
            assert need > left[c.direction_code]
            assert reason == f"the quota of direction '{c.direction_code}' is exhausted"

    again = decide(
        list(reversed(ranked)), budget=budget, quotas=quotas, pass_marks=NATIONAL_PASS_MARKS
    )
    assert again == decision
