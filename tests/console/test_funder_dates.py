"""The scoring deadline a funder picks as a day, where the competition runs."""

from __future__ import annotations

from grantflow_gateway.console.funder_competitions import due_day, end_of_day


def test_the_chosen_day_ends_where_the_competition_runs() -> None:
    day = {"year": 2027, "month": 3, "day": 1}
    assert end_of_day(day, "Asia/Vladivostok") == "2027-03-01T13:59:59Z"
    assert end_of_day(day, "Europe/Kaliningrad") == "2027-03-01T21:59:59Z"
    assert end_of_day(day, "UTC") == "2027-03-01T23:59:59Z"


def test_the_stored_deadline_reads_back_as_the_same_day() -> None:
    for zone in ("Asia/Vladivostok", "Europe/Kaliningrad", "Asia/Kamchatka"):
        stamp = end_of_day({"year": 2027, "month": 12, "day": 31}, zone)
        assert due_day({"scoresDueTime": stamp}, zone) == "2027-12-31"
    assert due_day({}, "UTC") == "" and due_day(None, "UTC") == ""
