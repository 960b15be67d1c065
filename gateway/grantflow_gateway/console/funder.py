"""Funder pages: competitions and their panels, rankings and awards with their files, the
portfolio dashboard and practices. For funders and administrators; each page's calls go through
the API with the caller's identity, so the console shows and does only what the API allows."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from grantflow_gateway.console import funder_awards, funder_competitions, funder_portfolio
from grantflow_gateway.console.funder_reads import ROLES
from grantflow_gateway.console.web import PREFIX, Console, Handler

_ONE = f"{PREFIX}/competitions/{{id}}"

# (path, handler, methods)
PAGES: tuple[tuple[str, Handler, tuple[str, ...]], ...] = (
    (f"{PREFIX}/competitions", funder_competitions.competitions, ("GET",)),
    (_ONE, funder_competitions.competition, ("GET",)),
    (f"{_ONE}/open", funder_competitions.open_competition, ("POST",)),
    (f"{_ONE}/close", funder_competitions.close_competition, ("POST",)),
    (f"{_ONE}/scores-due", funder_competitions.scores_due, ("POST",)),
    (f"{_ONE}/assign", funder_competitions.assign_experts, ("POST",)),
    (f"{_ONE}/close-scoring", funder_competitions.close_scoring, ("POST",)),
    (f"{_ONE}/decide", funder_competitions.decide_awards, ("POST",)),
    (f"{_ONE}/ranking", funder_awards.ranking, ("GET",)),
    (f"{_ONE}/ranking.csv", funder_awards.ranking_csv, ("GET",)),
    (f"{_ONE}/ranking.xlsx", funder_awards.ranking_xlsx, ("GET",)),
    (f"{_ONE}/awards", funder_awards.awards, ("GET",)),
    (f"{_ONE}/awards.csv", funder_awards.awards_csv, ("GET",)),
    (f"{_ONE}/awards.xlsx", funder_awards.awards_xlsx, ("GET",)),
    (f"{PREFIX}/portfolio", funder_portfolio.portfolio, ("GET",)),
    (f"{PREFIX}/practices", funder_portfolio.practices, ("GET",)),
)


def routes(console: Console) -> list[BaseRoute]:
    guard = console.page(ROLES)
    return [Route(path, guard(handler), methods=list(methods)) for path, handler, methods in PAGES]
