"""`grantflow events tail`: stored and new events as JSON lines, filtered by subject and start."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from grantflow_runtime import catalogue
from grantflow_runtime.event_examples import example_for

from tests.events.conftest import System, cli, publish

pytestmark = pytest.mark.asyncio


def records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


async def test_tail_prints_every_stored_event_decoded(system: System) -> None:
    award_id, _ = await publish(
        system.js, catalogue.AWARD_DECIDED, example_for(catalogue.AWARD_DECIDED)
    )
    result = await cli(system.config, "events", "tail")
    assert result.code == 0, result.err
    opened, award = records(result.out)

    # The competition the applications service opened, as its relay published it.
    assert opened["seq"] == 1
    assert opened["subject"] == "grantflow.competitions.opened"
    assert opened["data"]["competitionId"] == system.competition_id
    assert opened["headers"]["ce-type"] == "grantflow.events.v1.CompetitionOpened"
    assert opened["headers"]["ce-source"] == "grantflow/applications"
    assert opened["headers"]["ce-specversion"] == "1.0"
    assert opened["headers"]["content-type"].startswith("application/protobuf")
    assert opened["headers"]["ce-id"] == opened["headers"]["Nats-Msg-Id"]
    assert "Grantflow-Request-Id" in opened["headers"]
    assert datetime.fromisoformat(opened["stored"]) <= datetime.now(UTC)

    assert award["seq"] == 2
    assert award["headers"]["ce-id"] == award_id
    assert award["data"]["award"] == {"minorUnits": "200000000", "currencyCode": "RUB"}
    assert award["data"]["organisationRegionCode"] == "RU-PRI"


async def test_tail_filters_by_subject_and_start(system: System) -> None:
    before = datetime.now(UTC)
    await asyncio.sleep(0.01)
    for spec in (catalogue.AWARD_DECIDED, catalogue.APPLICATION_DECLINED, catalogue.AWARD_DECIDED):
        await publish(system.js, spec, example_for(spec))

    awards = await cli(system.config, "events", "tail", "-s", "grantflow.awards.decided")
    assert [r["seq"] for r in records(awards.out)] == [2, 4]
    both = await cli(system.config, "events", "tail", "-s", "grantflow.awards.*", "-n", "2")
    assert both.err == ""  # stopping early lets its reader go cleanly
    assert [r["subject"] for r in records(both.out)] == [
        "grantflow.awards.decided",
        "grantflow.awards.declined",
    ]
    several = await cli(
        system.config, "events", "tail", "-s", "grantflow.competitions.>", "-s", "*.*.declined"
    )
    assert several.code == 2 and "'*.*.declined' is outside 'grantflow.>'" in several.err
    several = await cli(
        system.config,
        "events",
        "tail",
        "-s",
        "grantflow.competitions.>",
        "-s",
        "grantflow.*.declined",
    )
    assert [r["subject"] for r in records(several.out)] == [
        "grantflow.competitions.opened",
        "grantflow.awards.declined",
    ]
    since = await cli(system.config, "events", "tail", "--since", before.isoformat())
    assert [r["seq"] for r in records(since.out)] == [2, 3, 4]
    from_seq = await cli(system.config, "events", "tail", "--from-seq", "3")
    assert [r["seq"] for r in records(from_seq.out)] == [3, 4]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    nothing = await cli(system.config, "events", "tail", "--since", future)
    assert (nothing.code, nothing.out) == (0, "")


async def test_tail_follow_prints_new_events_as_they_come(system: System) -> None:
    follower = asyncio.create_task(
        cli(system.config, "events", "tail", "--follow", "--from-seq", "1", "-n", "3")
    )
    await asyncio.sleep(1.0)  # the follower is up and has printed the stored event
    assert not follower.done()
    ids = [
        (await publish(system.js, catalogue.AWARD_DECIDED, example_for(catalogue.AWARD_DECIDED)))[0]
        for _ in range(2)
    ]
    result = await follower
    assert result.code == 0, result.err
    followed = records(result.out)
    assert [r["seq"] for r in followed] == [1, 2, 3]
    assert [r["headers"]["ce-id"] for r in followed[1:]] == ids


async def test_tail_shows_what_it_cannot_decode(system: System) -> None:
    await system.js.publish(
        catalogue.AWARD_DECIDED.subject,
        b"\xff\xff not protobuf",
        headers={"ce-id": "bad-1", "ce-type": catalogue.AWARD_DECIDED.type},
    )
    result = await cli(system.config, "events", "tail", "--from-seq", "2")
    (record,) = records(result.out)
    assert record["data"] is None
    assert record["error"].startswith("payload is not a grantflow.events.v1.AwardDecided")
    assert record["raw"] == "//8gbm90IHByb3RvYnVm"
