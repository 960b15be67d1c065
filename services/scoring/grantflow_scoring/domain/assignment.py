"""Expert assignment as a min-cost flow: who reviews which application.

Every application needs k experts (the national programme's default is 2) whose expertise covers
its direction, who have no conflict with it, and who stay within their per-competition load limit.
Among all assignments that seat as many experts as possible, the plan is the one of least cost,
where the cost spreads load evenly and rewards giving an application one expert from its own
region (the programme's preference, shared DOMAIN.md "Expert scoring": a preference, never a rule).

The network (OR-Tools ``SimpleMinCostFlow``, integer costs)::

    need ──(1, −bonus)──► local ──(1, 0)──► same-region expert ─┐
      │  ──(needed−1, 0)─►                                      │
      └───────────────────(1, 0)──────────► other expert ───────┴─(1 per load level L,
                                                                    balance_weight × L)──► sink

* Each need node supplies ``needed`` units; the sink absorbs them. Arcs need → expert exist only
  for eligible pairs (direction covered, expert not in ``excluded``, room left under ``max_load``)
  and carry capacity 1, so an application never gets the same expert twice.
* Load: an expert reaches the sink through one arc per load level L = current_load+1 … max_load,
  capacity 1, cost ``balance_weight × L``. The marginal cost grows with the level, so the total
  cost of an expert is convex in its load (``balance_weight × Σ L``, i.e. half the sum of squared
  loads plus a constant for a fixed number of assignments): filling the least-loaded expert first
  is always cheapest, and minimising it minimises the variance of the loads. Levels count from the
  expert's ``current_load`` so earlier assignments in the same competition are part of the balance.
* Region: if the application has no same-region expert yet, its same-region experts are reached
  only through a per-need ``local`` node. The need reaches ``local`` by one arc of capacity 1 and
  cost ``−same_region_bonus`` and one of capacity ``needed − 1`` and cost 0, so the first
  same-region expert earns the bonus and a second one earns nothing (the programme asks for one).
  Every same-region expert has exactly one arc from the need's side (through ``local``), so the
  capacity-1 rule per pair still holds. Applications that already have a same-region expert get
  no ``local`` node and no bonus.
* The trade-off between the two: moving one assignment from an expert whose top level is a to an
  expert whose next level is b + 1 costs ``balance_weight × (b + 1 − a)``. With the defaults
  (weight 10, bonus 25) the region preference is worth at most two load levels: it may widen the
  load gap between two interchangeable experts from the even 1 to 3, never more, and where a
  same-region expert is not among the least loaded by that margin the plan stays even.
* Max-flow first, min-cost second: ``solve_max_flow_with_min_cost`` finds the largest number of
  assignments and, among those, the cheapest, so demand is left unmet only when no assignment can
  meet it (a "bonus" never beats seating one more expert). Unmet demand is reported per
  application as :class:`Unassigned` with a reason a funder can act on.

Determinism: needs are sorted by application id and experts by expert id, nodes and arcs are built
in that order, and the solver is single-threaded and deterministic, so the same input (in any
order) gives the same plan.

Incremental by construction: the caller passes only what is still missing (``needed`` = k minus
the experts already assigned, ``excluded`` = conflicts plus experts already assigned to that
application, ``current_load`` = assignments each expert already holds in this competition). The
function returns new pairs only and never sees, moves or removes existing ones, so late
applications, extra experts or a divergence top-up (a third or fourth expert) never reshuffle what
experts are already reviewing.

Scale: the arcs need → expert are built per direction with numpy (``repeat``/``tile``) and added in
one vectorised call; 20,000 applications × 1,000 experts over 12 directions is a few million arcs
and solves in seconds (bench/assignment.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

DEFAULT_SAME_REGION_BONUS = 25
DEFAULT_BALANCE_WEIGHT = 10

# Bounds keep every path cost far inside int64, the solver's cost type.
_MAX_WEIGHT = 1_000_000
_MAX_LOAD = 1_000_000


@dataclass(frozen=True)
class ExpertCapacity:
    expert_id: str
    direction_codes: frozenset[str]
    region_code: str
    max_load: int  # the expert's limit per competition
    current_load: int  # assignments it already holds in this competition


@dataclass(frozen=True)
class Need:
    application_id: str
    direction_code: str
    region_code: str  # the applicant organisation's region
    needed: int  # how many more experts it needs now (k minus already assigned)
    excluded: frozenset[str]  # expert ids that may not review it: conflicted, or already assigned
    has_same_region_expert: bool = False  # one of its current experts is from its region already


class Cause(StrEnum):
    """Why an application stays short of experts, from the most basic cause to the least."""

    NO_EXPERT_FOR_DIRECTION = "no_expert_for_direction"
    TOO_FEW_WITHOUT_CONFLICT = "too_few_without_conflict"
    ALL_AT_LOAD_LIMIT = "all_at_load_limit"
    TOO_FEW_WITH_ROOM = "too_few_with_room"
    LOAD_SPREAD_TOO_THIN = "load_spread_too_thin"


@dataclass(frozen=True)
class Shortfall:
    """The cause with the figures behind it, so each client can word it in its own language."""

    cause: Cause
    direction_code: str
    needed: int  # experts the application needed from this call
    covering: int  # active experts covering its direction
    eligible: int  # of those, free of a conflict with it and not already reviewing it
    with_room: int  # of those, under their load limit

    def sentence(self) -> str:
        """The cause in English, for the API's `reason` and the CLI."""
        direction = self.direction_code
        match self.cause:
            case Cause.NO_EXPERT_FOR_DIRECTION:
                return f"no active expert covers direction '{direction}'"
            case Cause.TOO_FEW_WITHOUT_CONFLICT:
                return (
                    f"only {self.eligible} active {_experts_word(self.eligible)} "
                    f"of {self.covering} covering direction '{direction}' "
                    f"{'is' if self.eligible == 1 else 'are'} free of a conflict with this "
                    f"application and not already reviewing it; it needs {self.needed}"
                )
            case Cause.ALL_AT_LOAD_LIMIT:
                return (
                    f"every expert covering '{direction}' without a conflict with this "
                    "application is at their load limit"
                )
            case Cause.TOO_FEW_WITH_ROOM:
                return (
                    f"only {self.with_room} of the {self.eligible} "
                    f"{_experts_word(self.eligible)} covering '{direction}' without a conflict "
                    f"with this application {'has' if self.with_room == 1 else 'have'} room "
                    f"left under their load limit; it needs {self.needed}"
                )
            case Cause.LOAD_SPREAD_TOO_THIN:
                return (
                    f"the {self.with_room} {_experts_word(self.with_room)} covering "
                    f"'{direction}' who could review this application have too little load "
                    "left for every application that needs them: raise their load limits or "
                    f"add experts for '{direction}'"
                )


@dataclass(frozen=True)
class Unassigned:
    application_id: str
    missing: int  # how many experts it still lacks
    shortfall: Shortfall

    @property
    def reason(self) -> str:
        """A sentence for the funder."""
        return self.shortfall.sentence()


@dataclass(frozen=True)
class AssignmentPlan:
    pairs: tuple[tuple[str, str], ...]  # (application_id, expert_id), sorted
    unassigned: tuple[Unassigned, ...]  # sorted by application_id
    cost: int  # objective value (plan_cost of pairs), for benchmarks and tests


IntArray = npt.NDArray[np.int64]
# Node indices fit int32 (the solver's node type); keeping them narrow halves the arc arrays.
NodeArray = npt.NDArray[np.int32]


def plan_assignment(
    needs: Sequence[Need],
    experts: Sequence[ExpertCapacity],
    *,
    same_region_bonus: int = DEFAULT_SAME_REGION_BONUS,
    balance_weight: int = DEFAULT_BALANCE_WEIGHT,
) -> AssignmentPlan:
    """Seat as many experts as possible, then pick the cheapest such plan (module docstring)."""
    _validate(needs, experts, same_region_bonus, balance_weight)
    ordered_needs = sorted((n for n in needs if n.needed > 0), key=lambda n: n.application_id)
    ordered_experts = sorted(experts, key=lambda e: e.expert_id)
    if not ordered_needs:
        return AssignmentPlan(pairs=(), unassigned=(), cost=0)

    pair_need, pair_expert = _eligible_pairs(ordered_needs, ordered_experts)

    n_needs, n_experts = len(ordered_needs), len(ordered_experts)
    region_ids: dict[str, int] = {}
    need_region = np.array(
        [region_ids.setdefault(n.region_code, len(region_ids)) for n in ordered_needs],
        dtype=np.int32,
    )
    expert_region = np.array(
        [region_ids.setdefault(e.region_code, len(region_ids)) for e in ordered_experts],
        dtype=np.int32,
    )
    wants_local = np.array([not n.has_same_region_expert for n in ordered_needs], dtype=bool)
    if same_region_bonus == 0:
        wants_local[:] = False
    same = wants_local[pair_need] & (need_region[pair_need] == expert_region[pair_expert])
    # Only needs that can actually reach a same-region expert get a local node.
    local_needs = np.unique(pair_need[same])
    local_node = np.full(n_needs, -1, dtype=np.int32)
    local_node[local_needs] = n_needs + np.arange(len(local_needs), dtype=np.int32)
    expert_base = n_needs + len(local_needs)
    sink = expert_base + n_experts

    solver = min_cost_flow.SimpleMinCostFlow()

    needed = np.array([n.needed for n in ordered_needs], dtype=np.int64)
    # need → local: the first same-region expert earns the bonus, further ones route at cost 0.
    _add_arcs(
        solver,
        local_needs,
        local_node[local_needs],
        np.ones(len(local_needs), dtype=np.int64),
        np.full(len(local_needs), -same_region_bonus, dtype=np.int64),
    )
    rest: NodeArray = local_needs[needed[local_needs] > 1]
    _add_arcs(
        solver,
        rest,
        local_node[rest],
        needed[rest] - 1,
        np.zeros(len(rest), dtype=np.int64),
    )

    first_pair_arc = int(solver.num_arcs())
    _add_arcs(
        solver,
        np.where(same, local_node[pair_need], pair_need),
        expert_base + pair_expert,
        np.ones(len(pair_need), dtype=np.int64),
        np.zeros(len(pair_need), dtype=np.int64),
    )

    level_tails, level_costs = _load_levels(ordered_experts, balance_weight)
    _add_arcs(
        solver,
        expert_base + level_tails,
        np.full(len(level_tails), sink, dtype=np.int32),
        np.ones(len(level_tails), dtype=np.int64),
        level_costs,
    )

    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_needs] = needed
    supplies[sink] = -int(needed.sum())
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)

    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        # With integer capacities and bounded costs this cannot happen; fail loudly if it does.
        raise RuntimeError(f"min-cost flow solver returned {status}")

    pair_arcs = np.arange(first_pair_arc, first_pair_arc + len(pair_need), dtype=np.int32)
    used = np.nonzero(solver.flows(pair_arcs))[0] if len(pair_arcs) else np.array([], np.int32)
    pairs = sorted(
        (ordered_needs[int(i)].application_id, ordered_experts[int(j)].expert_id)
        for i, j in zip(pair_need[used], pair_expert[used], strict=True)
    )

    got = Counter(application_id for application_id, _ in pairs)
    short = [n for n in ordered_needs if got[n.application_id] < n.needed]
    covering: dict[str, list[ExpertCapacity]] = defaultdict(list)
    if short:
        for e in ordered_experts:
            for code in e.direction_codes:
                covering[code].append(e)
    unassigned = tuple(
        Unassigned(
            application_id=n.application_id,
            missing=n.needed - got[n.application_id],
            shortfall=_shortfall(n, covering.get(n.direction_code, [])),
        )
        for n in short
    )
    return AssignmentPlan(
        pairs=tuple(pairs), unassigned=unassigned, cost=int(solver.optimal_cost())
    )


def plan_cost(
    plan_pairs: Iterable[tuple[str, str]],
    needs: Sequence[Need],
    experts: Sequence[ExpertCapacity],
    *,
    same_region_bonus: int = DEFAULT_SAME_REGION_BONUS,
    balance_weight: int = DEFAULT_BALANCE_WEIGHT,
) -> int:
    """The objective plan_assignment minimises, for any set of new pairs.

    ``balance_weight × Σ L`` over the load levels each expert climbs from its ``current_load``,
    minus ``same_region_bonus`` for each application that had no same-region expert and gets at
    least one. It does not check validity (conflicts, directions, limits): that is the caller's.
    """
    need_by_id = {n.application_id: n for n in needs}
    expert_by_id = {e.expert_id: e for e in experts}
    added: Counter[str] = Counter()
    local: set[str] = set()
    for application_id, expert_id in plan_pairs:
        need, expert = need_by_id[application_id], expert_by_id[expert_id]
        added[expert_id] += 1
        if not need.has_same_region_expert and need.region_code == expert.region_code:
            local.add(application_id)
    cost = 0
    for expert_id, extra in added.items():
        start = expert_by_id[expert_id].current_load
        # Σ L for L = start+1 … start+extra.
        cost += balance_weight * (extra * start + extra * (extra + 1) // 2)
    return cost - same_region_bonus * len(local)


def _validate(
    needs: Sequence[Need],
    experts: Sequence[ExpertCapacity],
    same_region_bonus: int,
    balance_weight: int,
) -> None:
    if not 0 <= same_region_bonus <= _MAX_WEIGHT:
        raise ValueError(f"same_region_bonus must be in 0..{_MAX_WEIGHT}")
    if not 0 <= balance_weight <= _MAX_WEIGHT:
        raise ValueError(f"balance_weight must be in 0..{_MAX_WEIGHT}")
    seen_needs = Counter(n.application_id for n in needs)
    twice = sorted(a for a, c in seen_needs.items() if c > 1)
    if twice:
        raise ValueError(f"application listed more than once: {', '.join(twice[:5])}")
    seen_experts = Counter(e.expert_id for e in experts)
    twice = sorted(e for e, c in seen_experts.items() if c > 1)
    if twice:
        raise ValueError(f"expert listed more than once: {', '.join(twice[:5])}")
    for n in needs:
        if n.needed < 0:
            raise ValueError(f"application {n.application_id}: needed must not be negative")
    for e in experts:
        if not 0 <= e.max_load <= _MAX_LOAD or e.current_load < 0:
            raise ValueError(
                f"expert {e.expert_id}: max_load must be in 0..{_MAX_LOAD} "
                "and current_load not negative"
            )


def _eligible_pairs(
    needs: Sequence[Need], experts: Sequence[ExpertCapacity]
) -> tuple[NodeArray, NodeArray]:
    """(need index, expert index) for every eligible pair, need-major within each direction."""
    by_direction: dict[str, list[int]] = defaultdict(list)
    for j, e in enumerate(experts):
        if e.max_load - e.current_load > 0:
            for code in e.direction_codes:
                by_direction[code].append(j)
    needs_by_direction: dict[str, list[int]] = defaultdict(list)
    for i, n in enumerate(needs):
        needs_by_direction[n.direction_code].append(i)

    need_blocks: list[NodeArray] = []
    expert_blocks: list[NodeArray] = []
    keep_blocks: list[npt.NDArray[np.bool_]] = []
    # Sorted direction order keeps the arc order, and so the solver's tie-breaking, input-free.
    for code in sorted(needs_by_direction):
        need_idx = np.array(needs_by_direction[code], dtype=np.int32)
        expert_idx = np.array(sorted(by_direction.get(code, ())), dtype=np.int32)
        if not len(expert_idx):
            continue
        width = len(expert_idx)
        keep = np.ones(len(need_idx) * width, dtype=bool)
        position = {experts[int(j)].expert_id: p for p, j in enumerate(expert_idx)}
        # Exclusions are few per application, so a Python pass over them is cheap next to arcs.
        for row, i in enumerate(needs_by_direction[code]):
            for expert_id in needs[i].excluded:
                p = position.get(expert_id)
                if p is not None:
                    keep[row * width + p] = False
        need_blocks.append(np.repeat(need_idx, width))
        expert_blocks.append(np.tile(expert_idx, len(need_idx)))
        keep_blocks.append(keep)
    if not need_blocks:
        empty = np.array([], dtype=np.int32)
        return empty, empty
    keep_all = np.concatenate(keep_blocks)
    return np.concatenate(need_blocks)[keep_all], np.concatenate(expert_blocks)[keep_all]


def _load_levels(
    experts: Sequence[ExpertCapacity], balance_weight: int
) -> tuple[NodeArray, IntArray]:
    """One (expert index, cost) per free load level L = current_load+1 … max_load."""
    start = np.array([e.current_load for e in experts], dtype=np.int64)
    room = np.maximum(np.array([e.max_load for e in experts], dtype=np.int64) - start, 0)
    tails = np.repeat(np.arange(len(experts), dtype=np.int32), room)
    # Level within each expert's run: 1, 2, … room, offset by the expert's current load.
    run_start = np.repeat(np.cumsum(room) - room, room)
    level = np.arange(len(tails), dtype=np.int64) - run_start + 1 + np.repeat(start, room)
    return tails, balance_weight * level


def _add_arcs(
    solver: min_cost_flow.SimpleMinCostFlow,
    tails: NodeArray,
    heads: NodeArray,
    capacities: IntArray,
    costs: IntArray,
) -> None:
    if len(tails):
        solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32, copy=False),
            heads.astype(np.int32, copy=False),
            capacities,
            costs,
        )


def _experts_word(count: int) -> str:
    return "expert" if count == 1 else "experts"


def _shortfall(need: Need, covering: Sequence[ExpertCapacity]) -> Shortfall:
    """Why a need stays short, from the most basic cause to the least."""
    allowed = [e for e in covering if e.expert_id not in need.excluded]
    with_room = [e for e in allowed if e.current_load < e.max_load]
    if not covering:
        cause = Cause.NO_EXPERT_FOR_DIRECTION
    elif len(allowed) < need.needed:
        cause = Cause.TOO_FEW_WITHOUT_CONFLICT
    elif not with_room:
        cause = Cause.ALL_AT_LOAD_LIMIT
    elif len(with_room) < need.needed:
        cause = Cause.TOO_FEW_WITH_ROOM
    else:
        cause = Cause.LOAD_SPREAD_TOO_THIN
    return Shortfall(
        cause=cause,
        direction_code=need.direction_code,
        needed=need.needed,
        covering=len(covering),
        eligible=len(allowed),
        with_room=len(with_room),
    )
