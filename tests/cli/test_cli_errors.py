"""What an operator sees when a command fails against a live stack: the service's reasons, at
the lines of the file they concern, the same whether the call went through the gateway or over
gRPC, and exit code 1."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from grantflow_runtime.natsserver import free_port

from tests.cli.conftest import CliStack, Ran

pytestmark = pytest.mark.asyncio


def competition_yaml(*, max_grant: str = "1 000 000", regions: str = "[RU-PRI]") -> str:
    closes = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    return f"""\
title: Errors
minGrant: 500 000
maxGrant: {max_grant}
budget: 5 000 000
directionCodes: [family]
timeZone: Europe/Moscow
opensAt: 2026-01-01T00:00:00Z
closesAt: {closes}
maxDurationMonths: 12
eligibleRegionCodes: {regions}
"""


async def both_ways(c: CliStack, *args: str) -> Ran:
    """Run through the gateway and over gRPC; the failure must read the same."""
    via_gateway, direct = await asyncio.gather(c.run(*args), c.run(*args, "--grpc"))
    assert via_gateway.code == direct.code == 1, (via_gateway, direct)
    assert via_gateway.err == direct.err
    return via_gateway


async def test_errors_read_the_same_through_the_gateway_and_over_grpc(cli_stack: CliStack) -> None:
    c, work = cli_stack, cli_stack.workdir
    missing = await both_ways(c, "competition", "show", "no-such-competition")
    assert missing.err.startswith("Error: 404 Not found:")

    (work / "bad.yaml").write_text(
        competition_yaml(max_grant="100 000", regions="[RU-PRI, RU-XX]"), encoding="utf-8"
    )
    refused = await both_ways(c, "competition", "create", "bad.yaml")
    assert refused.err.startswith("Error: 422 Invalid argument:")
    assert "bad.yaml:3:11: maxGrant: must not be less than min_grant" in refused.err
    assert "bad.yaml:10:31: eligibleRegionCodes[1]: " in refused.err

    (work / "ok.yaml").write_text(competition_yaml(), encoding="utf-8")
    as_applicant = await both_ways(c, "competition", "create", "ok.yaml", "--as", "applicant:ann")
    assert "403 Forbidden: role applicant may not create a competition" in as_applicant.err

    stranger = await c.run("summary", "--token", "not-a-jwt")
    assert stranger.code == 1 and "401 Unauthenticated: the bearer token is invalid" in stranger.err


async def test_steps_out_of_order_are_explained(cli_stack: CliStack) -> None:
    c, work = cli_stack, cli_stack.workdir
    (work / "ok.yaml").write_text(competition_yaml(), encoding="utf-8")
    cid = json.loads((await c.ok("competition", "create", "ok.yaml", "--json")).out)["id"]
    early = await c.run("competition", "close", cid, "--reason", "too soon")
    assert early.code == 1 and "409 Conflict" in early.err  # a draft is not open
    await c.ok("competition", "open", cid)
    no_reason = await c.run("competition", "close", cid)
    assert no_reason.code == 1 and "earlyCloseReason" in no_reason.err
    # Independent refusals of one open competition, each in its own process, at once.
    down_env = {"GRANTFLOW_APPLICATIONS_ADDR": f"127.0.0.1:{free_port()}"}
    not_yet, not_decided, declined, down = await asyncio.gather(
        c.run("assign", cid, "--wait", "1"),
        c.run("export", "awards", cid, "-o", "awards.xlsx"),
        c.run("decide", cid, stdin="n\n"),
        c.run("summary", "--competition", cid, "--grpc", env=down_env),
    )
    assert not_yet.code == 1
    assert "the panel of " in not_yet.err and "is collecting, not scoring" in not_yet.err
    assert not_decided.code == 1 and "are not decided yet" in not_decided.err
    assert not (work / "awards.xlsx").exists()
    assert declined.code == 1 and "Aborted" in declined.err
    assert down.code == 1 and "503 Service unavailable: applications at 127.0.0.1:" in down.err
