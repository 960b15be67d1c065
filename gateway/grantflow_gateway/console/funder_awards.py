"""A competition's ranking with its award cut-off, its decision, and both as CSV and XLSX."""

from __future__ import annotations

import asyncio
from typing import Any

from grantflow.scoring.v1 import scoring_service_pb2
from grantflow_runtime.exports import awards_sheet, ranking_sheet
from grantflow_runtime.money import minor_units_of as minor_units
from grantflow_runtime.sheets import Format
from starlette.responses import Response

from grantflow_gateway.console.funder_figures import (
    Outcomes,
    decided_outcomes,
    explain,
    projected_outcomes,
)
from grantflow_gateway.console.funder_reads import (
    announced,
    competition_id,
    decision_of,
    download,
    panel_of,
    sheet_download,
)
from grantflow_gateway.console.web import Errors, Page

DONE = frozenset({"decided"})


def outcomes_of(
    ranking: dict[str, Any], panel: dict[str, Any] | None, decision: dict[str, Any] | None
) -> Outcomes | None:
    """The recorded decision when there is one, else what deciding now would give."""
    if panel is None:
        return None
    budget = minor_units(panel.get("budget"))
    if decision is not None:
        return decided_outcomes(decision, budget)
    return projected_outcomes(
        ranking.get("entries", []), panel, by_calibrated=bool(ranking.get("byCalibrated"))
    )


async def ranking(p: Page) -> Response:
    cid = competition_id(p)
    competition, panel, ranked, decision = await asyncio.gather(
        p.call("GetCompetition", cid),
        panel_of(p, cid),
        p.call("GetRanking", cid),
        decision_of(p, cid),
    )
    return p.render(
        "funder/ranking.html",
        competition=competition,
        panel=panel,
        entries=ranked.get("entries", []),
        by_calibrated=bool(ranked.get("byCalibrated")),
        outcomes=outcomes_of(ranked, panel, decision),
        explain=lambda reason: explain(p.t, reason),
        errors=Errors(),
    )


async def ranking_csv(p: Page) -> Response:
    """The service's own CSV export, as the API's download gives it."""
    reply = await p.message("ExportRanking", competition_id(p))
    assert isinstance(reply, scoring_service_pb2.ExportRankingResponse)
    return download(
        reply.data, reply.content_type or "text/csv", f"ranking-{competition_id(p)}.csv"
    )


async def ranking_xlsx(p: Page) -> Response:
    cid = competition_id(p)
    sheet = ranking_sheet(await p.call("GetRanking", cid))
    return sheet_download(sheet, Format.XLSX, f"ranking-{cid}")


async def awards(p: Page) -> Response:
    cid = competition_id(p)
    competition, panel, decision, ranked, applications = await asyncio.gather(
        p.call("GetCompetition", cid),
        panel_of(p, cid),
        decision_of(p, cid),
        p.call("GetRanking", cid),
        p.every("ListApplications", "applications", query=[("competitionId", cid)]),
    )
    entries = {str(e.get("applicationId")): e for e in ranked.get("entries", [])}
    titles = {str(a.get("id")): str(a.get("title", "")) for a in applications}
    return p.render(
        "funder/awards.html",
        competition=competition,
        panel=panel,
        decision=decision,
        outcomes=outcomes_of(ranked, panel, decision),
        entries=entries,
        titles=titles,
        explain=lambda reason: explain(p.t, reason),
        done=announced(p, DONE),
    )


async def _awards_file(p: Page, fmt: Format) -> Response:
    cid = competition_id(p)
    decision, ranked, applications, organisations = await asyncio.gather(
        p.call("GetDecision", cid),
        p.call("GetRanking", cid),
        p.every("ListApplications", "applications", query=[("competitionId", cid)], whole=True),
        p.every("ListOrganisations", "organisations", whole=True),
    )
    sheet = awards_sheet(decision, ranked, applications, organisations)
    return sheet_download(sheet, fmt, f"awards-{cid}")


async def awards_csv(p: Page) -> Response:
    return await _awards_file(p, Format.CSV)


async def awards_xlsx(p: Page) -> Response:
    return await _awards_file(p, Format.XLSX)
