"""Object-level authorisation of every gRPC method, called directly: the services check every
object again, so reaching them without the gateway bypasses nothing.

The HTTP matrix (tests/gateway/test_authorization.py) already says, for every route and role,
which requests ask for the caller's own object, for another party's and for a missing one. Here
the same requests are translated into gRPC messages by the gateway's own code and sent straight
to the services with the identity metadata the gateway would have sent; the gateway's role check
and path handling are not in the way. The rules:

1. Every method of the three services (read from their descriptors) has a case.
2. A call without identity metadata, or with an incomplete or unknown one, is UNAUTHENTICATED.
3. A role the gateway would refuse is refused by the service too (PERMISSION_DENIED).
4. For an admitted role, another party's object answers exactly like a missing one (code,
   details, reason and violations, ids and times aside), the caller's own object is found, and
   nothing a caller does to another party's objects changes them.
5. Identity headers sent over HTTP are not passed on: only the token speaks for the caller.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grantflow_gateway.translate import message_class
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.grpc_server import ORGANISATION_KEY, ROLE_KEY, SUBJECT_KEY

from tests.gateway.stack import StackFactory
from tests.gateway.test_authorization import (
    BY_OPERATION,
    MATRIX,
    Actor,
    Req,
    differences,
    snapshot,
)
from tests.gateway.world import World, build_world
from tests.security.grpc_surface import (
    ROUTE_OF_METHOD,
    Answer,
    Surface,
    http_to_grpc,
    service_methods,
)

# Answers that say the caller's own object was not reachable: a case built wrong, or a check
# that refuses the owner.
NOT_REACHED = {
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
}
SERVER_FAULTS = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}
READS = ("Get", "List", "Export", "Validate", "Estimate")


def test_every_method_of_every_service_has_a_case() -> None:
    """A method added to a proto without a route and a matrix entry fails here first."""
    methods = [m.full_name for m in service_methods()]
    without_route = [m for m in methods if m not in ROUTE_OF_METHOD]
    without_case = [
        m for m in methods if m in ROUTE_OF_METHOD and ROUTE_OF_METHOD[m].operation_id not in MATRIX
    ]
    assert not without_route and not without_case, (without_route, without_case)
    print(f"\n{len(methods)} methods over 3 services, each with a route and a matrix case")


async def test_calls_without_a_verified_identity_are_unauthenticated(
    gateway_stack: StackFactory,
) -> None:
    s = await gateway_stack()
    surface = Surface.of(s)
    # Whatever the rest says, an identity needs both a subject and a known role; an empty request
    # makes sure no method validates its input (and so answers about it) before asking who calls.
    broken = {
        "no identity": (),
        "subject only": ((SUBJECT_KEY, "someone"),),
        "role only": ((ROLE_KEY, "admin"),),
        "unknown role": ((SUBJECT_KEY, "someone"), (ROLE_KEY, "root")),
        "role in capitals": ((SUBJECT_KEY, "someone"), (ROLE_KEY, "ADMIN")),
        "empty subject": ((SUBJECT_KEY, ""), (ROLE_KEY, "funder")),
        "organisation only": ((ORGANISATION_KEY, "org-1"),),
    }
    wrong: list[str] = []
    calls = 0
    try:
        for method in service_methods():
            request = _empty(method)
            for label, metadata in broken.items():
                got = await surface.call(method, request, None, metadata=metadata)
                calls += 1
                if got.code is not grpc.StatusCode.UNAUTHENTICATED:
                    wrong.append(f"{method.name} with {label}: {got.brief()}")
    finally:
        await surface.close()
    print(f"\n{calls} calls over {len(service_methods())} methods without a usable identity")
    assert not wrong, "\n".join(wrong)


def _empty(method: MethodDescriptor) -> Message:
    return message_class(method.input_type)()


@dataclass
class Tally:
    calls: int = 0
    compared: int = 0
    refused_by_role: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    foreign_writes: list[str] = field(default_factory=list)


async def run_actor(surface: Surface, actor: Actor, tally: Tally) -> None:
    async def send(op: str, label: str, req: Req) -> Answer:
        method, message = http_to_grpc(req.method, req.path, json=req.json, params=req.params)
        got = await surface.call(method, message, actor.who)
        tally.calls += 1
        tally.codes[f"{label} {got.code.name}"] += 1
        if got.code in SERVER_FAULTS or got.status_mismatch:
            tally.problems.append(
                f"{op} as {actor.role.value}, {label} {req.path}: server fault {got.brief()}"
            )
        return got

    for op, build in MATRIX.items():
        route = BY_OPERATION[op]
        cases = build(actor)
        if actor.role not in route.roles:
            # The gateway answers 403 before calling; the service must not rely on that.
            asked = [
                cases.own,
                *(p.foreign for p in cases.pairs),
                *(p.missing for p in cases.pairs),
            ]
            for req in asked:
                if req is None:
                    continue
                got = await send(op, "not admitted", req)
                tally.refused_by_role += 1
                if got.code is not grpc.StatusCode.PERMISSION_DENIED:
                    tally.problems.append(
                        f"{op} as {actor.role.value} (a role the gateway refuses): "
                        f"{req.method} {req.path} -> {got.brief()}"
                    )
            continue
        if cases.own is not None:
            got = await send(op, "own", cases.own)
            if got.code in NOT_REACHED:
                tally.problems.append(
                    f"{op} as {actor.role.value}, own {cases.own.path}: {got.brief()}"
                )
        for pair in cases.pairs:
            missing = await send(op, "missing", pair.missing)
            if pair.foreign is None:
                continue
            foreign = await send(op, "foreign", pair.foreign)
            tally.compared += 1
            if foreign.ok and not op.startswith(READS):
                tally.foreign_writes.append(f"{op} as {actor.role.value}: {pair.foreign.text()}")
            if foreign.shape() != missing.shape():
                tally.problems.append(
                    f"{op} as {actor.role.value}: foreign {pair.foreign.path} "
                    f"{pair.foreign.params or ''} -> {foreign.brief()} "
                    f"but missing -> {missing.brief()}"
                )


async def settled(w: World) -> dict[str, object]:
    """Side 2 as an admin reads it, once the events of the world's last steps have landed."""
    before = await snapshot(w)
    for _ in range(10):
        await asyncio.sleep(0.2)
        again = await snapshot(w)
        if again == before:
            break
        before = again
    return before


async def test_direct_calls_enforce_object_level_authorisation(
    gateway_stack: StackFactory,
) -> None:
    started = time.perf_counter()
    w = await build_world(await gateway_stack())
    built = time.perf_counter() - started
    one, two = w.sides
    surface = Surface.of(w.stack)
    before = await settled(w)
    tally = Tally()
    try:
        # One after another, as in the HTTP matrix: their own calls change the same objects.
        for who in (one.applicant, one.expert, one.funder):
            await run_actor(surface, Actor(who, one, two, w), tally)
        problems = tally.problems + await disagreeing_identities(surface, w)
    finally:
        await surface.close()
    problems += await identity_headers_over_http(w)
    after = await snapshot(w)
    changed = [
        f"side 2 changed: {p} {d}"
        for p, seen in before.items()
        for d in differences(seen, after[p])
    ]
    if changed:
        problems += [*changed, "foreign writes answered OK:", *(tally.foreign_writes or ["none"])]
    print(
        f"\ngRPC authorisation: {len(MATRIX)} methods x 3 roles, {tally.calls} direct calls, "
        f"{tally.compared} foreign/missing pairs compared, {tally.refused_by_role} calls by "
        f"roles the gateway refuses; {time.perf_counter() - started - built:.1f}s "
        f"(world built in {built:.1f}s)"
    )
    print("answers:", dict(sorted(tally.codes.items())))
    assert not problems, "\n".join([f"{len(problems)} problem(s):", *problems])


async def disagreeing_identities(surface: Surface, w: World) -> list[str]:
    """An expert whose metadata names another expert's id acts as nobody: the id must belong to
    the subject. (The gateway fills both from one token; a direct caller can mix them.)"""
    one, two = w.sides
    mixed = Identity(subject=one.expert.subject, role=Role.EXPERT, expert_id=two.expert_id)
    sheet = [{"code": c["code"], "value": 9} for c in w.rubric["criteria"]]
    asked = [
        Req("GET", "/v1/assignments", params={"competitionId": two.competition}),
        Req("GET", "/v1/scores", params={"competitionId": two.competition}),
        Req("POST", f"/v1/applications/{two.application}/scores", json={"scores": sheet}),
        Req("POST", "/v1/conflicts", json={"applicationId": two.application, "reason": "x"}),
        Req("GET", f"/v1/experts/{two.expert_id}"),
    ]
    problems = []
    for req in asked:
        method, message = http_to_grpc(req.method, req.path, json=req.json, params=req.params)
        got = await surface.call(method, message, mixed)
        if got.code not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
            problems.append(f"expert with another's id: {req.method} {req.path} -> {got.brief()}")
    return problems


async def identity_headers_over_http(w: World) -> list[str]:
    """An HTTP caller cannot add identity headers of its own: the gateway builds the metadata
    from the verified token alone."""
    one, two = w.sides
    forged = {
        SUBJECT_KEY: two.funder.subject,
        ROLE_KEY: "admin",
        ORGANISATION_KEY: two.organisation,
    }
    checks = [
        (f"/v1/competitions/{two.draft_competition}", 404),
        (f"/v1/organisations/{two.organisation}", 404),
        (f"/v1/agreements/{two.agreement}", 404),
        ("/v1/experts", 403),
    ]
    problems = []
    for path, status in checks:
        got = await w.stack.call(one.applicant, "GET", path, headers=forged)
        if got.status_code != status:
            problems.append(
                f"HTTP identity headers: GET {path} -> {got.status_code}, expected {status}"
            )
    return problems
