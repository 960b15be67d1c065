"""What the phases of a round share: the plan, the competition, the ids the services gave the
plan's organisations, applications and experts, and a caller per identity."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from grantflow_runtime.context import Role

from grantflow_cli.demo.api import Api, Caller
from grantflow_cli.demo.model import RoundPlan
from grantflow_cli.demo.settings import ADMIN, FUNDER, DemoSettings, applicant_subject
from grantflow_cli.demo.steps import Steps

Json = dict[str, Any]


@dataclass
class Round:
    api: Api
    settings: DemoSettings
    plan: RoundPlan
    competition: Json
    steps: Steps
    org_ids: dict[int, str] = field(default_factory=dict)  # plan number -> organisation id
    app_ids: dict[int, str] = field(default_factory=dict)  # plan number -> application id
    expert_ids: dict[int, str] = field(default_factory=dict)  # plan number -> expert id
    # Plan numbers the demo could not register, and why (an INN someone else registered).
    skipped: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.competition["id"])

    @property
    def funder(self) -> Caller:
        return self.api.as_(Role.FUNDER, FUNDER)

    @property
    def admin(self) -> Caller:
        return self.api.as_(Role.ADMIN, ADMIN)

    def applicant(self, number: int, org: str = "") -> AbstractContextManager[Caller]:
        """The organisation's applicant, for a few calls; with the organisation in its token
        once it is registered."""
        return self.api.session(Role.APPLICANT, applicant_subject(number), org=org)

    def expert(self, number: int) -> Caller:
        plan = self.plan.experts[number - 1]
        return self.api.as_(Role.EXPERT, plan.subject, expert=self.expert_ids.get(number, ""))

    def number_of(self, application_id: str) -> int | None:
        for number, found in self.app_ids.items():
            if found == application_id:
                return number
        return None

    def key(self, *parts: object) -> str:
        """An Idempotency-Key naming this round's seed and the entity, so a restarted run
        replays what it created instead of creating it again."""
        return "demo-" + "-".join(str(p) for p in (self.plan.seed, *parts))
