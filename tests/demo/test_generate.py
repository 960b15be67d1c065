"""The seeded plan: deterministic, with real identifiers and regions, and invalid exactly where and
how it is meant to be, judged by the applications service's own submission rules."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from grantflow_applications.domain.identifiers import is_valid_inn, is_valid_ogrn
from grantflow_applications.domain.submission import check_submission
from grantflow_cli.demo.bodies import application_body, organisation_body
from grantflow_cli.demo.generate import MAX_GRANT, MIN_GRANT, build_plan
from grantflow_cli.demo.model import FLAW_RULES, Flaw
from grantflow_cli.demo.phase_competition import choose_closing
from grantflow_cli.demo.regions import CAPITALS, ELIGIBLE, REGIONS
from grantflow_cli.demo.settings import DemoSettings, describe, read_back
from grantflow_cli.demo.summary import reason_key

from tests.demo.worlds import NOW, application, competition, organisation, planned

SMALL = DemoSettings(organisations=60, experts=8)
CATALOGUE_CSV = (
    Path(__file__).parents[2] / "services/applications/grantflow_applications/domain/regions.csv"
)


def test_same_seed_same_round_and_another_seed_another() -> None:
    first, _ = planned(SMALL)
    again, _ = planned(SMALL)
    assert first == again
    other, _ = planned(replace(SMALL, seed=SMALL.seed + 1))
    assert [o.inn for o in other.organisations] != [o.inn for o in first.organisations]
    assert [a.quality for a in other.applications] != [a.quality for a in first.applications]


def test_bodies_are_byte_identical_across_builds_so_idempotency_keys_replay() -> None:
    first, _ = planned(SMALL)
    again, _ = planned(SMALL)
    for a, b in zip(first.applications, again.applications, strict=True):
        assert application_body(a, "c", "o") == application_body(b, "c", "o")
    for o, p in zip(first.organisations, again.organisations, strict=True):
        assert organisation_body(o) == organisation_body(p)


def test_identifiers_have_valid_check_digits_and_are_unique() -> None:
    plan, _ = planned(DemoSettings())
    inns = [o.inn for o in plan.organisations]
    assert len(set(inns)) == len(inns)
    for o in plan.organisations:
        assert is_valid_inn(o.inn, person=False), o.inn
        assert is_valid_ogrn(o.ogrn), o.ogrn
        # Region number opens both; the OGRN carries the registration year.
        assert o.inn[:2] == REGIONS[o.region].number == o.ogrn[3:5]
        assert o.ogrn[1:3] == f"{o.registered_on.year % 100:02d}"
    partners = {s.partner_inn for a in plan.applications for s in a.sources if s.partner_inn}
    assert partners and all(is_valid_inn(inn, person=False) for inn in partners)


def test_regions_are_the_services_catalogue_and_spread_widely() -> None:
    with CATALOGUE_CSV.open(encoding="utf-8") as f:
        catalogue = {row["code"] for row in csv.DictReader(f)}
    assert set(REGIONS) == catalogue
    plan, _ = planned(DemoSettings())
    used = {o.region for o in plan.organisations}
    assert used <= catalogue and len(used) >= 50
    assert set(plan.competition.eligible_regions) == catalogue - set(CAPITALS)
    for a in plan.applications:
        assert set(a.regions) <= set(ELIGIBLE)


@pytest.mark.parametrize("share", [0.0, 0.08, 0.2])
def test_invalid_share_as_configured_with_every_kind(share: float) -> None:
    plan, _ = planned(replace(DemoSettings(organisations=100), invalid_share=share))
    flaws = Counter(a.flaw for a in plan.applications if a.flaw is not None)
    assert sum(flaws.values()) == round(100 * share)
    if share >= 0.05:
        assert set(flaws) == set(Flaw)


def test_valid_applications_pass_every_submission_rule_and_invalid_break_exactly_one() -> None:
    plan, closes = planned(DemoSettings(organisations=120))
    c = competition(plan, closes)
    assert c.local_deadline().date() == plan.competition.deadline
    for app in plan.applications:
        found = check_submission(
            application(app),
            c,
            organisation(plan.organisation(app.number)),
            now=NOW,
            filed_before=0,
        )
        if app.flaw is None:
            assert found == [], (app.number, found)
        else:
            assert [reason_key(v.field, v.rule) for v in found] == [FLAW_RULES[app.flaw]], (
                app.flaw,
                found,
            )


def test_budgets_add_up_and_shares_are_realistic() -> None:
    plan, _ = planned(DemoSettings())
    shares = []
    for a in plan.applications:
        assert sum(line.cofinanced for line in a.lines) == a.cofinancing
        assert all(line.grant > 0 for line in a.lines) and all(s.amount > 0 for s in a.sources)
        assert a.lines[0].category == "salaries"
        in_kind = sum(s.amount for s in a.sources if s.type == "in_kind")
        assert in_kind <= a.cofinancing * 0.5
        if a.flaw is None:
            assert MIN_GRANT <= a.requested <= MAX_GRANT
            shares.append(a.cofinancing / (a.requested + a.cofinancing))
        elif a.flaw is Flaw.OVER_MAX_GRANT:
            assert a.requested > MAX_GRANT
    # About half the requests up to 1 million roubles (shared DOMAIN.md).
    small = sum(1 for a in plan.applications if a.requested <= 1_000_000_00)
    assert 0.35 < small / len(plan.applications) < 0.65
    assert min(shares) > 0.15 and max(shares) < 0.6


def test_experts_cover_every_direction_with_room_for_extra_experts() -> None:
    for settings in (DemoSettings(), DemoSettings(organisations=40, experts=8)):
        plan, _ = planned(settings)
        assert len(plan.experts) == settings.expert_count
        cover = Counter(d for e in plan.experts for d in e.directions)
        assert set(cover) == set(plan.competition.directions)
        assert min(cover.values()) >= 4
        valid = sum(1 for a in plan.applications if a.flaw is None)
        assert sum(e.max_load for e in plan.experts) >= 3 * valid
        inns = {o.inn for o in plan.organisations}
        declared = [inn for e in plan.experts for inn, _ in e.declared]
        assert 1 <= len(declared) <= 2 and set(declared) <= inns
        assert any(set(e.affiliations) & inns for e in plan.experts)


def test_settings_written_into_the_competition_are_read_back() -> None:
    asked = DemoSettings(seed=7, organisations=40, experts=8, invalid_share=0.1)
    plan, _ = planned(asked)
    back = read_back(plan.competition.description, DemoSettings())
    assert describe(back) == describe(asked)
    assert build_plan(back, plan.competition.deadline) == plan


def test_the_deadline_is_today_where_announced_unless_the_day_is_almost_over() -> None:
    morning = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    assert choose_closing(morning, "UTC").date() == morning.date()
    late = datetime(2025, 3, 10, 23, 55, tzinfo=UTC)
    assert choose_closing(late, "UTC").date() == late.date().replace(day=11)
