"""Property-based requests to every method of the three services, generated from the protos'
descriptors (tests/security/proto_strategies.py) and sent directly with realistic identities.

The properties, for any request a caller can encode:
- the answer is OK or one of INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND,
  PERMISSION_DENIED, ALREADY_EXISTS, UNAUTHENTICATED: never INTERNAL, UNKNOWN or a transport
  failure, which would mean the input reached code that did not expect it;
- INVALID_ARGUMENT carries field violations, each naming a path that exists in the request (or,
  for rules about a stored resource, in the resource the method answers with);
- the rich status agrees with the call's code.

A world of two parties is built first (tests/gateway/world.py), so ids in generated requests
often name real objects and requests get past "not found". Half the examples start from a valid
request (the HTTP matrix's own case for the method, translated by the gateway) with a few fields
changed; the rest are built from nothing. Generation is derandomised and bounded: EXAMPLES per
method, every method, one pass (failures are reported without shrinking, with the request).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from google.protobuf.message import Message
from grantflow_runtime.context import Identity, Role
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

from tests.gateway.stack import StackFactory
from tests.gateway.test_authorization import BY_OPERATION, MATRIX, Actor
from tests.gateway.world import World, build_world
from tests.security.grpc_surface import (
    Answer,
    SyncSurface,
    http_to_grpc,
    service_methods,
)
from tests.security.proto_strategies import Strategies, Vocabulary

EXAMPLES = 20
# Over the whole run (52 methods x EXAMPLES); the test's own timeout leaves room for the world.
BUDGET_S = 90.0
ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.UNAUTHENTICATED,
}
_SEGMENT = re.compile(r"^([a-z_][a-z0-9_]*)((?:\[[^\]]*\])*)$")


def path_exists(d: Descriptor, path: str) -> bool:
    """Whether `budget_lines[2].grant_amount.currency_code` names a field path of `d`."""
    node: Descriptor | None = d
    for part in path.split("."):
        found = _SEGMENT.match(part)
        if node is None or found is None:
            return False
        f = node.fields_by_name.get(found.group(1))
        if f is None or (found.group(2) and not f.is_repeated):
            return False
        node = f.message_type
    return True


def names_a_field(method: MethodDescriptor, path: str) -> bool:
    if path_exists(method.input_type, path):
        return True
    # Rules about the stored resource (submitting a draft) name its fields under its own name.
    resource = re.sub(r"(?<!^)([A-Z])", r"_\1", method.output_type.name).lower()
    head, _, rest = path.partition(".")
    return head == resource and bool(rest) and path_exists(method.output_type, rest)


def judge(method: MethodDescriptor, answer: Answer) -> list[str]:
    problems = []
    if answer.code not in ALLOWED:
        problems.append(f"answered {answer.code.name}: {answer.details[:300]!r}")
    if answer.status_mismatch:
        problems.append(f"rich status disagrees with {answer.code.name}")
    if answer.code is grpc.StatusCode.INVALID_ARGUMENT:
        if not answer.violations:
            problems.append(f"INVALID_ARGUMENT without field violations: {answer.details[:200]!r}")
        wrong = [f for f, _ in answer.violations if not names_a_field(method, f)]
        if wrong:
            problems.append(f"violations name no field of the request: {wrong[:5]}")
    return problems


def vocabulary(w: World) -> Vocabulary:
    ids: list[str] = []
    for side in (*w.sides, w.missing):
        ids += [
            side.competition, side.open_competition, side.draft_competition, side.organisation,
            side.application, side.draft_application, side.expert_id, side.report, side.practice,
            side.funder.subject,
        ]  # fmt: skip
    codes = [
        "family", "social-services", "health", "RU-MOW", "RU-PRI", "RU-TA", "RUB", "USD",
        "salaries", "rent", "competition", "direction", "region", w.indicator_code,
        *(s.indicator_key for s in w.sides), *(c["code"] for c in w.rubric["criteria"]),
    ]  # fmt: skip
    inns = [s.organisation_inn for s in (*w.sides, w.missing)]
    return Vocabulary(tuple(ids), tuple(codes), tuple(inns))


def baselines(w: World) -> dict[str, list[tuple[Identity, Message]]]:
    """Per method, valid requests with the identity that may send them: each role's own case of
    the HTTP matrix, translated by the gateway."""
    one, two = w.sides
    found: dict[str, list[tuple[Identity, Message]]] = {}
    for who in (one.applicant, one.expert, one.funder, w.admin):
        actor = Actor(who, one, two, w)
        for op, build in MATRIX.items():
            route = BY_OPERATION[op]
            own = build(actor).own
            if who.role not in route.roles or own is None:
                continue
            method, message = http_to_grpc(own.method, own.path, json=own.json, params=own.params)
            found.setdefault(method.full_name, []).append((who, message))
    return found


@dataclass
class Tally:
    calls: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def explore(
    surface: SyncSurface,
    method: MethodDescriptor,
    cases: st.SearchStrategy[tuple[Identity, Message]],
    tally: Tally,
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # Report the first failing request as generated: shrinking would multiply the calls.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def probe(case: tuple[Identity, Message]) -> None:
        who, request = case
        answer = surface.call(method, request, who, timeout=30)
        tally.calls += 1
        tally.codes[answer.code.name] += 1
        problems = judge(method, answer)
        if problems:
            raise AssertionError(
                f"{method.name} as {who.role.value}: {'; '.join(problems)}\n"
                f"    request: {shown(request)}"
            )

    try:
        probe()
    except FlakyFailure as exc:
        # A failure that did not repeat on the replay (a limit with a random band) is still one.
        tally.failures.append(f"{exc.exceptions[0]} (not on every try)")
    except AssertionError as exc:
        tally.failures.append(str(exc))


_RUN = re.compile(r"(.)\1{39,}")


def shown(request: Message) -> str:
    """The request in text format, long runs of one character written as a count."""
    text = text_format.MessageToString(request, as_one_line=True)
    return _RUN.sub(lambda m: f"{m.group(1)}*{len(m.group(0))}", text)[:700]


def run_all(w: World, surface: SyncSurface, tally: Tally) -> None:
    one, two = w.sides
    strategies = Strategies(vocabulary(w))
    identities = st.sampled_from(
        [one.applicant, one.expert, one.funder, two.funder, w.admin,
         Identity("stranger", Role.APPLICANT)]
    )  # fmt: skip
    valid = baselines(w)
    deadline = time.monotonic() + BUDGET_S
    for method in service_methods():
        if time.monotonic() > deadline:
            tally.failures.append(f"{method.name}: not reached within {BUDGET_S:.0f}s")
            continue
        built = st.tuples(identities, strategies.request(method.input_type))
        sources = [built]
        for who, request in valid.get(method.full_name, []):
            sources.append(st.tuples(st.just(who), strategies.mutated(request)))
        explore(surface, method, st.one_of(*sources), tally)


async def test_generated_requests_never_reach_an_unexpected_failure(
    gateway_stack: StackFactory,
) -> None:
    started = time.perf_counter()
    w = await build_world(await gateway_stack())
    built = time.perf_counter() - started
    surface = SyncSurface({name: host.port for name, host in w.stack.hosts.items()})
    tally = Tally()
    try:
        # The blocking client runs in a thread; the services keep serving on this loop.
        await asyncio.to_thread(run_all, w, surface, tally)
        # And the services still answer an ordinary call afterwards.
        method, request = http_to_grpc("GET", f"/v1/competitions/{w.sides[0].competition}")
        alive = await asyncio.to_thread(surface.call, method, request, w.admin)
    finally:
        surface.close()
    took = time.perf_counter() - started - built
    methods = len(service_methods())
    print(
        f"\n{tally.calls} generated requests over {methods} methods ({EXAMPLES} each) in "
        f"{took:.1f}s (world built in {built:.1f}s): {dict(tally.codes.most_common())}; "
        f"{len(tally.failures)} method(s) failed"
    )
    assert alive.ok, alive.brief()
    assert not tally.failures, "\n".join(tally.failures)
