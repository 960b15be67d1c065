"""gRPC methods for replicable practices and the social-value estimate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from grantflow.events.v1 import impact_pb2 as ev
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import practices_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.db import Database
from grantflow_runtime.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Violations,
)
from grantflow_runtime.money import Money
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.protoconv import (
    from_date,
    from_money,
    parse_decimal,
    to_date,
    to_money,
    to_timestamp,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.agreements_repo import AgreementRepository
from grantflow_impact.adapters.reports_repo import ReportRepository
from grantflow_impact.adapters.tables import (
    AdoptionRow,
    AgreementRow,
    AgreementStatusRow,
    PracticeRow,
)
from grantflow_impact.api.agreement_methods import TRUSTED, is_funder, sees
from grantflow_impact.api.progress import progress
from grantflow_impact.domain.practices import (
    PracticeText,
    is_candidate,
    validate_adoption,
    validate_practice,
)
from grantflow_impact.domain.reports import ReportState
from grantflow_impact.domain.sroi import OutcomeValue, sroi


async def practice_to_proto(session: AsyncSession, row: PracticeRow) -> practices_pb2.Practice:
    adoptions = (
        (
            await session.execute(
                select(AdoptionRow)
                .where(AdoptionRow.practice_id == row.id)
                .order_by(AdoptionRow.adopted_on, AdoptionRow.id)
            )
        )
        .scalars()
        .all()
    )
    return practices_pb2.Practice(
        id=row.id,
        agreement_id=row.agreement_id,
        title=row.title,
        description=row.description,
        direction_code=row.direction_code,
        origin_region_code=row.origin_region_code,
        roadmap=row.roadmap,
        organisational_model=row.organisational_model,
        financial_model=row.financial_model,
        evidence_report_ids=row.evidence_report_ids,
        adoptions=[
            practices_pb2.Adoption(
                organisation_name=a.organisation_name,
                organisation_inn=a.organisation_inn,
                region_code=a.region_code,
                adopted_on=to_date(a.adopted_on),
                results=a.results,
            )
            for a in adoptions
        ],
        adopted_in_region_codes=sorted(
            {a.region_code for a in adoptions} - {row.origin_region_code}
        ),
        create_time=to_timestamp(row.created_at),
    )


def _share(v: Violations, field: str, text: str) -> Decimal:
    try:
        value = parse_decimal(text, default=Decimal(0))
    except ValueError as exc:
        v.add(field, str(exc), "format")
        return Decimal(0)
    if not Decimal(0) <= value <= 1:
        v.add(field, "must be between 0 and 1", "range")
    return value


class PracticeMethods:
    db: Database
    outbox: Outbox

    async def ListPracticeCandidates(
        self, request: pb.ListPracticeCandidatesRequest, context: Any
    ) -> pb.ListPracticeCandidatesResponse:
        who = require(Role.FUNDER, Role.ADMIN)
        query = (
            select(AgreementRow, AgreementStatusRow.attainment_bucket, AgreementStatusRow.risk)
            .join(AgreementStatusRow, AgreementStatusRow.agreement_id == AgreementRow.id)
            .where(AgreementRow.id.not_in(select(PracticeRow.agreement_id)))
            .order_by(AgreementRow.id)
        )
        if who.role not in TRUSTED:
            query = query.where(AgreementRow.funder == who.subject)
        if request.competition_id:
            query = query.where(AgreementRow.competition_id == request.competition_id)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).all()
        return pb.ListPracticeCandidatesResponse(
            candidates=[
                practices_pb2.PracticeCandidate(
                    agreement_id=a.id,
                    title=a.title,
                    direction_code=a.direction_code,
                    region_code=a.region_code,
                )
                for a, bucket, risk in rows
                if is_candidate(bucket, risk)
            ]
        )

    async def RegisterPractice(
        self, request: pb.RegisterPracticeRequest, context: Any
    ) -> practices_pb2.Practice:
        who = require(Role.FUNDER, Role.ADMIN)
        m = request.practice
        if not m.agreement_id:
            raise InvalidArgument(
                [FieldViolation("practice.agreement_id", "is required", "required")]
            )
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            agreement = await AgreementRepository(session).get(m.agreement_id)
            if agreement is None or not is_funder(who, agreement):
                raise NotFound(f"agreement {m.agreement_id} not found")
            accepted = {
                r.id
                for r in await ReportRepository(session).of_agreement(agreement.id)
                if r.state is ReportState.ACCEPTED
            }
            text = PracticeText(
                m.title, m.description, m.roadmap, m.organisational_model, m.financial_model
            )
            validate_practice(text, list(m.evidence_report_ids), accepted)
            if (
                await session.scalar(
                    select(PracticeRow.id).where(PracticeRow.agreement_id == agreement.id)
                )
                is not None
            ):
                raise AlreadyExists(
                    f"agreement {agreement.id} is registered as a practice already",
                    reason="DUPLICATE_PRACTICE",
                )
            row = PracticeRow(
                id=str(uuid.uuid4()),
                agreement_id=agreement.id,
                title=m.title.strip(),
                description=m.description,
                direction_code=agreement.direction_code,
                origin_region_code=agreement.region_code,
                roadmap=m.roadmap,
                organisational_model=m.organisational_model,
                financial_model=m.financial_model,
                evidence_report_ids=list(m.evidence_report_ids),
                registered_by=who.subject,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            await self.outbox.add(
                session,
                catalogue.PRACTICE_REGISTERED,
                ev.PracticeRegistered(
                    practice_id=row.id,
                    agreement_id=agreement.id,
                    title=row.title,
                    direction_code=row.direction_code,
                    origin_region_code=row.origin_region_code,
                    registered_at=to_timestamp(now),
                ),
            )
            return await practice_to_proto(session, row)

    async def RecordAdoption(
        self, request: pb.RecordAdoptionRequest, context: Any
    ) -> practices_pb2.Practice:
        who = require(Role.FUNDER, Role.ADMIN)
        a = request.adoption
        try:
            adopted_on = from_date(a.adopted_on, a.HasField("adopted_on"))
        except ValueError as exc:
            raise InvalidArgument(
                [FieldViolation("adoption.adopted_on", str(exc), "format")]
            ) from exc
        now = datetime.now(UTC)
        validate_adoption(
            organisation_name=a.organisation_name,
            organisation_inn=a.organisation_inn,
            region_code=a.region_code,
            adopted_on=adopted_on,
            results=a.results,
            today=now.date(),
        )
        assert adopted_on is not None
        async with self.db.transaction() as session:
            row = (
                await session.get(PracticeRow, request.practice_id) if request.practice_id else None
            )
            # The funder behind the practice curates where it spread; another funder's practice
            # answers like a missing one.
            agreement = await AgreementRepository(session).get(row.agreement_id) if row else None
            if row is None or agreement is None or not is_funder(who, agreement):
                raise NotFound(f"practice {request.practice_id} not found")
            session.add(
                AdoptionRow(
                    practice_id=row.id,
                    organisation_name=a.organisation_name.strip(),
                    organisation_inn=a.organisation_inn,
                    region_code=a.region_code,
                    adopted_on=adopted_on,
                    results=a.results,
                    recorded_by=who.subject,
                    created_at=now,
                )
            )
            await session.flush()
            await self.outbox.add(
                session,
                catalogue.PRACTICE_ADOPTED,
                ev.PracticeAdopted(
                    practice_id=row.id,
                    region_code=a.region_code,
                    organisation_name=a.organisation_name.strip(),
                    adopted_at=to_timestamp(now),
                ),
            )
            return await practice_to_proto(session, row)

    async def ListPractices(
        self, request: pb.ListPracticesRequest, context: Any
    ) -> pb.ListPracticesResponse:
        # Practices are published to spread: every signed-in participant may read them.
        require()
        query = select(PracticeRow).order_by(PracticeRow.created_at, PracticeRow.id)
        if request.direction_code:
            query = query.where(PracticeRow.direction_code == request.direction_code)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).scalars().all()
            return pb.ListPracticesResponse(
                practices=[await practice_to_proto(session, r) for r in rows]
            )

    async def EstimateSocialValue(
        self, request: pb.EstimateSocialValueRequest, context: Any
    ) -> pb.SocialValue:
        who = require(Role.FUNDER, Role.ADMIN, Role.APPLICANT)
        v = Violations()
        try:
            rate = parse_decimal(request.discount_rate, default=Decimal("0.035"))
        except ValueError as exc:
            v.add("discount_rate", str(exc), "format")
            rate = Decimal("0.035")
        if not request.outcomes:
            v.add("outcomes", "must value at least one outcome", "required")
        async with self.db.reading() as session:
            agreement = (
                await AgreementRepository(session).get(request.agreement_id)
                if request.agreement_id
                else None
            )
            if agreement is None or not sees(who, agreement):
                raise NotFound(f"agreement {request.agreement_id} not found")
            state = progress(
                agreement,
                list(await ReportRepository(session).of_agreement(agreement.id)),
                datetime.now(UTC).date(),
            )
        actuals = {key: a.actual for key, _, a in state.indicators}
        outcomes = []
        for i, o in enumerate(request.outcomes):
            where = f"outcomes[{i}]"
            if o.indicator_key not in actuals:
                v.add(f"{where}.indicator_key", "is not an indicator of this agreement", "unknown")
                continue
            proxy = from_money(o.proxy, o.HasField("proxy"))
            if proxy is None or proxy.currency != agreement.grant.currency:
                v.add(f"{where}.proxy", f"is required, in {agreement.grant.currency}", "required")
            if o.years < 1 or o.years > 50:
                v.add(f"{where}.years", "must be between 1 and 50", "range")
            shares = {
                n: _share(v, f"{where}.{n}", getattr(o, n))
                for n in ("deadweight", "attribution", "displacement", "drop_off")
            }
            outcomes.append(
                OutcomeValue(
                    outcome=o.indicator_key,
                    # Nothing accepted yet counts as nothing achieved yet: no value is claimed for it.
                    quantity=actuals[o.indicator_key] or Decimal(0),
                    proxy=proxy or Money(0),
                    years=max(o.years, 1),
                    **shares,
                )
            )
        v.raise_if_any()
        committed = sum((m.minor_units for _, m in agreement.cofinancing_committed), 0)
        result = sroi(
            outcomes,
            investment=Money(agreement.grant.minor_units + committed, agreement.grant.currency),
            discount_rate=rate,
        )
        return pb.SocialValue(
            agreement_id=agreement.id,
            present_value=to_money(result.present_value),
            investment=to_money(result.investment),
            ratio=str(result.ratio) if result.ratio is not None else "",
            assumptions=list(result.assumptions),
        )
