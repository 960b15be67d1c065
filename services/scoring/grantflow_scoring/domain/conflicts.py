"""Conflicts of interest: declared by experts, or detected from affiliations and regions.

A conflicted expert never sees, is never assigned and never scores the application. Being from
the applicant's region is a preference by default, and a conflict only where the competition says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ExpertProfile:
    expert_id: str
    region_code: str
    affiliation_inns: frozenset[str]


@dataclass(frozen=True)
class ApplicationParties:
    application_id: str
    organisation_inn: str
    organisation_region_code: str
    partner_inns: frozenset[str]


@dataclass(frozen=True)
class DeclaredConflict:
    expert_id: str
    organisation_inn: str = ""
    application_id: str = ""


def conflict_reason(
    expert: ExpertProfile,
    application: ApplicationParties,
    declared: Iterable[DeclaredConflict] = (),
    *,
    same_region_is_conflict: bool = False,
) -> str | None:
    """Why `expert` may not review `application`, or None when it may."""
    for d in declared:
        if d.expert_id != expert.expert_id:
            continue
        if d.application_id and d.application_id == application.application_id:
            return "declared by the expert for this application"
        if d.organisation_inn and d.organisation_inn == application.organisation_inn:
            return "declared by the expert for the applicant organisation"
    if application.organisation_inn in expert.affiliation_inns:
        return "affiliated with the applicant organisation"
    if expert.affiliation_inns & application.partner_inns:
        return "affiliated with a co-financing partner of the application"
    if same_region_is_conflict and expert.region_code == application.organisation_region_code:
        return "from the applicant's region, which this competition treats as a conflict"
    return None


def conflicted_experts(
    experts: Iterable[ExpertProfile],
    application: ApplicationParties,
    declared_by_expert: Mapping[str, Iterable[DeclaredConflict]],
    *,
    same_region_is_conflict: bool = False,
) -> frozenset[str]:
    return frozenset(
        e.expert_id
        for e in experts
        if conflict_reason(
            e,
            application,
            declared_by_expert.get(e.expert_id, ()),
            same_region_is_conflict=same_region_is_conflict,
        )
        is not None
    )
