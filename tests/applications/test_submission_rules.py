"""Submission rules in plain Python: a valid application passes, each rule broken alone names
exactly its field and rule, and several broken at once are all reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from grantflow_applications.domain.applications import (
    Application,
    ApplicationContent,
    BudgetLine,
    CofinancingSource,
    CofinancingType,
    PlannedResult,
)
from grantflow_applications.domain.competitions import Competition, CompetitionTerms
from grantflow_applications.domain.identifiers import inn_check_digits, ogrn_check_digit
from grantflow_applications.domain.organisations import (
    Contact,
    LegalForm,
    Organisation,
    OrganisationTerms,
)
from grantflow_applications.domain.submission import check_submission, project_months
from grantflow_runtime.errors import FieldViolation
from grantflow_runtime.money import Money

CREATED = datetime(2026, 2, 1, tzinfo=UTC)
OPENS = datetime(2026, 3, 1, tzinfo=UTC)
# 23:59:59 in Vladivostok (UTC+10) on 31 March is 13:59:59 UTC the same day.
CLOSES = datetime.fromisoformat("2026-03-31T23:59:59+10:00")
SUBMIT_AT = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)

OWN = CofinancingType.OWN_FUNDS
PARTNER = CofinancingType.BUSINESS_PARTNER
IN_KIND = CofinancingType.IN_KIND

INN = "770708389" + inn_check_digits("770708389")
OGRN = "102770013219" + ogrn_check_digit("102770013219")
PARTNER_INN = "500100732" + inn_check_digits("500100732")


def rub(roubles: int) -> Money:
    return Money.roubles(roubles)


def terms(**changes: Any) -> CompetitionTerms:
    base = CompetitionTerms(
        title="Social innovation in the Far East",
        description="",
        direction_codes=("health", "family"),
        min_grant=rub(100_000),
        max_grant=rub(1_000_000),
        budget=rub(10_000_000),
        opens_at=OPENS,
        closes_at=CLOSES,
        time_zone="Asia/Vladivostok",
        max_duration_months=12,
        eligible_region_codes=("RU-PRI", "RU-SPE"),
        min_cofinancing_percent=Decimal(10),
        in_kind_cap_percent=Decimal(20),
    )
    return replace(base, **changes)


def competition(*, opened: bool = True, **changes: Any) -> Competition:
    draft = Competition.create(id="comp-1", owner="funder-1", terms=terms(**changes), now=CREATED)
    return draft.open(OPENS) if opened else draft


def organisation(**changes: Any) -> Organisation:
    base = OrganisationTerms(
        name="Foundation for Family Support",
        legal_form="nco",
        inn=INN,
        ogrn=OGRN,
        region_code="RU-PRI",
        registered_on=date(2024, 1, 15),
        contact=Contact(name="Contact Person", email="contact@example.org", phone=""),
    )
    return Organisation.create(
        id="org-1", owner="applicant-1", terms=replace(base, **changes), now=SUBMIT_AT
    )


def line(category: str, grant: int, cofinanced: int = 0) -> BudgetLine:
    return BudgetLine(category, "", rub(grant), rub(cofinanced))


def source(
    kind: CofinancingType | None, amount: Money | int, name: str = "", inn: str = ""
) -> CofinancingSource:
    money = amount if isinstance(amount, Money) else rub(amount)
    return CofinancingSource(kind, name, inn, money, confirmation_letter=True)


# Grant 800,000 roubles; co-financing 100,000 own funds and 50,000 in kind, of which a 20% cap
# counts 25,000, so the counted share is 125,000 / 925,000 = 13.51%, above the 10% minimum.
LINES = (line("salaries", 600_000, 100_000), line("premises", 200_000, 50_000))
SOURCES = (source(OWN, 100_000), source(IN_KIND, 50_000))
RESULT = PlannedResult("Families supported", "families", Decimal(120), baseline_value=Decimal(0))


def content(**changes: Any) -> ApplicationContent:
    base = ApplicationContent(
        title="Early help for families of children with disabilities",
        summary="A home-visiting service in three districts of Primorsky Krai.",
        direction_code="health",
        region_codes=("RU-PRI",),
        start_date=date(2026, 4, 1),
        end_date=date(2026, 9, 30),
        target_groups=("families with children with disabilities",),
        planned_results=(RESULT,),
        budget_lines=LINES,
        cofinancing_sources=SOURCES,
    )
    return replace(base, **changes)


def with_source(extra: CofinancingSource) -> dict[str, Any]:
    """Content changes adding a source and a line it co-finances, so the budget still adds up."""
    return {
        "cofinancing_sources": (*SOURCES, extra),
        "budget_lines": (*LINES, BudgetLine("supplies", "", Money(0), extra.amount)),
    }


def application(**changes: Any) -> Application:
    fields = {
        name: changes.pop(name) for name in ("competition_id", "organisation_id") if name in changes
    }
    draft = Application.draft(
        id="app-1",
        competition_id="comp-1",
        organisation_id="org-1",
        content=content(**changes),
        now=CREATED,
    )
    return replace(draft, **fields)


def check(
    *,
    app: Application | None = None,
    comp: Competition | None = None,
    org: Organisation | None = None,
    now: datetime = SUBMIT_AT,
    filed_before: int = 0,
) -> list[FieldViolation]:
    return check_submission(
        app or application(),
        comp or competition(),
        org or organisation(),
        now=now,
        filed_before=filed_before,
    )


def rules(found: list[FieldViolation]) -> set[tuple[str, str]]:
    return {(v.field, v.rule) for v in found}


def test_valid_application_passes() -> None:
    assert check() == []


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"title": "  "}, "application.title", "required"),
        ({"title": "x" * 301}, "application.title", "max_len"),
        ({"summary": ""}, "application.summary", "required"),
        ({"summary": "x" * 5_001}, "application.summary", "max_len"),
        ({"direction_code": ""}, "application.direction_code", "required"),
        ({"direction_code": "culture"}, "application.direction_code", "membership"),
        ({"region_codes": ()}, "application.region_codes", "required"),
        ({"region_codes": ("RU-PRI", "RU-XX")}, "application.region_codes[1]", "catalogue"),
        ({"region_codes": ("RU-MOW",)}, "application.region_codes[0]", "eligibility"),
        ({"start_date": None}, "application.start_date", "required"),
        ({"end_date": None}, "application.end_date", "required"),
        ({"end_date": date(2026, 4, 1)}, "application.end_date", "order"),
        ({"end_date": date(2026, 3, 31)}, "application.end_date", "order"),
        # The call closes on 31 March in Vladivostok: a project may start that day, not earlier.
        ({"start_date": date(2026, 3, 30)}, "application.start_date", "order"),
        # 2026-04-01..2027-04-01 is 12 months and a day: 13 started months against a 12 maximum.
        ({"end_date": date(2027, 4, 1)}, "application.end_date", "range"),
        ({"target_groups": ()}, "application.target_groups", "required"),
        ({"target_groups": ("pensioners", " ")}, "application.target_groups[1]", "required"),
        ({"planned_results": ()}, "application.planned_results", "required"),
        (
            {"planned_results": (replace(RESULT, title=""),)},
            "application.planned_results[0].title",
            "required",
        ),
        (
            {"planned_results": (replace(RESULT, unit=" "),)},
            "application.planned_results[0].unit",
            "required",
        ),
        (
            {"planned_results": (RESULT, replace(RESULT, target_value=Decimal(0)))},
            "application.planned_results[1].target_value",
            "range",
        ),
        (
            {"planned_results": (replace(RESULT, target_value=Decimal("NaN")),)},
            "application.planned_results[0].target_value",
            "range",
        ),
        (
            {"planned_results": (replace(RESULT, baseline_value=Decimal(-1)),)},
            "application.planned_results[0].baseline_value",
            "range",
        ),
        (
            {"budget_lines": (replace(LINES[0], category=""), LINES[1])},
            "application.budget_lines[0].category",
            "required",
        ),
        (
            {"budget_lines": (*LINES, BudgetLine("travel", "", Money(-100), Money(0)))},
            "application.budget_lines[2].grant_amount",
            "range",
        ),
        (
            {"budget_lines": (*LINES, BudgetLine("travel", "", Money(100, "USD"), Money(0)))},
            "application.budget_lines[2].grant_amount",
            "currency",
        ),
        (
            {"budget_lines": (*LINES, BudgetLine("travel", "", Money(0), Money(0)))},
            "application.budget_lines[2]",
            "range",
        ),
        (
            {"budget_lines": (LINES[0], replace(LINES[1], cofinanced_amount=rub(40_000)))},
            "application.budget_lines",
            "sum",
        ),
        (
            {"budget_lines": (line("salaries", 50_000, 100_000), line("premises", 40_000, 50_000))},
            "application.budget_lines",
            "range",
        ),
        (
            {
                "budget_lines": (
                    line("salaries", 900_000, 100_000),
                    line("premises", 200_000, 50_000),
                )
            },
            "application.budget_lines",
            "range",
        ),
        (with_source(source(None, 1_000)), "application.cofinancing_sources[2].type", "required"),
        (
            with_source(source(PARTNER, 10_000, name="", inn=PARTNER_INN)),
            "application.cofinancing_sources[2].partner_name",
            "required",
        ),
        (
            with_source(source(PARTNER, 10_000, name="Primorye Energy", inn="")),
            "application.cofinancing_sources[2].partner_inn",
            "required",
        ),
        (
            with_source(
                source(
                    PARTNER,
                    10_000,
                    name="Primorye Energy",
                    inn=INN[:-1] + str((int(INN[-1]) + 1) % 10),
                )
            ),
            "application.cofinancing_sources[2].partner_inn",
            "checksum",
        ),
        (
            with_source(source(PARTNER, 10_000, name="Primorye Energy", inn="12345")),
            "application.cofinancing_sources[2].partner_inn",
            "format",
        ),
        (
            {"cofinancing_sources": (*SOURCES, source(OWN, 0))},
            "application.cofinancing_sources[2].amount",
            "range",
        ),
        (
            {"cofinancing_sources": (*SOURCES, source(OWN, Money(100, "USD")))},
            "application.cofinancing_sources[2].amount",
            "currency",
        ),
    ],
)
def test_each_content_rule_alone(changes: dict[str, Any], field: str, rule: str) -> None:
    assert rules(check(app=application(**changes))) == {(field, rule)}


def test_valid_business_partner_passes() -> None:
    assert (
        check(
            app=application(**with_source(source(PARTNER, 10_000, "Primorye Energy", PARTNER_INN)))
        )
        == []
    )


def test_project_of_exactly_the_maximum_passes() -> None:
    assert check(app=application(end_date=date(2027, 3, 31))) == []


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 4, 1), date(2026, 9, 30), 6),
        (date(2026, 4, 1), date(2026, 10, 1), 7),
        (date(2026, 4, 1), date(2026, 4, 2), 1),
        (date(2026, 4, 15), date(2026, 5, 14), 1),
        (date(2026, 4, 15), date(2026, 5, 15), 2),
        (date(2026, 4, 1), date(2027, 3, 31), 12),
    ],
)
def test_project_months_round_started_months_up(start: date, end: date, months: int) -> None:
    assert project_months(start, end) == months


def test_budget_sum_message_gives_both_totals() -> None:
    (found,) = check(
        app=application(budget_lines=(LINES[0], replace(LINES[1], cofinanced_amount=rub(40_000))))
    )
    assert "140 000.00 RUB" in found.description
    assert "150 000.00 RUB" in found.description


def test_requested_range_message_gives_the_bounds() -> None:
    (found,) = check(app=application(budget_lines=(line("salaries", 50_000, 150_000),)))
    assert "100 000.00 RUB" in found.description
    assert "1 000 000.00 RUB" in found.description


def test_share_below_minimum() -> None:
    (found,) = check(comp=competition(min_cofinancing_percent=Decimal(20)))
    assert (found.field, found.rule) == ("application.cofinancing_sources", "minimum")
    assert "13.51%" in found.description
    assert "20.00%" in found.description


def test_in_kind_cap_decides_whether_the_minimum_is_met() -> None:
    # Uncapped: 150,000 / 950,000 = 15.79%; capped at 20%: 125,000 / 925,000 = 13.51%.
    assert (
        check(
            comp=competition(min_cofinancing_percent=Decimal(15), in_kind_cap_percent=Decimal(100))
        )
        == []
    )
    assert rules(check(comp=competition(min_cofinancing_percent=Decimal(15)))) == {
        ("application.cofinancing_sources", "minimum")
    }


def test_disallowed_type_is_no_violation_but_does_not_count() -> None:
    # Only own funds count: 100,000 / 900,000 = 11.11%, enough for 10% but not for 12%.
    assert check(comp=competition(allowed_cofinancing_types=("own_funds",))) == []
    found = check(
        comp=competition(
            allowed_cofinancing_types=("own_funds",), min_cofinancing_percent=Decimal(12)
        )
    )
    assert rules(found) == {("application.cofinancing_sources", "minimum")}
    assert "11.11%" in found[0].description


def test_no_minimum_needs_no_cofinancing() -> None:
    app = application(budget_lines=(line("salaries", 500_000),), cofinancing_sources=())
    assert check(app=app, comp=competition(min_cofinancing_percent=Decimal(0))) == []


def test_empty_budget_is_required() -> None:
    app = application(budget_lines=(), cofinancing_sources=())
    found = check(app=app, comp=competition(min_cofinancing_percent=Decimal(0)))
    assert rules(found) == {("application.budget_lines", "required")}


def test_competition_mismatch() -> None:
    assert rules(check(app=application(competition_id="comp-2"))) == {
        ("application.competition_id", "mismatch")
    }


def test_organisation_mismatch() -> None:
    assert rules(check(app=application(organisation_id="org-2"))) == {
        ("application.organisation_id", "mismatch")
    }


def test_legal_form_not_eligible() -> None:
    org = organisation(legal_form=LegalForm.COMMERCIAL.value)
    assert rules(check(org=org)) == {("application.organisation_id", "legal_form")}
    assert check(org=org, comp=competition(eligible_legal_forms=("nco", "commercial"))) == []


def test_region_not_eligible() -> None:
    org = organisation(region_code="RU-MOW")
    assert rules(check(org=org)) == {("application.organisation_id", "region")}
    # Empty eligible regions means every federal subject.
    assert check(org=org, comp=competition(eligible_region_codes=())) == []


def test_application_limit() -> None:
    assert rules(check(filed_before=1)) == {("application.organisation_id", "limit")}
    assert check(filed_before=1, comp=competition(max_applications_per_organisation=2)) == []


@pytest.mark.parametrize(
    ("registered", "ok"),
    [
        # The deadline's date in Vladivostok is 2026-03-31: exactly 12 months after 2025-03-31.
        (date(2025, 3, 31), True),
        (date(2025, 4, 1), False),
    ],
)
def test_registration_age(registered: date, ok: bool) -> None:
    found = check(org=organisation(registered_on=registered))
    assert rules(found) == (set() if ok else {("application.organisation_id", "registration_age")})


@pytest.mark.parametrize(
    ("registered", "ok"),
    [(date(2025, 9, 30), True), (date(2025, 10, 1), False)],
)
def test_registration_age_of_a_small_request(registered: date, ok: bool) -> None:
    # 400,000 roubles is at most the 500,000 small-request bound, so 6 months are enough.
    small = application(
        budget_lines=(line("salaries", 300_000, 100_000), line("premises", 100_000, 50_000))
    )
    found = check(app=small, org=organisation(registered_on=registered))
    assert rules(found) == (set() if ok else {("application.organisation_id", "registration_age")})


def test_registration_requirement_can_be_switched_off() -> None:
    young = organisation(registered_on=date(2026, 3, 1))
    assert check(org=young, comp=competition(min_registration_months=0)) == []


@pytest.mark.parametrize(
    ("now", "accepted"),
    [
        (datetime(2026, 3, 31, 13, 59, 58, tzinfo=UTC), True),
        # The deadline itself: closes_at is exclusive.
        (datetime(2026, 3, 31, 13, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 31, 14, 0, tzinfo=UTC), False),
        (datetime(2026, 4, 2, tzinfo=UTC), False),
    ],
)
def test_deadline_in_the_competitions_time_zone(now: datetime, accepted: bool) -> None:
    found = check(now=now)
    if accepted:
        assert found == []
    else:
        assert rules(found) == {("application.competition_id", "closed")}
        assert "submissions closed at 2026-03-31 23:59 Asia/Vladivostok" in found[0].description


def test_not_yet_open() -> None:
    (found,) = check(now=OPENS - timedelta(seconds=1))
    assert (found.field, found.rule) == ("application.competition_id", "closed")
    assert "2026-03-01 10:00 Asia/Vladivostok" in found.description


def test_draft_competition_accepts_nothing() -> None:
    assert rules(check(comp=competition(opened=False))) == {
        ("application.competition_id", "closed")
    }


def test_every_violation_at_once() -> None:
    app = application(
        competition_id="comp-2",
        title="",
        region_codes=("RU-XX",),
        end_date=date(2026, 3, 1),
        planned_results=(),
        budget_lines=(LINES[0], replace(LINES[1], cofinanced_amount=rub(40_000))),
        cofinancing_sources=(*SOURCES, source(None, Money(-5))),
    )
    found = check(
        app=app,
        org=organisation(region_code="RU-MOW", registered_on=date(2025, 12, 1)),
        now=CLOSES,
        filed_before=3,
    )
    assert rules(found) == {
        ("application.competition_id", "mismatch"),
        ("application.competition_id", "closed"),
        ("application.organisation_id", "region"),
        ("application.organisation_id", "limit"),
        ("application.organisation_id", "registration_age"),
        ("application.title", "required"),
        ("application.region_codes[0]", "catalogue"),
        ("application.end_date", "order"),
        ("application.planned_results", "required"),
        ("application.cofinancing_sources[2].type", "required"),
        ("application.cofinancing_sources[2].amount", "range"),
        ("application.budget_lines", "sum"),
    }
    assert len(found) == len(rules(found))


def test_prefix_is_applied() -> None:
    found = check_submission(
        application(title=""),
        competition(),
        organisation(),
        now=SUBMIT_AT,
        filed_before=0,
        prefix="draft",
    )
    assert rules(found) == {("draft.title", "required")}


def test_messages_hold_no_partner_inn() -> None:
    bad_inn = PARTNER_INN[:-1] + str((int(PARTNER_INN[-1]) + 1) % 10)
    found = check(
        app=application(**with_source(source(PARTNER, 10_000, "Primorye Energy", bad_inn)))
    )
    assert found
    assert all(bad_inn not in v.description for v in found)
