"""The competition YAML file: friendly forms in, the API's JSON out, every problem at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from grantflow_cli.ops.competition_file import read_competition
from grantflow_cli.ops.errors import InputError, InvalidFile, Position

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "competition.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(InvalidFile) as caught:
        read_competition(text, "c.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_example_file_reads_as_a_whole_competition() -> None:
    parsed = read_competition(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    body = parsed.body
    assert body["budget"] == {"minorUnits": "5000000000", "currencyCode": "RUB"}
    assert body["maxGrant"]["minorUnits"] == str(3_000_000 * 100)
    # Dates alone are whole days in Vladivostok (UTC+10): from the start of 1 March...
    assert body["opensAt"] == "2026-02-28T14:00:00Z"
    # ...to the last second of 30 April.
    assert body["closesAt"] == "2026-04-30T13:59:59Z"
    assert body["eligibleLegalForms"] == [
        "LEGAL_FORM_NCO",
        "LEGAL_FORM_SOCIAL_ENTERPRISE",
        "LEGAL_FORM_MUNICIPAL_INSTITUTION",
    ]
    assert body["allowedCofinancingTypes"][0] == "COFINANCING_TYPE_OWN_FUNDS"
    assert body["minCofinancingPercent"] == "25"
    assert body["maxApplicationsPerOrganisation"] == 1
    assert body["directionQuotas"] == [
        {"directionCode": "family", "amount": {"minorUnits": "3000000000", "currencyCode": "RUB"}}
    ]


def test_snake_case_exact_times_and_the_api_money_form_are_accepted() -> None:
    parsed = read_competition(
        """\
title: T
direction_codes: family
min_grant: {minorUnits: "10000000", currencyCode: RUB}
opens_at: 2026-03-01T09:00:00+03:00
closes_at: "2026-04-30T18:00:00Z"
min_cofinancing_percent: 12.5
in_kind_cap_percent: "50"
""",
        "c.yaml",
    )
    assert parsed.body == {
        "title": "T",
        "directionCodes": ["family"],  # one value where a list is expected is a list of one
        "minGrant": {"minorUnits": "10000000", "currencyCode": "RUB"},
        "opensAt": "2026-03-01T06:00:00Z",
        "closesAt": "2026-04-30T18:00:00Z",
        "minCofinancingPercent": "12.5",
        "inKindCapPercent": "50",
    }


def test_a_local_time_is_read_in_the_time_zone_and_a_date_string_too() -> None:
    parsed = read_competition(
        "timeZone: Europe/Moscow\nopensAt: 2026-03-01 09:00:00\nclosesAt: '2026-04-30'\n",
        "c.yaml",
    )
    assert parsed.body["opensAt"] == "2026-03-01T06:00:00Z"
    assert parsed.body["closesAt"] == "2026-04-30T20:59:59Z"


def test_every_problem_is_reported_at_once_with_its_line_and_column() -> None:
    found = problems(
        """\
title: Social innovation
budgt: 5000000
minGrant: 1,500
closesAt: 2026-01-01
state: STATE_OPEN
eligibleLegalForms: [nco, bank]
maxDurationMonths: eighteen
directionQuotas:
  - directionCode: family
    amount: -5
"""
    )
    assert found == [
        "c.yaml:2:1: budgt: unknown field; did you mean 'budget'?",
        "c.yaml:3:11: minGrant: must be an amount in roubles, like 1500000, 1 500 000 or "
        "1 500 000,50 (got '1,500')",
        "c.yaml:4:11: closesAt: has no UTC offset: give one (+03:00) or set a valid timeZone to "
        "read it in",
        "c.yaml:5:1: state: is set by the server and may not be given",
        "c.yaml:6:27: eligibleLegalForms[1]: 'bank' is not one of: nco, social_enterprise, "
        "municipal_institution, state_institution, individual_entrepreneur, commercial",
        "c.yaml:7:20: maxDurationMonths: must be a whole number",
        "c.yaml:10:13: directionQuotas[0].amount: must not be negative",
    ]


@pytest.mark.parametrize("zone", ["Europe", "../etc/passwd", "Mars/Olympus"])
def test_what_is_no_time_zone_is_refused(zone: str) -> None:
    assert problems(f"timeZone: {zone}\n") == [
        f"c.yaml:1:11: timeZone: '{zone}' is not an IANA time zone like 'Europe/Moscow'"
    ]


def test_a_wrong_time_zone_is_reported_where_it_is_written() -> None:
    found = problems("timeZone: Mars/Olympus\nopensAt: 2026-03-01\n")
    assert found == [
        "c.yaml:1:11: timeZone: 'Mars/Olympus' is not an IANA time zone like 'Europe/Moscow'",
        "c.yaml:2:10: opensAt: has no UTC offset: give one (+03:00) or set a valid timeZone to "
        "read it in",
    ]


def test_two_spellings_of_one_field_and_repeated_keys_are_refused() -> None:
    assert problems("minGrant: 1\nmin_grant: 2\n") == [
        "c.yaml:2:1: min_grant: is given twice (as min_grant and minGrant)"
    ]
    with pytest.raises(InputError) as caught:
        read_competition("title: a\nbudget: 1\ntitle: b\n", "c.yaml")
    assert str(caught.value) == "c.yaml:3:1: 'title' is given twice (first on line 1)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: [unclosed\n", "c.yaml:2:1: "),
        ("title: x\n  budget: 5\n", "c.yaml:2:9: mapping values are not allowed here"),
        ("", "c.yaml:1:1: is empty"),
        ("a: 1\n---\nb: 2\n", "c.yaml:2:1: "),
        ("!!python/object:os.system {}\n", "c.yaml:1:1: "),
    ],
)
def test_yaml_that_cannot_be_read_names_the_place(text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        read_competition(text, "c.yaml")
    assert str(caught.value).startswith(expected)


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    assert problems("- title\n- budget\n") == [
        "c.yaml:1:1: must be a mapping of competition fields"
    ]
    assert problems("directionQuotas: [family]\n") == [
        "c.yaml:1:19: directionQuotas[0]: must be a mapping of fields"
    ]


def test_service_violations_find_their_line() -> None:
    parsed = read_competition(
        "title: T\nmaxGrant: 5\ndirectionQuotas:\n  - directionCode: x\n    amount: 7\n"
        "eligibleRegionCodes: [RU-XX]\n",
        "c.yaml",
    )
    assert parsed.locate("competition.maxGrant") == Position(2, 11)
    assert parsed.locate("competition.maxGrant.minorUnits") == Position(2, 11)
    assert parsed.locate("competition.directionQuotas[0].amount") == Position(5, 13)
    assert parsed.locate("competition.eligibleRegionCodes[0]") == Position(6, 23)
    assert parsed.locate("competition.budget") is None
