"""Expert assignment: hand cases, properties against brute force, incrementality and scale."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from itertools import combinations

import pytest
from grantflow_scoring.domain.assignment import (
    AssignmentPlan,
    Cause,
    ExpertCapacity,
    Need,
    Shortfall,
    Unassigned,
    plan_assignment,
    plan_cost,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def expert(
    expert_id: str,
    directions: Sequence[str] = ("health",),
    region: str = "RU-MOW",
    max_load: int = 10,
    current_load: int = 0,
) -> ExpertCapacity:
    return ExpertCapacity(expert_id, frozenset(directions), region, max_load, current_load)


def need(
    application_id: str,
    direction: str = "health",
    region: str = "RU-MOW",
    needed: int = 2,
    excluded: Sequence[str] = (),
    has_same_region_expert: bool = False,
) -> Need:
    return Need(
        application_id, direction, region, needed, frozenset(excluded), has_same_region_expert
    )


def loads(plan: AssignmentPlan, experts: Sequence[ExpertCapacity]) -> dict[str, int]:
    added = Counter(expert_id for _, expert_id in plan.pairs)
    return {e.expert_id: e.current_load + added[e.expert_id] for e in experts}


def eligible(n: Need, e: ExpertCapacity) -> bool:
    return n.direction_code in e.direction_codes and e.expert_id not in n.excluded


def brute_force(
    needs: Sequence[Need],
    experts: Sequence[ExpertCapacity],
    *,
    same_region_bonus: int,
    balance_weight: int,
) -> tuple[int, int]:
    """(most pairs any valid assignment seats, least plan_cost among those), by enumeration."""
    room = {e.expert_id: e.max_load - e.current_load for e in experts}
    choices: list[list[tuple[str, ...]]] = []
    for n in needs:
        ids = [e.expert_id for e in experts if eligible(n, e)]
        choices.append(
            [c for size in range(min(n.needed, len(ids)) + 1) for c in combinations(ids, size)]
        )
    best: list[tuple[int, int]] = []
    chosen: list[tuple[str, str]] = []

    def walk(index: int) -> None:
        if index == len(needs):
            count = len(chosen)
            cost = plan_cost(
                chosen,
                needs,
                experts,
                same_region_bonus=same_region_bonus,
                balance_weight=balance_weight,
            )
            best.append((-count, cost))
            return
        for subset in choices[index]:
            if all(room[x] > 0 for x in subset):
                for x in subset:
                    room[x] -= 1
                    chosen.append((needs[index].application_id, x))
                walk(index + 1)
                for x in subset:
                    room[x] += 1
                    chosen.pop()

    walk(0)
    count, cost = min(best)
    return -count, cost


# ---- hand cases ------------------------------------------------------------------------------


def test_three_applications_three_experts_one_conflict_exact_plan() -> None:
    experts = [
        expert("e1", region="RU-SPE", max_load=2),
        expert("e2", region="RU-TA", max_load=2),
        expert("e3", region="RU-NVS", max_load=2),
    ]
    needs = [
        need("a1", region="RU-SPE", excluded=["e1"]),  # e1 is conflicted with a1
        need("a2", region="RU-TA"),
        need("a3", region="RU-NVS"),
    ]
    plan = plan_assignment(needs, experts, same_region_bonus=25, balance_weight=10)
    # Capacity 6 = demand 6, so every expert is full; a1 must take e2 and e3, and the region
    # preference decides which of a2/a3 gets e2 and which e3.
    assert plan.pairs == (
        ("a1", "e2"),
        ("a1", "e3"),
        ("a2", "e1"),
        ("a2", "e2"),
        ("a3", "e1"),
        ("a3", "e3"),
    )
    assert plan.unassigned == ()
    # Load levels 1 + 2 for each of three experts, minus two region bonuses.
    assert plan.cost == 10 * 3 * 3 - 2 * 25
    assert plan.cost == plan_cost(
        plan.pairs, needs, experts, same_region_bonus=25, balance_weight=10
    )


def test_region_preference_picks_a_same_region_expert_when_it_costs_nothing_else() -> None:
    experts = [expert("e1", region="RU-MOW"), expert("e2", region="RU-KDA"), expert("e3")]
    plan = plan_assignment([need("a1", region="RU-KDA", needed=1)], experts)
    assert plan.pairs == (("a1", "e2"),)


def test_region_bonus_counts_once_per_application() -> None:
    experts = [expert("e1", region="RU-KDA"), expert("e2", region="RU-KDA"), expert("e3")]
    needs = [need("a1", region="RU-KDA", needed=2)]
    plan = plan_assignment(needs, experts, same_region_bonus=25, balance_weight=10)
    # Two same-region experts are as good as one same-region plus another: the bonus is single.
    assert plan.cost == 10 + 10 - 25
    assert any(expert_id in {"e1", "e2"} for _, expert_id in plan.pairs)


def test_no_bonus_when_the_application_already_has_a_same_region_expert() -> None:
    experts = [expert("e1", region="RU-KDA", current_load=3), expert("e2", current_load=0)]
    needs = [need("a1", region="RU-KDA", needed=1, has_same_region_expert=True)]
    plan = plan_assignment(needs, experts)
    # Without the bonus the least-loaded expert wins.
    assert plan.pairs == (("a1", "e2"),)


def test_region_preference_does_not_outweigh_a_large_load_gap() -> None:
    experts = [expert("e1", region="RU-KDA", current_load=8), expert("e2", current_load=0)]
    plan = plan_assignment([need("a1", region="RU-KDA", needed=1)], experts)
    assert plan.pairs == (("a1", "e2"),)


def test_load_is_balanced_when_every_expert_is_eligible_for_everything() -> None:
    experts = [
        expert(f"e{i}", region=f"R{i}", max_load=30, current_load=c)
        for i, c in enumerate([0, 3, 1, 0, 5])
    ]
    needs = [need(f"a{i:02d}", region="elsewhere") for i in range(17)]
    plan = plan_assignment(needs, experts)
    final = loads(plan, experts)
    assert len(plan.pairs) == 34
    assert max(final.values()) - min(final.values()) <= 1


def test_full_experts_and_missing_directions_are_explained() -> None:
    experts = [
        expert("e1", directions=["culture"]),
        expert("e2", directions=["health"], max_load=1, current_load=1),
        expert("e3", directions=["health"], max_load=1, current_load=1),
        expert("e4", directions=["youth"]),
        expert("e5", directions=["youth"], max_load=1),
    ]
    needs = [
        need("a-culture", direction="culture"),
        need("a-health", direction="health"),
        need("a-memory", direction="memory"),
        need("a-youth-1", direction="youth", needed=2),
        need("a-youth-2", direction="youth", needed=2),
    ]
    plan = plan_assignment(needs, experts)
    by_id = {u.application_id: u for u in plan.unassigned}
    assert by_id["a-culture"].missing == 1
    assert "only 1 active expert of 1 covering direction 'culture'" in by_id["a-culture"].reason
    assert by_id["a-health"].missing == 2
    assert "every expert covering 'health'" in by_id["a-health"].reason
    assert "load limit" in by_id["a-health"].reason
    assert by_id["a-memory"] == Unassigned(
        "a-memory", 2, Shortfall(Cause.NO_EXPERT_FOR_DIRECTION, "memory", 2, 0, 0, 0)
    )
    assert by_id["a-memory"].reason == "no active expert covers direction 'memory'"
    # Youth has capacity 11 but e5 only 1 seat: one of the two applications is one expert short.
    youth = [u for u in plan.unassigned if u.application_id.startswith("a-youth")]
    assert [u.missing for u in youth] == [1]
    assert "too little load left" in youth[0].reason
    # Each cause comes with the figures a client words it with in its own language.
    assert {u.application_id: u.shortfall.cause for u in plan.unassigned} == {
        "a-culture": Cause.TOO_FEW_WITHOUT_CONFLICT,
        "a-health": Cause.ALL_AT_LOAD_LIMIT,
        "a-memory": Cause.NO_EXPERT_FOR_DIRECTION,
        youth[0].application_id: Cause.LOAD_SPREAD_TOO_THIN,
    }


def test_too_few_experts_with_room_left_is_told_apart_from_a_full_panel() -> None:
    experts = [expert("e1"), expert("e2", max_load=3, current_load=3), expert("e3", max_load=0)]
    plan = plan_assignment([need("a1")], experts)
    assert plan.pairs == (("a1", "e1"),)
    assert plan.unassigned[0].shortfall == Shortfall(
        Cause.TOO_FEW_WITH_ROOM, "health", needed=2, covering=3, eligible=3, with_room=1
    )
    assert plan.unassigned[0].reason == (
        "only 1 of the 3 experts covering 'health' without a conflict with this application has "
        "room left under their load limit; it needs 2"
    )


def test_conflicts_are_explained_when_too_few_experts_remain() -> None:
    experts = [expert("e1"), expert("e2"), expert("e3")]
    plan = plan_assignment([need("a1", excluded=["e1", "e2"])], experts)
    assert plan.pairs == (("a1", "e3"),)
    assert plan.unassigned[0].missing == 1
    assert "free of a conflict" in plan.unassigned[0].reason
    assert plan.unassigned[0].shortfall == Shortfall(
        Cause.TOO_FEW_WITHOUT_CONFLICT, "health", needed=2, covering=3, eligible=1, with_room=1
    )


def test_needs_that_need_nothing_are_ignored() -> None:
    plan = plan_assignment([need("a1", needed=0)], [expert("e1")])
    assert plan == AssignmentPlan(pairs=(), unassigned=(), cost=0)


@pytest.mark.parametrize(
    ("needs", "experts", "message"),
    [
        ([need("a1"), need("a1")], [expert("e1")], "application listed more than once"),
        ([need("a1")], [expert("e1"), expert("e1")], "expert listed more than once"),
        ([need("a1", needed=-1)], [expert("e1")], "needed must not be negative"),
        ([need("a1")], [expert("e1", max_load=-1)], "max_load"),
    ],
)
def test_invalid_input_is_rejected(
    needs: list[Need], experts: list[ExpertCapacity], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan_assignment(needs, experts)


# ---- properties ------------------------------------------------------------------------------

DIRECTIONS = ("health", "culture", "youth")
REGIONS = ("RU-MOW", "RU-SPE", "RU-TA")


@st.composite
def pools(
    draw: st.DrawFn, *, max_needs: int = 5, max_experts: int = 5
) -> tuple[list[Need], list[ExpertCapacity]]:
    experts: list[ExpertCapacity] = []
    for i in range(draw(st.integers(0, max_experts))):
        max_load = draw(st.integers(0, 3))
        experts.append(
            ExpertCapacity(
                expert_id=f"e{i}",
                direction_codes=frozenset(
                    draw(st.sets(st.sampled_from(DIRECTIONS), min_size=1, max_size=2))
                ),
                region_code=draw(st.sampled_from(REGIONS)),
                max_load=max_load,
                current_load=draw(st.integers(0, max_load)),
            )
        )
    expert_ids = [e.expert_id for e in experts]
    needs: list[Need] = []
    for i in range(draw(st.integers(0, max_needs))):
        needs.append(
            Need(
                application_id=f"a{i}",
                direction_code=draw(st.sampled_from(DIRECTIONS)),
                region_code=draw(st.sampled_from(REGIONS)),
                needed=draw(st.integers(0, 2)),
                excluded=frozenset(draw(st.sets(st.sampled_from(expert_ids))))
                if expert_ids
                else frozenset(),
                has_same_region_expert=draw(st.booleans()),
            )
        )
    return needs, experts


weights = st.sampled_from([(0, 1), (25, 10), (5, 1), (100, 1), (0, 0), (7, 3)])


@settings(max_examples=150, deadline=None)
@given(pool=pools(), weight=weights, shuffle_seed=st.integers(0, 2**32 - 1))
def test_plans_are_valid_maximal_explained_and_deterministic(
    pool: tuple[list[Need], list[ExpertCapacity]],
    weight: tuple[int, int],
    shuffle_seed: int,
) -> None:
    needs, experts = pool
    bonus, balance = weight
    plan = plan_assignment(needs, experts, same_region_bonus=bonus, balance_weight=balance)

    need_by_id = {n.application_id: n for n in needs}
    expert_by_id = {e.expert_id: e for e in experts}
    assert list(plan.pairs) == sorted(set(plan.pairs))
    for application_id, expert_id in plan.pairs:
        assert eligible(need_by_id[application_id], expert_by_id[expert_id])
    for e in experts:
        assert loads(plan, experts)[e.expert_id] <= e.max_load

    got = Counter(application_id for application_id, _ in plan.pairs)
    short = {
        n.application_id: n.needed - got[n.application_id]
        for n in needs
        if got[n.application_id] < n.needed
    }
    assert all(got[n.application_id] <= n.needed for n in needs)
    assert {u.application_id: u.missing for u in plan.unassigned} == short
    assert [u.application_id for u in plan.unassigned] == sorted(short)
    assert all(u.reason for u in plan.unassigned)

    most, _ = brute_force(needs, experts, same_region_bonus=bonus, balance_weight=balance)
    assert len(plan.pairs) == most
    if most == sum(n.needed for n in needs):
        assert plan.unassigned == ()

    assert plan.cost == plan_cost(
        plan.pairs, needs, experts, same_region_bonus=bonus, balance_weight=balance
    )
    shuffler = random.Random(shuffle_seed)
    shuffled_needs, shuffled_experts = list(needs), list(experts)
    shuffler.shuffle(shuffled_needs)
    shuffler.shuffle(shuffled_experts)
    for again_needs, again_experts in ((needs, experts), (shuffled_needs, shuffled_experts)):
        again = plan_assignment(
            again_needs, again_experts, same_region_bonus=bonus, balance_weight=balance
        )
        assert again == plan


@settings(max_examples=150, deadline=None)
@given(pool=pools(max_needs=4, max_experts=4), weight=weights)
def test_cost_is_the_brute_force_minimum_among_maximum_assignments(
    pool: tuple[list[Need], list[ExpertCapacity]], weight: tuple[int, int]
) -> None:
    needs, experts = pool
    bonus, balance = weight
    plan = plan_assignment(needs, experts, same_region_bonus=bonus, balance_weight=balance)
    most, least = brute_force(needs, experts, same_region_bonus=bonus, balance_weight=balance)
    assert (len(plan.pairs), plan.cost) == (most, least)


# ---- incremental -----------------------------------------------------------------------------


def test_late_needs_and_an_extra_expert_only_add_pairs_within_limits() -> None:
    experts = [
        expert("e1", directions=["health", "youth"], region="RU-SPE", max_load=4),
        expert("e2", directions=["health"], region="RU-TA", max_load=4),
        expert("e3", directions=["youth"], region="RU-MOW", max_load=4),
    ]
    conflicts = {"a1": {"e2"}}
    first_needs = [
        need("a1", direction="youth", region="RU-SPE", excluded=sorted(conflicts["a1"])),
        need("a2", direction="health", region="RU-TA"),
        need("a3", direction="youth", region="RU-MOW"),
    ]
    first = plan_assignment(first_needs, experts)
    assert first.unassigned == ()

    # Later: two applications arrive and an expert joins; the caller passes only what is missing.
    late_expert = expert("e4", directions=["health", "youth"], region="RU-TA", max_load=4)
    held = Counter(expert_id for _, expert_id in first.pairs)
    updated_experts = [
        ExpertCapacity(e.expert_id, e.direction_codes, e.region_code, e.max_load, held[e.expert_id])
        for e in experts
    ] + [late_expert]
    late_needs = [
        need("a4", direction="health", region="RU-TA", excluded=["e1"]),
        need("a5", direction="youth", region="RU-KDA"),
    ]
    second = plan_assignment(late_needs, updated_experts)

    assert second.unassigned == ()
    assert {application_id for application_id, _ in second.pairs} == {"a4", "a5"}
    assert ("a4", "e1") not in second.pairs
    combined = Counter(expert_id for _, expert_id in first.pairs + second.pairs)
    for e in [*experts, late_expert]:
        assert combined[e.expert_id] <= e.max_load
    # The new expert, empty so far, takes new work before the loaded ones.
    assert combined["e4"] == 2


def test_a_divergence_top_up_adds_a_third_expert_without_touching_the_first_two() -> None:
    experts = [expert(f"e{i}", region=f"R{i}") for i in range(4)]
    first = plan_assignment([need("a1", region="R0")], experts)
    assigned = {expert_id for _, expert_id in first.pairs}
    held = Counter(expert_id for _, expert_id in first.pairs)
    updated = [
        ExpertCapacity(e.expert_id, e.direction_codes, e.region_code, e.max_load, held[e.expert_id])
        for e in experts
    ]
    top_up = need(
        "a1", region="R0", needed=1, excluded=sorted(assigned), has_same_region_expert=True
    )
    second = plan_assignment([top_up], updated)
    assert len(second.pairs) == 1
    assert second.pairs[0][1] not in assigned


# ---- scale -----------------------------------------------------------------------------------


def test_two_thousand_needs_over_two_hundred_experts() -> None:
    rng = random.Random(7)
    directions = [f"d{i}" for i in range(12)]
    regions = [f"R{i}" for i in range(30)]
    experts = [
        ExpertCapacity(
            f"e{i:03d}",
            frozenset(rng.sample(directions, rng.randint(1, 3))),
            rng.choice(regions),
            max_load=40,
            current_load=0,
        )
        for i in range(200)
    ]
    ids = [e.expert_id for e in experts]
    needs = [
        Need(
            f"a{i:05d}",
            rng.choice(directions),
            rng.choice(regions),
            2,
            frozenset(rng.sample(ids, 4)),
        )
        for i in range(2000)
    ]
    plan = plan_assignment(needs, experts)
    assert len(plan.pairs) + sum(u.missing for u in plan.unassigned) == 4000
    final = loads(plan, experts)
    assert max(final.values()) <= 40
