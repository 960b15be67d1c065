"""`grantflow events stats`: both streams' figures and every durable consumer's lag."""

from __future__ import annotations

import json

import pytest
from grantflow_runtime import catalogue
from grantflow_runtime.event_examples import example_for
from nats.js.api import AckPolicy, ConsumerConfig

from tests.events.conftest import System, cli

pytestmark = pytest.mark.asyncio
REPORTS = catalogue.REPORT_SUBMITTED  # no service of this test consumes it


async def test_stats_shows_streams_and_each_consumers_lag(system: System) -> None:
    stream = system.config.stream.name
    await system.js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name="analytics", ack_policy=AckPolicy.EXPLICIT, filter_subjects=["grantflow.>"]
        ),
    )
    for _ in range(2):
        await system.js.publish(
            REPORTS.subject, example_for(REPORTS).SerializeToString(), headers={"ce-id": "x"}
        )
    result = await cli(system.config, "events", "stats", "--json")
    assert result.code == 0, result.err
    figures = json.loads(result.out)

    events, dead = figures["streams"]
    assert (events["name"], events["messages"], events["first_seq"], events["last_seq"]) == (
        stream,
        3,
        1,
        3,
    )
    assert events["bytes"] > 0
    assert events["first_time"] <= events["last_time"]
    assert events["max_age_s"] == 365 * 86400
    assert events["max_bytes"] == 10 * 2**30
    assert events["duplicate_window_s"] == 7200
    assert (events["storage"], events["discard"]) == ("file", "new")
    assert (dead["name"], dead["messages"], dead["first_time"]) == (f"{stream}_DLQ", 0, None)

    lags = {c["name"]: c for c in figures["consumers"]}
    assert set(lags) == {"analytics", "applications", "scoring"}
    assert (lags["analytics"]["pending"], lags["analytics"]["lag"]) == (3, 3)
    assert lags["scoring"]["lag"] == 0
    assert lags["scoring"]["delivered_seq"] == 1
    assert "grantflow.competitions.opened" in lags["scoring"]["subjects"]

    table = await cli(system.config, "events", "stats")
    assert table.code == 0, table.err
    rows = {
        line.split("│")[1].strip(): cells(line) for line in table.lines if line.startswith("│ ")
    }
    assert rows[stream][0] == "3"
    assert rows[stream][-3:] == ["365 d", "10 GiB", "7200 s"]
    assert rows[f"{stream}_DLQ"][-3:] == ["365 d", "1 GiB", "7200 s"]
    assert rows["analytics"][:4] == ["grantflow.>", "3", "0", "3"]
    assert "file storage, 1 replica(s), discard new when full" in table.out


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")[2:-1]]


async def test_an_unknown_stream_is_a_clear_error(system: System) -> None:
    for args in (["stats"], ["tail"], ["dlq", "list"]):
        result = await cli(system.config, "events", *args, "--stream", "GRANTFLOW_TYPO")
        assert result.code == 1, args
        assert "stream not found" in result.err and "GRANTFLOW_TYPO" in result.err, args
        assert "Traceback" not in result.err
