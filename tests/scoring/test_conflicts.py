"""Conflict detection in plain Python: declared, affiliated with the applicant or a partner, and
the same region only where the competition says so."""

from __future__ import annotations

from grantflow_scoring.domain.conflicts import (
    ApplicationParties,
    DeclaredConflict,
    ExpertProfile,
    conflict_reason,
    conflicted_experts,
)

APP = ApplicationParties(
    "app-1",
    organisation_inn="7707083893",
    organisation_region_code="RU-TA",
    partner_inns=frozenset({"7736207543"}),
)


def expert(expert_id: str = "e1", region: str = "RU-MOW", *inns: str) -> ExpertProfile:
    return ExpertProfile(expert_id, region, frozenset(inns))


def test_an_unrelated_expert_has_no_conflict() -> None:
    assert conflict_reason(expert(), APP) is None


def test_affiliation_with_the_applicant() -> None:
    assert (
        conflict_reason(expert("e1", "RU-MOW", "7707083893"), APP)
        == "affiliated with the applicant organisation"
    )


def test_affiliation_with_a_partner() -> None:
    reason = conflict_reason(expert("e1", "RU-MOW", "7736207543"), APP)
    assert reason == "affiliated with a co-financing partner of the application"


def test_declared_for_the_application_or_the_organisation() -> None:
    by_app = [DeclaredConflict("e1", application_id="app-1")]
    by_org = [DeclaredConflict("e1", organisation_inn="7707083893")]
    other = [
        DeclaredConflict("e1", application_id="app-2"),
        DeclaredConflict("e2", application_id="app-1"),
    ]
    assert conflict_reason(expert(), APP, by_app) == "declared by the expert for this application"
    assert (
        conflict_reason(expert(), APP, by_org)
        == "declared by the expert for the applicant organisation"
    )
    assert conflict_reason(expert(), APP, other) is None


def test_same_region_is_a_preference_unless_the_competition_says_otherwise() -> None:
    local = expert("e1", "RU-TA")
    assert conflict_reason(local, APP) is None
    assert conflict_reason(local, APP, same_region_is_conflict=True) is not None


def test_conflicted_experts_lists_exactly_the_conflicted() -> None:
    experts = [expert("e1"), expert("e2", "RU-MOW", "7707083893"), expert("e3", "RU-TA")]
    declared = {"e1": [DeclaredConflict("e1", application_id="app-1")]}
    assert conflicted_experts(experts, APP, declared) == {"e1", "e2"}
    assert conflicted_experts(experts, APP, declared, same_region_is_conflict=True) == {
        "e1",
        "e2",
        "e3",
    }
