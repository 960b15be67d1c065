"""Request bodies in the gateway's JSON mapping (lowerCamelCase, int64 as strings, enums by name),
built from the plan. Pure, so the same plan always sends byte-identical creates: a replayed
Idempotency-Key then finds its first result instead of a conflict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from grantflow_cli.demo.generate import BENEFICIARIES, VOLUNTEERS
from grantflow_cli.demo.model import ApplicationPlan, CompetitionPlan, ExpertPlan, OrganisationPlan

Json = dict[str, Any]

# The catalogue entries the demo's projects report on; the competition requires the first.
INDICATOR_DEFINITIONS: tuple[Json, ...] = (
    {
        "code": BENEFICIARIES,
        "title": "Получатели услуг проекта",
        "unit": "people",
        "resultLevel": "RESULT_LEVEL_OUTPUT",
        "aggregation": "AGGREGATION_SUM",
        "direction": "DIRECTION_INCREASE",
    },
    {
        "code": VOLUNTEERS,
        "title": "Привлечённые добровольцы",
        "unit": "volunteers",
        "resultLevel": "RESULT_LEVEL_OUTPUT",
        "aggregation": "AGGREGATION_SUM",
        "direction": "DIRECTION_INCREASE",
    },
)


def money(kopecks: int) -> Json:
    return {"minorUnits": str(kopecks), "currencyCode": "RUB"}


def day(value: date) -> Json:
    return {"year": value.year, "month": value.month, "day": value.day}


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def competition_body(c: CompetitionPlan, *, opens_at: datetime, closes_at: datetime) -> Json:
    return {
        "title": c.title,
        "description": c.description,
        "directionCodes": list(c.directions),
        "minGrant": money(c.min_grant),
        "maxGrant": money(c.max_grant),
        "budget": money(c.budget),
        "opensAt": timestamp(opens_at),
        "closesAt": timestamp(closes_at),
        "timeZone": c.time_zone,
        "maxDurationMonths": c.max_duration_months,
        "eligibleRegionCodes": list(c.eligible_regions),
        "minCofinancingPercent": c.min_cofinancing_percent,
        "allowedCofinancingTypes": list(c.allowed_cofinancing_types),
        "inKindCapPercent": c.in_kind_cap_percent,
        "directionQuotas": [
            {"directionCode": code, "amount": money(amount)} for code, amount in c.quotas
        ],
        "requiredIndicatorCodes": list(c.required_indicators),
    }


def organisation_body(o: OrganisationPlan) -> Json:
    return {
        "name": o.name,
        "legalForm": o.legal_form,
        "inn": o.inn,
        "ogrn": o.ogrn,
        "regionCode": o.region,
        "registeredOn": day(o.registered_on),
        "contact": {"name": o.contact_name, "email": o.email, "phone": o.phone},
        "website": o.website,
    }


def application_body(a: ApplicationPlan, competition_id: str, organisation_id: str) -> Json:
    return {
        "competitionId": competition_id,
        "organisationId": organisation_id,
        "title": a.title,
        "summary": a.summary,
        "directionCode": a.direction,
        "regionCodes": list(a.regions),
        "startDate": day(a.start),
        "endDate": day(a.end),
        "targetGroups": list(a.target_groups),
        "plannedResults": [
            {
                "title": r.title,
                "unit": r.unit,
                "targetValue": str(r.target),
                "baselineValue": "0",
                "indicatorCode": r.indicator_code,
            }
            for r in a.results
        ],
        "budgetLines": [
            {
                "category": line.category,
                "description": line.description,
                "grantAmount": money(line.grant),
                "cofinancedAmount": money(line.cofinanced),
            }
            for line in a.lines
        ],
        "cofinancingSources": [
            {
                "type": f"COFINANCING_TYPE_{s.type.upper()}",
                "partnerName": s.partner_name,
                "partnerInn": s.partner_inn,
                "amount": money(s.amount),
                "confirmationLetter": s.confirmation_letter,
            }
            for s in a.sources
        ],
    }


def expert_body(e: ExpertPlan) -> Json:
    return {
        "subject": e.subject,
        "displayName": e.name,
        "directionCodes": list(e.directions),
        "regionCode": e.region,
        "affiliationInns": list(e.affiliations),
        "maxLoad": e.max_load,
    }
