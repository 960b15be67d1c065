"""Who may see and change what. A foreign object must answer exactly like a missing one, so these
return booleans and the callers raise the same NotFound either way."""

from __future__ import annotations

from grantflow_runtime.context import Identity, Role

from grantflow_applications.adapters.applications_repo import Visibility
from grantflow_applications.domain.applications import Application, ApplicationState
from grantflow_applications.domain.competitions import Competition, CompetitionState
from grantflow_applications.domain.organisations import Organisation

TRUSTED = (Role.ADMIN, Role.SYSTEM)


def sees_competition(who: Identity, c: Competition) -> bool:
    return c.state is not CompetitionState.DRAFT or manages_competition(who, c)


def manages_competition(who: Identity, c: Competition) -> bool:
    return who.role in TRUSTED or (who.role is Role.FUNDER and c.owner == who.subject)


def acts_for(who: Identity, o: Organisation) -> bool:
    """An applicant acts for the organisation its token names, or one it registered itself."""
    if who.role in TRUSTED:
        return True
    return who.role is Role.APPLICANT and (o.id == who.organisation_id or o.owner == who.subject)


def sees_application(
    who: Identity, a: Application, organisation: Organisation, competition: Competition
) -> bool:
    if acts_for(who, organisation):
        return True
    # A funder reviews what was submitted to its own competitions, never drafts.
    return (
        who.role is Role.FUNDER
        and competition.owner == who.subject
        and a.state is not ApplicationState.DRAFT
    )


def application_visibility(who: Identity) -> Visibility:
    if who.role in TRUSTED:
        return Visibility(everything=True)
    if who.role is Role.APPLICANT:
        return Visibility(applicant_subject=who.subject, applicant_organisation=who.organisation_id)
    if who.role is Role.FUNDER:
        return Visibility(funder_subject=who.subject)
    return Visibility()
