"""A running applications service and stubs acting as different callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from grantflow.applications.v1 import applications_pb2, competitions_pb2, organisations_pb2
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow_applications.app import SERVICE
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.host import ServiceHost

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
)
from tests.conftest import FUNDER, ConfigFactory, ServiceStarter, as_


@dataclass
class Running:
    host: ServiceHost
    stub: pb_grpc.ApplicationsServiceAsyncStub

    async def open_competition(self, **changes: object) -> competitions_pb2.Competition:
        created = await self.stub.CreateCompetition(
            pb.CreateCompetitionRequest(competition=competition_message(**changes)),
            metadata=as_(FUNDER),
        )
        return await self.stub.OpenCompetition(
            pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER)
        )

    async def register(self, applicant: Identity, **changes: Any) -> organisations_pb2.Organisation:
        return await self.stub.CreateOrganisation(
            pb.CreateOrganisationRequest(organisation=organisation_message(**changes)),
            metadata=as_(applicant),
        )


def applicant(n: int, organisation_id: str = "") -> Identity:
    return Identity(subject=f"applicant-{n}", role=Role.APPLICANT, organisation_id=organisation_id)


async def drafted(
    running: Running, **changes: object
) -> tuple[Identity, applications_pb2.Application]:
    competition = await running.open_competition()
    owner = applicant(1)
    organisation = await running.register(owner)
    me = applicant(1, organisation.id)
    draft = await running.stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=application_message(competition.id, organisation.id, **changes)
        ),
        metadata=as_(me),
    )
    return me, draft


@pytest.fixture
async def running(make_config: ConfigFactory, start_service: ServiceStarter) -> Running:
    host, chan = await start_service(SERVICE, await make_config())
    return Running(host, pb_grpc.ApplicationsServiceStub(chan))
