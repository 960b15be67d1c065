"""The competition: found again if an earlier run made it, otherwise created, opened and given
its panel settings; later closed early once every applicant has filed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from grantflow_cli.client import ApiError
from grantflow_cli.demo import bodies
from grantflow_cli.demo.api import Caller, wait_until
from grantflow_cli.demo.model import CompetitionPlan
from grantflow_cli.demo.settings import DEMO_TITLE
from grantflow_cli.demo.state import Round

Json = dict[str, Any]

EARLY_CLOSE_REASON = "Демонстрационный раунд: все заявки поданы, экспертиза начинается досрочно."
# Close to the deadline, when ties matter, the closest two experts decide (shared DOMAIN.md).
FINAL_RULE = "FINAL_RULE_MEAN_CLOSEST_TWO"


def find(funder: Caller) -> Json | None:
    """The demo funder's demo competition. A draft in the list is the caller's own (nobody else
    sees a draft); an open one is the funder's when its panel answers to the funder."""
    for competition in funder.pages("/v1/competitions", "competitions"):
        if competition["title"] != DEMO_TITLE:
            continue
        if competition["state"] == "STATE_DRAFT":
            return competition
        if _panel(funder, competition["id"], patient=True) is not None:
            return competition
    return None


def _panel(funder: Caller, competition_id: str, *, patient: bool = False) -> Json | None:
    def probe() -> Json | None:
        try:
            found: Json = funder.get(f"/v1/competitions/{competition_id}/panel")
            return found
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    if not patient:
        return probe()
    # Scoring learns of an opened competition from its event, a moment later.
    try:
        return wait_until(probe, what="the competition's panel", timeout_s=5)
    except TimeoutError:
        return None


def deadline_day(closes_at: datetime, time_zone: str) -> date:
    return closes_at.astimezone(ZoneInfo(time_zone)).date()


def stored_deadline(competition: Json) -> date:
    closes = datetime.fromisoformat(str(competition["closesAt"]).replace("Z", "+00:00"))
    return deadline_day(closes, str(competition["timeZone"]))


def choose_closing(now: datetime, time_zone: str) -> datetime:
    """An announced deadline late today where it is announced: projects start on the deadline's
    day, and the sooner they start, the more of their first quarter has elapsed when the demo's
    reports come in. Two hours of slack let an interrupted run resume before the deadline."""
    zone = ZoneInfo(time_zone)
    local_end = datetime.combine(now.astimezone(zone).date(), time(23, 59), zone)
    closes = min(now + timedelta(hours=2), local_end.astimezone(UTC))
    if closes - now < timedelta(minutes=10):
        closes = now + timedelta(hours=2)  # too late in the day: the projects start tomorrow
    return closes.replace(microsecond=0)


def ensure_indicators(funder: Caller, key: str) -> None:
    """The catalogue entries the competition requires must exist before any award, or the award
    cannot become an agreement."""
    for definition in bodies.INDICATOR_DEFINITIONS:
        try:
            found = funder.get(f"/v1/indicatorDefinitions/{definition['code']}")
        except ApiError as exc:
            if exc.status != 404:
                raise
            funder.post(
                "/v1/indicatorDefinitions", definition, key=f"{key}-indicator-{definition['code']}"
            )
            continue
        if found["unit"].strip().lower() != definition["unit"]:
            raise RuntimeError(
                f"indicator {definition['code']!r} is catalogued in {found['unit']!r}, not"
                f" {definition['unit']!r}; the demo's projects could not report on it"
            )


def create(funder: Caller, plan: CompetitionPlan, *, closes_at: datetime, key: str) -> Json:
    body = bodies.competition_body(
        plan, opens_at=closes_at - timedelta(days=30), closes_at=closes_at
    )
    created: Json = funder.post("/v1/competitions", body, key=key)
    return created


def open_and_configure(r: Round) -> None:
    """Open a draft, wait for scoring's panel, and set how final scores are formed."""
    if r.competition["state"] == "STATE_DRAFT":
        r.competition = r.funder.post(f"/v1/competitions/{r.id}:open")
    panel = wait_until(
        lambda: _panel(r.funder, r.id), what="scoring to hear the competition opened"
    )
    if panel["state"] in ("STATE_COLLECTING", "STATE_SCORING") and panel["finalRule"] != FINAL_RULE:
        r.funder.patch(
            f"/v1/competitions/{r.id}/panel", {"finalRule": FINAL_RULE}, updateMask="finalRule"
        )


def close_early(r: Round) -> None:
    if r.competition["state"] == "STATE_OPEN":
        r.competition = r.funder.post(
            f"/v1/competitions/{r.id}:close", {"earlyCloseReason": EARLY_CLOSE_REASON}
        )


def wait_for_scoring(r: Round) -> Json:
    def probe() -> Json | None:
        panel = _panel(r.funder, r.id)
        return panel if panel is not None and panel["state"] != "STATE_COLLECTING" else None

    return wait_until(probe, what="scoring to hear the competition closed")


def refresh(r: Round) -> None:
    r.competition = r.funder.get(f"/v1/competitions/{r.id}")


def settle(r: Round, *, timeout_s: float = 30.0) -> None:
    """Give the applications service time to record every decision (it hears them as events;
    the competition becomes DECIDED with the last one), so the summary shows the end state.
    A service that never says DECIDED is waited for only this long."""

    def probe() -> bool | None:
        refresh(r)
        return True if r.competition["state"] == "STATE_DECIDED" else None

    try:
        wait_until(probe, what="the competition to be decided", timeout_s=timeout_s, every_s=0.5)
    except TimeoutError:
        r.notes.append(f"the competition was still {r.competition['state']} after the decision")
