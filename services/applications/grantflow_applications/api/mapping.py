"""Protobuf messages to domain values and back. Malformed values (an impossible date, a decimal
that is not one) are collected as violations; rules are the domain's business."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf.message import Message
from grantflow.applications.v1 import (
    applications_pb2,
    catalogues_pb2,
    competitions_pb2,
    organisations_pb2,
)
from grantflow.common.v1 import date_pb2
from grantflow.events.v1 import competitions_pb2 as competition_events
from grantflow_runtime.errors import Violations
from grantflow_runtime.money import Money
from grantflow_runtime.protoconv import (
    from_date,
    from_money,
    from_timestamp,
    parse_decimal,
    to_date,
    to_money,
    to_timestamp,
)

from grantflow_applications.domain.applications import (
    Application,
    ApplicationContent,
    ApplicationState,
    BudgetLine,
    CofinancingSource,
    CofinancingType,
    PlannedResult,
)
from grantflow_applications.domain.competitions import (
    Competition,
    CompetitionState,
    CompetitionTerms,
)
from grantflow_applications.domain.organisations import (
    Contact,
    LegalForm,
    Organisation,
    OrganisationTerms,
)
from grantflow_applications.domain.totals import Totals, share_percent

T = TypeVar("T")

COMPETITION_STATES = {
    CompetitionState.DRAFT: competitions_pb2.Competition.STATE_DRAFT,
    CompetitionState.OPEN: competitions_pb2.Competition.STATE_OPEN,
    CompetitionState.CLOSED: competitions_pb2.Competition.STATE_CLOSED,
    CompetitionState.DECIDED: competitions_pb2.Competition.STATE_DECIDED,
    CompetitionState.ARCHIVED: competitions_pb2.Competition.STATE_ARCHIVED,
}
COMPETITION_STATES_IN = {v: k for k, v in COMPETITION_STATES.items()}
APPLICATION_STATES = {
    ApplicationState.DRAFT: applications_pb2.Application.STATE_DRAFT,
    ApplicationState.SUBMITTED: applications_pb2.Application.STATE_SUBMITTED,
    ApplicationState.UNDER_REVIEW: applications_pb2.Application.STATE_UNDER_REVIEW,
    ApplicationState.AWARDED: applications_pb2.Application.STATE_AWARDED,
    ApplicationState.DECLINED: applications_pb2.Application.STATE_DECLINED,
    ApplicationState.WITHDRAWN: applications_pb2.Application.STATE_WITHDRAWN,
    ApplicationState.INELIGIBLE: applications_pb2.Application.STATE_INELIGIBLE,
}
APPLICATION_STATES_IN = {v: k for k, v in APPLICATION_STATES.items()}
LEGAL_FORMS = {
    LegalForm.NCO: catalogues_pb2.LEGAL_FORM_NCO,
    LegalForm.SOCIAL_ENTERPRISE: catalogues_pb2.LEGAL_FORM_SOCIAL_ENTERPRISE,
    LegalForm.MUNICIPAL_INSTITUTION: catalogues_pb2.LEGAL_FORM_MUNICIPAL_INSTITUTION,
    LegalForm.STATE_INSTITUTION: catalogues_pb2.LEGAL_FORM_STATE_INSTITUTION,
    LegalForm.INDIVIDUAL_ENTREPRENEUR: catalogues_pb2.LEGAL_FORM_INDIVIDUAL_ENTREPRENEUR,
    LegalForm.COMMERCIAL: catalogues_pb2.LEGAL_FORM_COMMERCIAL,
}
LEGAL_FORMS_IN = {v: k for k, v in LEGAL_FORMS.items()}
COFINANCING_TYPES = {
    CofinancingType.OWN_FUNDS: catalogues_pb2.COFINANCING_TYPE_OWN_FUNDS,
    CofinancingType.BUSINESS_PARTNER: catalogues_pb2.COFINANCING_TYPE_BUSINESS_PARTNER,
    CofinancingType.REGIONAL_BUDGET: catalogues_pb2.COFINANCING_TYPE_REGIONAL_BUDGET,
    CofinancingType.OTHER_GRANTS: catalogues_pb2.COFINANCING_TYPE_OTHER_GRANTS,
    CofinancingType.IN_KIND: catalogues_pb2.COFINANCING_TYPE_IN_KIND,
}
COFINANCING_TYPES_IN = {v: k for k, v in COFINANCING_TYPES.items()}
ZERO_RUB = Money(0)


def _enum_value(number: int, known: Mapping[Any, StrEnum]) -> str:
    # An unknown number (a newer client, or garbage) becomes a string the domain rejects by name.
    member = known.get(number)
    return member.value if member is not None else f"#{number}"


def _parsed(v: Violations, field: str, parse: Callable[[], T], fallback: T) -> T:
    try:
        return parse()
    except ValueError as exc:
        v.add(field, str(exc), "format")
        return fallback


def _decimal_field(v: Violations, field: str, text: str, default: Decimal | None = None) -> Decimal:
    return _parsed(v, field, lambda: parse_decimal(text, default=default), Decimal(0))


def _date_field(v: Violations, field: str, message: Message, name: str) -> date | None:
    sub: date_pb2.Date = getattr(message, name)
    return _parsed(v, field, lambda: from_date(sub, message.HasField(name)), None)


def _money_or_zero(message: Message, name: str) -> Money:
    return from_money(getattr(message, name), message.HasField(name)) or ZERO_RUB


# --- competitions -------------------------------------------------------------------------


def competition_terms(
    m: competitions_pb2.Competition, prefix: str = "competition"
) -> CompetitionTerms:
    """Server-owned fields (id, state, times) are ignored, whatever the caller put in them."""
    v = Violations()
    terms = CompetitionTerms(
        title=m.title,
        description=m.description,
        direction_codes=tuple(m.direction_codes),
        min_grant=from_money(m.min_grant, m.HasField("min_grant")),
        max_grant=from_money(m.max_grant, m.HasField("max_grant")),
        budget=from_money(m.budget, m.HasField("budget")),
        opens_at=from_timestamp(m.opens_at, m.HasField("opens_at")),
        closes_at=from_timestamp(m.closes_at, m.HasField("closes_at")),
        time_zone=m.time_zone,
        max_duration_months=m.max_duration_months,
        eligible_region_codes=tuple(m.eligible_region_codes),
        eligible_legal_forms=tuple(_enum_value(f, LEGAL_FORMS_IN) for f in m.eligible_legal_forms),
        min_cofinancing_percent=_parsed(
            v,
            f"{prefix}.min_cofinancing_percent",
            lambda: parse_decimal(m.min_cofinancing_percent, default=Decimal(0)),
            Decimal(0),
        ),
        allowed_cofinancing_types=tuple(
            _enum_value(t, COFINANCING_TYPES_IN) for t in m.allowed_cofinancing_types
        ),
        in_kind_cap_percent=_parsed(
            v,
            f"{prefix}.in_kind_cap_percent",
            lambda: parse_decimal(m.in_kind_cap_percent, default=Decimal(100)),
            Decimal(100),
        ),
        max_applications_per_organisation=(
            m.max_applications_per_organisation
            if m.HasField("max_applications_per_organisation")
            else None
        ),
        direction_quotas=tuple(
            (q.direction_code, _money_or_zero(q, "amount")) for q in m.direction_quotas
        ),
        min_registration_months=m.min_registration_months
        if m.HasField("min_registration_months")
        else None,
        min_registration_months_small=(
            m.min_registration_months_small if m.HasField("min_registration_months_small") else None
        ),
        small_request_max=from_money(m.small_request_max, m.HasField("small_request_max")),
        required_indicator_codes=tuple(m.required_indicator_codes),
    )
    v.raise_if_any()
    return terms


def competition_to_proto(c: Competition) -> competitions_pb2.Competition:
    return competitions_pb2.Competition(
        id=c.id,
        title=c.title,
        description=c.description,
        direction_codes=c.direction_codes,
        min_grant=to_money(c.min_grant),
        max_grant=to_money(c.max_grant),
        budget=to_money(c.budget),
        opens_at=to_timestamp(c.opens_at),
        closes_at=to_timestamp(c.closes_at),
        time_zone=c.time_zone,
        state=COMPETITION_STATES[c.state],
        create_time=to_timestamp(c.created_at),
        update_time=to_timestamp(c.updated_at),
        max_duration_months=c.max_duration_months,
        eligible_region_codes=c.eligible_region_codes,
        eligible_legal_forms=[LEGAL_FORMS[f] for f in c.eligible_legal_forms],
        min_cofinancing_percent=str(c.min_cofinancing_percent),
        allowed_cofinancing_types=[COFINANCING_TYPES[t] for t in c.allowed_cofinancing_types],
        in_kind_cap_percent=str(c.in_kind_cap_percent),
        max_applications_per_organisation=c.max_applications_per_organisation,
        direction_quotas=[
            competitions_pb2.DirectionQuota(direction_code=code, amount=to_money(amount))
            for code, amount in c.direction_quotas
        ],
        min_registration_months=c.min_registration_months,
        min_registration_months_small=c.min_registration_months_small,
        small_request_max=to_money(c.small_request_max),
        required_indicator_codes=c.required_indicator_codes,
    )


def competition_opened(c: Competition) -> competition_events.CompetitionOpened:
    return competition_events.CompetitionOpened(
        competition_id=c.id,
        title=c.title,
        direction_codes=c.direction_codes,
        min_grant=to_money(c.min_grant),
        max_grant=to_money(c.max_grant),
        budget=to_money(c.budget),
        opens_at=to_timestamp(c.opens_at),
        closes_at=to_timestamp(c.closes_at),
        time_zone=c.time_zone,
        owner=c.owner,
        direction_quotas=[
            competition_events.DirectionQuota(direction_code=code, amount=to_money(amount))
            for code, amount in c.direction_quotas
        ],
        required_indicator_codes=c.required_indicator_codes,
    )


# --- organisations ------------------------------------------------------------------------


def organisation_terms(
    m: organisations_pb2.Organisation, prefix: str = "organisation"
) -> OrganisationTerms:
    v = Violations()
    terms = OrganisationTerms(
        name=m.name,
        legal_form=_enum_value(m.legal_form, LEGAL_FORMS_IN) if m.legal_form else "",
        inn=m.inn,
        ogrn=m.ogrn,
        region_code=m.region_code,
        registered_on=_date_field(v, f"{prefix}.registered_on", m, "registered_on"),
        contact=Contact(name=m.contact.name, email=m.contact.email, phone=m.contact.phone),
        website=m.website,
    )
    v.raise_if_any()
    return terms


def organisation_to_proto(o: Organisation) -> organisations_pb2.Organisation:
    return organisations_pb2.Organisation(
        id=o.id,
        name=o.name,
        legal_form=LEGAL_FORMS[o.legal_form],
        inn=o.inn,
        ogrn=o.ogrn,
        region_code=o.region_code,
        registered_on=to_date(o.registered_on),
        contact=organisations_pb2.Contact(
            name=o.contact.name, email=o.contact.email, phone=o.contact.phone
        ),
        website=o.website,
        create_time=to_timestamp(o.created_at),
        update_time=to_timestamp(o.updated_at),
    )


# --- applications -------------------------------------------------------------------------


def application_content(
    m: applications_pb2.Application, prefix: str = "application"
) -> ApplicationContent:
    v = Violations()
    results = tuple(
        PlannedResult(
            title=r.title,
            unit=r.unit,
            target_value=_decimal_field(
                v, f"{prefix}.planned_results[{i}].target_value", r.target_value
            ),
            baseline_value=_decimal_field(
                v,
                f"{prefix}.planned_results[{i}].baseline_value",
                r.baseline_value,
                default=Decimal(0),
            ),
            indicator_code=r.indicator_code,
        )
        for i, r in enumerate(m.planned_results)
    )
    sources = []
    for i, s in enumerate(m.cofinancing_sources):
        kind = COFINANCING_TYPES_IN.get(s.type)
        if s.type and kind is None:
            v.add(
                f"{prefix}.cofinancing_sources[{i}].type",
                f"{s.type} is not a co-financing type",
                "enum",
            )
        sources.append(
            CofinancingSource(
                type=kind,
                partner_name=s.partner_name,
                partner_inn=s.partner_inn,
                amount=_money_or_zero(s, "amount"),
                confirmation_letter=s.confirmation_letter,
            )
        )
    content = ApplicationContent(
        title=m.title,
        summary=m.summary,
        direction_code=m.direction_code,
        region_codes=tuple(m.region_codes),
        start_date=_date_field(v, f"{prefix}.start_date", m, "start_date"),
        end_date=_date_field(v, f"{prefix}.end_date", m, "end_date"),
        target_groups=tuple(m.target_groups),
        planned_results=results,
        budget_lines=tuple(
            BudgetLine(
                category=b.category,
                description=b.description,
                grant_amount=_money_or_zero(b, "grant_amount"),
                cofinanced_amount=_money_or_zero(b, "cofinanced_amount"),
            )
            for b in m.budget_lines
        ),
        cofinancing_sources=tuple(sources),
    )
    v.raise_if_any()
    return content


def totals_to_proto(t: Totals) -> applications_pb2.ApplicationTotals:
    return applications_pb2.ApplicationTotals(
        requested=to_money(t.requested),
        cofinancing=to_money(t.cofinancing),
        total_cost=to_money(t.total_cost),
        counted_cofinancing=to_money(t.counted_cofinancing),
        cofinancing_share=f"{t.cofinancing_share.numerator}/{t.cofinancing_share.denominator}",
        cofinancing_share_percent=str(share_percent(t.cofinancing_share)),
    )


def content_fields(c: ApplicationContent) -> applications_pb2.Application:
    """The editable part as a message (used to apply field masks to the stored draft)."""
    return applications_pb2.Application(
        title=c.title,
        summary=c.summary,
        direction_code=c.direction_code,
        region_codes=c.region_codes,
        start_date=to_date(c.start_date),
        end_date=to_date(c.end_date),
        target_groups=c.target_groups,
        planned_results=[
            applications_pb2.PlannedResult(
                title=r.title,
                unit=r.unit,
                target_value=str(r.target_value),
                baseline_value=str(r.baseline_value),
                indicator_code=r.indicator_code,
            )
            for r in c.planned_results
        ],
        budget_lines=[
            applications_pb2.BudgetLine(
                category=b.category,
                description=b.description,
                grant_amount=to_money(b.grant_amount),
                cofinanced_amount=to_money(b.cofinanced_amount),
            )
            for b in c.budget_lines
        ],
        cofinancing_sources=[
            applications_pb2.CofinancingSource(
                type=COFINANCING_TYPES[s.type]
                if s.type
                else catalogues_pb2.COFINANCING_TYPE_UNSPECIFIED,
                partner_name=s.partner_name,
                partner_inn=s.partner_inn,
                amount=to_money(s.amount),
                confirmation_letter=s.confirmation_letter,
            )
            for s in c.cofinancing_sources
        ],
    )


def application_to_proto(a: Application, totals: Totals) -> applications_pb2.Application:
    message = content_fields(a.content)
    message.id = a.id
    message.competition_id = a.competition_id
    message.organisation_id = a.organisation_id
    message.state = APPLICATION_STATES[a.state]
    message.totals.CopyFrom(totals_to_proto(totals))
    message.version = a.version
    message.create_time.CopyFrom(to_timestamp(a.created_at))
    message.update_time.CopyFrom(to_timestamp(a.updated_at))
    if a.submitted_at is not None:
        message.submit_time.CopyFrom(to_timestamp(a.submitted_at))
    message.status_reason = a.status_reason
    return message
