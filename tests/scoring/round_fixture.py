"""Both services running, a competition closed with submitted applications, experts registered:
the starting point of scoring tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import grpc
import pytest
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.common.v1 import date_pb2
from grantflow.scoring.v1 import experts_pb2, panels_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.host import ServiceHost
from grantflow_scoring.app import SERVICE as SCORING

from tests.applications.helpers import application_message, competition_message, inn10, rub, stamp
from tests.conftest import FUNDER, ConfigFactory, ServiceStarter, as_

T = TypeVar("T")
INN_PREFIXES = ["500100732", "540207020", "631200543", "770708389", "780200151", "660500148"]


async def eventually(probe: Callable[[], Awaitable[T | None]], *, seconds: float = 30.0) -> T:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await probe()
        if found is not None:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


def expert_identity(n: int) -> Identity:
    return Identity(subject=f"expert-{n}", role=Role.EXPERT)


@dataclass
class Round:
    apps_host: ServiceHost
    scoring_host: ServiceHost
    apps: apps_grpc.ApplicationsServiceAsyncStub
    scoring: pb_grpc.ScoringServiceAsyncStub
    competition_id: str = ""
    application_ids: list[str] = field(default_factory=list)
    org_inns: list[str] = field(default_factory=list)
    expert_ids: dict[str, str] = field(default_factory=dict)  # subject -> id

    async def add_expert(
        self,
        n: int,
        *,
        directions: list[str],
        region: str = "RU-MOW",
        affiliations: list[str] | None = None,
        max_load: int = 10,
    ) -> str:
        created = await self.scoring.CreateExpert(
            pb.CreateExpertRequest(
                expert=experts_pb2.Expert(
                    subject=f"expert-{n}",
                    display_name=f"Expert {n}",
                    direction_codes=directions,
                    region_code=region,
                    affiliation_inns=affiliations or [],
                    max_load=max_load,
                )
            ),
            metadata=as_(FUNDER),
        )
        self.expert_ids[f"expert-{n}"] = created.id
        return created.id

    async def panel(self) -> panels_pb2.Panel:
        return await self.scoring.GetPanel(
            pb.GetPanelRequest(competition_id=self.competition_id), metadata=as_(FUNDER)
        )


async def start_round(
    make_config: ConfigFactory,
    start_service: ServiceStarter,
    *,
    applications: int = 3,
    **competition: Any,
) -> Round:
    config = await make_config()
    apps_host, apps_channel = await start_service(APPLICATIONS, config)
    scoring_host, scoring_channel = await start_service(SCORING, config)
    r = Round(
        apps_host,
        scoring_host,
        apps_grpc.ApplicationsServiceStub(apps_channel),
        pb_grpc.ScoringServiceStub(scoring_channel),
    )
    # The call stays open until every application is in, then the funder closes it early: a
    # deadline a few seconds ahead made the fixture a race against a loaded machine.
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    created = await r.apps.CreateCompetition(
        apps_pb.CreateCompetitionRequest(
            competition=competition_message(closes_at=stamp(closes), **competition)
        ),
        metadata=as_(FUNDER),
    )
    await r.apps.OpenCompetition(
        apps_pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER)
    )
    r.competition_id = created.id
    start = (closes + timedelta(days=30)).date()
    end = (closes + timedelta(days=200)).date()
    for i in range(applications):
        owner = Identity(subject=f"applicant-{i}", role=Role.APPLICANT)
        organisation = await r.apps.CreateOrganisation(
            apps_pb.CreateOrganisationRequest(
                organisation=__import__(
                    "tests.applications.helpers", fromlist=["organisation_message"]
                ).organisation_message(inn_prefix=INN_PREFIXES[i], name=f"Organisation {i}")
            ),
            metadata=as_(owner),
        )
        r.org_inns.append(inn10(INN_PREFIXES[i]))
        me = Identity(subject=owner.subject, role=Role.APPLICANT, organisation_id=organisation.id)
        draft = await r.apps.CreateApplication(
            apps_pb.CreateApplicationRequest(
                application=application_message(
                    created.id,
                    organisation.id,
                    title=f"Project {i}",
                    start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
                    end_date=date_pb2.Date(year=end.year, month=end.month, day=end.day),
                )
            ),
            metadata=as_(me),
        )
        await r.apps.SubmitApplication(
            apps_pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me)
        )
        r.application_ids.append(draft.id)

    async def scoring_started() -> bool | None:
        try:
            panel = await r.panel()
        except grpc.aio.AioRpcError:
            return None
        return True if panel.state == panels_pb2.Panel.STATE_SCORING else None

    await r.apps.CloseCompetition(
        apps_pb.CloseCompetitionRequest(
            id=created.id, early_close_reason="every test application is in"
        ),
        metadata=as_(FUNDER),
    )
    # Scoring hears CompetitionClosed and starts.
    await eventually(scoring_started, seconds=30)
    return r


@pytest.fixture
async def round_(make_config: ConfigFactory, start_service: ServiceStarter) -> Round:
    return await start_round(make_config, start_service)


__all__ = ["Round", "eventually", "expert_identity", "round_", "rub", "start_round"]
