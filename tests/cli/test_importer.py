"""Importing organisations and experts: rows checked, bad rows reported at their line and column
with the service's reasons, good rows created once, with a fake API standing in for the stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from grantflow_cli.client import ApiError
from grantflow_cli.ops.csvfile import read_rows
from grantflow_cli.ops.importer import (
    ATTEMPTS,
    Outcome,
    Planned,
    content_key,
    existing_keys,
    plan,
    run_import,
)
from grantflow_cli.ops.records import EXPERTS, ORGANISATIONS, Kind

ORGS = """\
name,legal_form,inn,ogrn,region_code,registered_on,contact_name,contact_email,website
Фонд «Семья»,nco,7707083893,1027700132195,RU-PRI,2019-05-20,Анна,a@example.org,
Second,social-enterprise,5001007329,1027700132195,RU-TA,20.05.2019,Boris,b@example.org,https://b.example
Third,bank,5402070201,1027700132195,RU-TA,May 2019,,c@example.org,
Again,nco,7707083893,1027700132195,RU-PRI,2019-05-20,Vera,v@example.org,
"""


@dataclass
class FakeApi:
    """Answers creates from a script of errors per natural key; records every call."""

    listed: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[ApiError]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def get(self, path: str, **params: Any) -> Any:
        raise NotImplementedError

    def post(self, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any:
        self.calls.append((path, body, idempotency_key))
        key = body.get("inn") or body.get("subject")
        queued = self.errors.get(key, [])
        if queued:
            raise queued.pop(0)
        return {"id": f"id-{key}", **body}

    def pages(self, path: str, field: str, **params: Any) -> list[dict[str, Any]]:
        return self.listed

    def close(self) -> None:
        pass


def planned_orgs(text: str = ORGS) -> list[Planned]:
    return plan(ORGANISATIONS, read_rows(text, "orgs.csv", ORGANISATIONS.columns), "orgs.csv")


def problem(status: int, code: str, reason: str = "", **extra: Any) -> ApiError:
    return ApiError(
        status, {"title": "x", "detail": f"{code} detail", "code": code, "reason": reason, **extra}
    )


def test_rows_become_api_bodies_and_bad_cells_are_found_before_any_call() -> None:
    first, second, third, again = planned_orgs()
    assert first.problems == ()
    assert first.body == {
        "name": "Фонд «Семья»",
        "inn": "7707083893",
        "ogrn": "1027700132195",
        "regionCode": "RU-PRI",
        "legalForm": "LEGAL_FORM_NCO",
        "registeredOn": {"year": 2019, "month": 5, "day": 20},
        "contact": {"name": "Анна", "email": "a@example.org"},
    }
    assert second.body["legalForm"] == "LEGAL_FORM_SOCIAL_ENTERPRISE"
    assert second.body["registeredOn"] == {"year": 2019, "month": 5, "day": 20}
    assert second.body["website"] == "https://b.example"
    assert third.problems == (
        "orgs.csv:4:7: contact_name: is required",
        "orgs.csv:4:2: legal_form: 'bank' is not one of: nco, social_enterprise, "
        "municipal_institution, state_institution, individual_entrepreneur, commercial",
        "orgs.csv:4:6: registered_on: 'May 2019' is not a date like 2019-05-20 or 20.05.2019",
    )
    assert again.problems == ("orgs.csv:5:3: inn: 7707083893 is given again (first on line 2)",)


def test_expert_rows_split_lists_on_spaces_commas_and_semicolons() -> None:
    text = (
        "subject,display_name,direction_codes,region_code,max_load,affiliation_inns\n"
        'e-1,One,"family; health ,culture",RU-MOW,10,7707083893 5001007329\n'
        "e-2,Two,family,RU-MOW,many,\n"
    )
    one, two = plan(EXPERTS, read_rows(text, "e.csv", EXPERTS.columns), "e.csv")
    assert one.body == {
        "subject": "e-1",
        "displayName": "One",
        "directionCodes": ["family", "health", "culture"],
        "regionCode": "RU-MOW",
        "affiliationInns": ["7707083893", "5001007329"],
        "maxLoad": 10,
    }
    assert two.problems == ("e.csv:3:5: max_load: 'many' is not a whole number",)


def test_a_row_of_the_wrong_shape_is_a_bad_row() -> None:
    text = ORGS.splitlines()[0] + "\nOnly,nco\n"
    (item,) = planned_orgs(text)
    assert item.problems[0] == "orgs.csv:2:1: has 2 cells but the header names 9 columns"


def test_good_rows_are_created_bad_ones_reported_and_known_ones_skipped() -> None:
    api = FakeApi(
        listed=[{"inn": "5001007329"}],
        errors={
            "7707083893": [
                problem(
                    422,
                    "INVALID_ARGUMENT",
                    violations=[
                        {"field": "organisation.inn", "description": "has a wrong check digit"},
                        {"field": "organisation.contact.email", "description": "is not an e-mail"},
                        {"field": "organisation.registeredOn.year", "description": "too old"},
                        {"field": "organisation.somethingNew", "description": "odd"},
                    ],
                )
            ]
        },
    )
    seen: list[int] = []
    report = run_import(
        api,
        ORGANISATIONS,
        planned_orgs(),
        "orgs.csv",
        existing=existing_keys(api, ORGANISATIONS),
        on_row=lambda r: seen.append(r.line),
    )
    assert seen == [2, 3, 4, 5]
    outcomes = [(r.line, r.outcome) for r in report.results]
    assert outcomes == [
        (2, Outcome.FAILED),
        (3, Outcome.SKIPPED),
        (4, Outcome.FAILED),
        (5, Outcome.FAILED),
    ]
    assert report.results[0].messages == (
        "orgs.csv:2:3: inn: has a wrong check digit",
        "orgs.csv:2:8: contact_email: is not an e-mail",
        "orgs.csv:2:6: registered_on: too old",
        "orgs.csv:2:1: organisation.somethingNew: odd",
    )
    assert [c[1]["inn"] for c in api.calls] == ["7707083893"]  # the only row worth a call


def test_the_idempotency_key_comes_from_the_content_and_survives_retries() -> None:
    items = planned_orgs()[:1]
    transient = [problem(503, "UNAVAILABLE"), problem(429, "RESOURCE_EXHAUSTED")]
    api = FakeApi(errors={"7707083893": transient})
    waits: list[float] = []
    report = run_import(api, ORGANISATIONS, items, "orgs.csv", existing=set(), sleep=waits.append)
    assert report.results[0].outcome is Outcome.CREATED
    assert report.results[0].id == "id-7707083893"
    keys = {c[2] for c in api.calls}
    assert len(api.calls) == 3 and keys == {content_key(items[0].body)}
    assert waits == [0.5, 1.0]
    assert content_key(items[0].body) == content_key(dict(reversed(items[0].body.items())))
    assert content_key(items[0].body) != content_key({**items[0].body, "name": "Other"})
    assert len(content_key(items[0].body)) <= 100


def test_transient_failures_that_last_fail_the_row() -> None:
    api = FakeApi(errors={"7707083893": [problem(503, "UNAVAILABLE")] * ATTEMPTS})
    report = run_import(
        api, ORGANISATIONS, planned_orgs()[:1], "orgs.csv", existing=set(), sleep=lambda _: None
    )
    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].messages == ("orgs.csv:2:1: 503 UNAVAILABLE detail",)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (problem(409, "ALREADY_EXISTS", "DUPLICATE_INN"), Outcome.SKIPPED),
        (problem(409, "ALREADY_EXISTS", "REQUEST_ID_REUSED"), Outcome.FAILED),
        (problem(409, "FAILED_PRECONDITION"), Outcome.FAILED),
    ],
)
def test_a_record_registered_meanwhile_is_skipped(error: ApiError, outcome: Outcome) -> None:
    api = FakeApi(errors={"7707083893": [error]})
    report = run_import(api, ORGANISATIONS, planned_orgs()[:1], "orgs.csv", existing=set())
    assert report.results[0].outcome is outcome


def test_a_caller_who_may_not_import_stops_the_import_at_once() -> None:
    api = FakeApi(errors={"7707083893": [problem(403, "PERMISSION_DENIED")]})
    with pytest.raises(ApiError):
        run_import(api, ORGANISATIONS, planned_orgs(), "orgs.csv", existing=set())
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("kind", "field", "column"),
    [
        (ORGANISATIONS, "organisation.contact", "contact_name"),
        (ORGANISATIONS, "organisation.registeredOn.month", "registered_on"),
        (EXPERTS, "expert.directionCodes[3]", "direction_codes"),
        (EXPERTS, "expert.affiliationInns[0]", "affiliation_inns"),
        (EXPERTS, "expert", None),
    ],
)
def test_violations_map_to_their_columns(kind: Kind, field: str, column: str | None) -> None:
    assert kind.column_of(field) == column
