"""What `grantflow events` refuses before it talks to NATS, and how it says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from grantflow_cli.event_inputs import InputError, check_subject_filter, matches, parse_time
from grantflow_cli.events import events
from grantflow_runtime.natsserver import free_port

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("grantflow.awards.decided", "grantflow.awards.decided", True),
        ("grantflow.awards.*", "grantflow.awards.declined", True),
        ("grantflow.*.decided", "grantflow.awards.decided", True),
        ("grantflow.>", "grantflow.impact.alert_raised", True),
        ("grantflow.awards.*", "grantflow.awards", False),
        ("grantflow.awards.>", "grantflow.awards", False),
        ("grantflow.awards", "grantflow.awards.decided", False),
    ],
)
def test_subject_matching(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected


@pytest.mark.parametrize(
    "good", ["grantflow.>", "grantflow.awards.*", "grantflow.*.decided", "grantflow.impact.>"]
)
def test_good_filters_pass(good: str) -> None:
    assert check_subject_filter(good) == good


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("grantflow..decided", "is not a subject filter"),
        ("grantflow.awards.dec*", "is not a subject filter"),
        ("grantflow.>.decided", "is not a subject filter"),
        ("grantflow awards", "is not a subject filter"),
        (">", "is outside 'grantflow.>'"),
        ("dlq.scoring.>", "is outside 'grantflow.>'"),
        ("grantflow.award.decided", "did you mean grantflow.awards.decided or "),
        ("grantflow.nothing.*", "matches no event subject; see docs/asyncapi.yaml"),
    ],
)
def test_bad_filters_say_why(bad: str, says: str) -> None:
    with pytest.raises(InputError, match=says.replace("?", r"\?").replace(".", r"\.")):
        check_subject_filter(bad)


def test_times_are_iso_or_an_age() -> None:
    assert parse_time("2026-03-31T10:00:00Z") == datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert parse_time("2026-03-31T13:00:00+03:00") == datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert parse_time("2026-03-31") == datetime(2026, 3, 31, tzinfo=UTC)  # no zone: UTC
    assert parse_time("15m", now=NOW) == NOW - timedelta(minutes=15)
    assert parse_time("2h", now=NOW) == NOW - timedelta(hours=2)
    assert parse_time("7d", now=NOW) == NOW - timedelta(days=7)
    for bad in ("yesterday", "15 minutes", "2026-13-01", "-5m", ""):
        with pytest.raises(InputError, match="is not a time: use ISO 8601"):
            parse_time(bad)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["tail", "-s", "grantflow.impact.alert_rased"],
            "did you mean grantflow.impact.alert_raised",
        ),
        (["tail", "--since", "yesterday"], "'yesterday' is not a time"),
        (["tail", "--since", "1h", "--from-seq", "3"], "give --since or --from-seq, not both"),
        (["tail", "--from-seq", "0"], "0 is not in the range x>=1"),
        (["replay", "scoring", "--since", "soon"], "'soon' is not a time"),
        (["dlq", "redrive", "--all", "--seq", "2"], "give --seq (one or more) or --all"),
    ],
)
def test_bad_input_is_a_usage_error(args: list[str], says: str) -> None:
    # These fail before connecting: nothing listens on this port.
    result = CliRunner().invoke(events, [*args, "--nats-url", f"nats://127.0.0.1:{free_port()}"])
    assert result.exit_code == 2, result.output
    assert says in result.output


@pytest.mark.parametrize(
    "args", [["tail"], ["stats"], ["dlq", "list"], ["replay", "scoring", "--from-start"]]
)
def test_unreachable_nats_is_a_clear_error(args: list[str]) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(events, [*args, "--nats-url", url])
    assert result.exit_code == 1
    assert f"Error: cannot reach NATS at {url}" in result.output


def test_every_command_has_help() -> None:
    for args in (
        [],
        ["tail"],
        ["replay"],
        ["stats"],
        ["dlq"],
        ["dlq", "list"],
        ["dlq", "redrive"],
    ):
        result = CliRunner().invoke(events, [*args, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output and len(result.output.splitlines()) > 5
