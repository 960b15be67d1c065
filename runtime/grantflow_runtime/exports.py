"""The ranking and the awards of a competition as sheets, from the API's JSON answers: the
command line's exports and the web console's downloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from grantflow_runtime.money import minor_units_of
from grantflow_runtime.sheets import CellKind, Col, Sheet

RANKING_COLUMNS = [
    Col("rank", CellKind.INTEGER, 6),
    Col("application_id", width=38),
    Col("title", width=50),
    Col("direction_code", width=18),
    Col("requested_rub", CellKind.MONEY, 16),
    Col("raw_score", CellKind.DECIMAL, 12),
    Col("calibrated_score", CellKind.DECIMAL, 16),
    Col("experts", CellKind.INTEGER, 8),
    Col("diverged", CellKind.FLAG, 9),
    Col("incomplete", CellKind.FLAG, 11),
]

AWARD_COLUMNS = [
    Col("rank", CellKind.INTEGER, 6),
    Col("application_id", width=38),
    Col("title", width=50),
    Col("direction_code", width=18),
    Col("organisation", width=40),
    Col("inn", width=14),
    Col("region_code", width=12),
    Col("requested_rub", CellKind.MONEY, 16),
    Col("awarded_rub", CellKind.MONEY, 16),
    Col("score", CellKind.DECIMAL, 10),
]


def ranking_sheet(ranking: Mapping[str, Any]) -> Sheet:
    """GET /v1/competitions/{id}/ranking as a sheet, in rank order."""
    rows = [
        [
            e.get("rank"),
            e.get("applicationId", ""),
            e.get("title", ""),
            e.get("directionCode", ""),
            minor_units_of(e.get("requested")),
            e.get("rawScore", ""),
            e.get("calibratedScore", ""),
            e.get("experts", 0),
            bool(e.get("diverged")),
            bool(e.get("incomplete")),
        ]
        for e in ranking.get("entries", [])
    ]
    return Sheet("Ranking", RANKING_COLUMNS, rows)


def awards_sheet(
    decision: Mapping[str, Any],
    ranking: Mapping[str, Any],
    applications: Iterable[Mapping[str, Any]],
    organisations: Iterable[Mapping[str, Any]],
) -> Sheet:
    """The decision's awards, each with its project and organisation, in rank order."""
    entries = {e.get("applicationId"): e for e in ranking.get("entries", [])}
    by_id = {a.get("id"): a for a in applications}
    orgs = {o.get("id"): o for o in organisations}
    rows = []
    for award in sorted(decision.get("awards", []), key=lambda a: int(a.get("rank", 0))):
        application_id = award.get("applicationId", "")
        entry = entries.get(application_id, {})
        application = by_id.get(application_id, {})
        organisation = orgs.get(application.get("organisationId"), {})
        rows.append(
            [
                award.get("rank"),
                application_id,
                entry.get("title") or application.get("title", ""),
                entry.get("directionCode") or application.get("directionCode", ""),
                organisation.get("name", ""),
                organisation.get("inn", ""),
                organisation.get("regionCode", ""),
                minor_units_of(entry.get("requested")),
                minor_units_of(award.get("amount")),
                award.get("score", ""),
            ]
        )
    return Sheet("Awards", AWARD_COLUMNS, rows)
