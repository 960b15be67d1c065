"""Seeding a round: an open competition, organisations, and draft applications for the
submission phases to submit, each call its own draft."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow_applications.adapters.applications_repo import _fill
from grantflow_applications.adapters.content_codec import encode
from grantflow_applications.adapters.organisations_repo import OrganisationRepository
from grantflow_applications.adapters.tables import (
    ApplicationRegionRow,
    ApplicationRow,
    ApplicationVersionRow,
)
from grantflow_applications.api.mapping import application_content, organisation_terms
from grantflow_applications.domain.applications import Application
from grantflow_applications.domain.organisations import Organisation
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.grpc_server import identity_metadata
from sqlalchemy import insert

from bench import data

FUNDER = Identity(subject="bench-funder", role=Role.FUNDER)


@dataclass(frozen=True)
class Applicant:
    organisation_id: str
    subject: str

    @property
    def identity(self) -> Identity:
        return Identity(
            subject=self.subject, role=Role.APPLICANT, organisation_id=self.organisation_id
        )

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return identity_metadata(self.identity)


@dataclass(frozen=True)
class Draft:
    application_id: str
    applicant: Applicant


@dataclass
class Round:
    competition_id: str
    applicants: list[Applicant] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    used: int = 0

    def take(self, count: int) -> list[Draft]:
        """The next `count` unsubmitted drafts; each phase submits its own."""
        if self.used + count > len(self.drafts):
            raise RuntimeError(f"seeded {len(self.drafts)} drafts, {self.used + count} wanted")
        taken = self.drafts[self.used : self.used + count]
        self.used += count
        return taken


async def seed_round(
    address: str,
    database_url: str,
    *,
    organisations: int,
    drafts: int,
    per_organisation: int,
    seed: int = 7,
    first_organisation: int = 0,
) -> Round:
    """An open competition (through gRPC, so its CompetitionOpened event reaches scoring) with
    `drafts` drafts spread over `organisations` organisations (written in bulk, see `_bulk`)."""
    if organisations * per_organisation < drafts:
        raise ValueError(
            "not enough organisations for that many drafts at the per-organisation limit"
        )
    rng = random.Random(seed)
    funder = identity_metadata(FUNDER)
    async with grpc.aio.insecure_channel(address) as chan:
        stub = pb_grpc.ApplicationsServiceStub(chan)
        # Open long enough for the whole run; the surge is "at the deadline" only in its pace.
        competition = await stub.CreateCompetition(
            pb.CreateCompetitionRequest(
                competition=data.competition_message(
                    closes_in=timedelta(hours=6), per_organisation=per_organisation
                )
            ),
            metadata=funder,
        )
        await stub.OpenCompetition(pb.OpenCompetitionRequest(id=competition.id), metadata=funder)
        closes = competition.closes_at.ToDatetime(tzinfo=UTC)
        result = await _bulk(
            database_url,
            competition.id,
            rng,
            organisations=range(first_organisation, first_organisation + organisations),
            drafts=drafts,
            starts=max(closes, datetime.now(UTC)),
        )
        # The generator must make submittable drafts, or every later figure measures refusals.
        for draft in result.drafts[:: max(1, drafts // 20)]:
            checked = await stub.ValidateApplication(
                pb.ValidateApplicationRequest(id=draft.application_id),
                metadata=draft.applicant.metadata,
            )
            if checked.violations:
                raise RuntimeError(f"a seeded draft would be refused: {checked.violations[0]}")
        return result


async def _bulk(
    database_url: str,
    competition_id: str,
    rng: random.Random,
    *,
    organisations: range,
    drafts: int,
    starts: datetime,
) -> Round:
    """Organisations and drafts written by the service's own domain and repository code
    (`Organisation.create`, `Application.draft`, the repositories' row mapping), a thousand
    to a transaction: the same rows CreateOrganisation and CreateApplication write, minus their
    idempotency records, at a pace that keeps seeding 40,000 drafts to seconds instead of
    minutes. The service keeps running; on SQLite it waits on the write lock meanwhile."""
    db = Database(database_url)
    now = datetime.now(UTC)
    result = Round(competition_id)
    # Indices (and so INNs and subjects) distinct across the rounds of one database.
    seeds = [data.organisation(i, rng) for i in organisations]
    try:
        for chunk in _chunks(range(len(seeds)), 1000):
            async with db.transaction() as session:
                repo = OrganisationRepository(session)
                for i in chunk:
                    subject = f"bench-applicant-{seeds[i].index}"
                    organisation = Organisation.create(
                        id=str(uuid.uuid4()),
                        owner=subject,
                        terms=organisation_terms(seeds[i].message),
                        now=now,
                    )
                    await repo.add(organisation)
                    result.applicants.append(Applicant(organisation.id, subject))
        # Each organisation files up to its limit; the order is shuffled so that consecutive
        # submissions come from different organisations, as at a real deadline.
        owners = [i % len(seeds) for i in range(drafts)]
        rng.shuffle(owners)
        for chunk in _chunks(range(drafts), 1000):
            rows: list[ApplicationRow] = []
            regions: list[dict[str, str]] = []
            versions: list[dict[str, object]] = []
            for i in chunk:
                applicant = result.applicants[owners[i]]
                message = data.application(competition_id, seeds[owners[i]], rng, starts=starts)
                draft = Application.draft(
                    id=str(uuid.uuid4()),
                    competition_id=competition_id,
                    organisation_id=applicant.organisation_id,
                    content=application_content(message),
                    now=now,
                )
                # The repository's own row mapping; its add() flushes row by row, which is
                # what makes seeding slow, so the three inserts go as one statement each.
                row = ApplicationRow(id=draft.id)
                _fill(row, draft)
                rows.append(row)
                regions += [
                    {"application_id": draft.id, "region_code": code}
                    for code in dict.fromkeys(draft.content.region_codes)
                ]
                versions.append(
                    {
                        "application_id": draft.id,
                        "version": draft.version,
                        "content": encode(draft.content),
                        "author": applicant.subject,
                        "submitted": False,
                        "created_at": draft.updated_at,
                    }
                )
                result.drafts.append(Draft(draft.id, applicant))
            async with db.transaction() as session:
                session.add_all(rows)
                await session.flush()
                await session.execute(insert(ApplicationRegionRow), regions)
                await session.execute(insert(ApplicationVersionRow), versions)
    finally:
        await db.dispose()
    return result


def _chunks(items: range, size: int) -> list[range]:
    return [items[i : i + size] for i in range(0, len(items), size)]
