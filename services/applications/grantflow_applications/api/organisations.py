"""gRPC methods for applicant organisations."""

from __future__ import annotations

import uuid
from typing import Any

from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import organisations_pb2
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.idempotency import idempotent
from grantflow_runtime.masks import apply_mask
from grantflow_runtime.paging import cut, parse_page
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.organisations_repo import OrganisationRepository
from grantflow_applications.api.base import Methods, required_id
from grantflow_applications.api.mapping import organisation_terms, organisation_to_proto
from grantflow_applications.api.policy import acts_for
from grantflow_applications.domain.organisations import Organisation
from grantflow_applications.domain.regions import is_region

SETTABLE = frozenset(
    {"name", "legal_form", "ogrn", "region_code", "registered_on", "contact", "website"}
)


class OrganisationMethods(Methods):
    async def CreateOrganisation(
        self, request: pb.CreateOrganisationRequest, context: Any
    ) -> organisations_pb2.Organisation:
        identity = require(Role.APPLICANT, Role.ADMIN)
        if not request.HasField("organisation"):
            raise InvalidArgument([FieldViolation("organisation", "is required", "required")])
        terms = organisation_terms(request.organisation)

        async def create(session: AsyncSession) -> organisations_pb2.Organisation:
            organisation = Organisation.create(
                id=str(uuid.uuid4()), owner=identity.subject, terms=terms, now=self.clock()
            )
            repo = OrganisationRepository(session)
            # The INN may be a person's (an individual entrepreneur): the message does not repeat it.
            if await repo.id_by_inn(organisation.inn) is not None:
                raise AlreadyExists(
                    "an organisation with this INN is already registered", reason="DUPLICATE_INN"
                )
            await repo.add(organisation)
            return organisation_to_proto(organisation)

        return await idempotent(
            self.db,
            self.idempotency,
            operation="CreateOrganisation",
            request_id=request.request_id,
            caller=identity.subject,
            request=request,
            response_type=organisations_pb2.Organisation,
            action=create,
        )

    async def GetOrganisation(
        self, request: pb.GetOrganisationRequest, context: Any
    ) -> organisations_pb2.Organisation:
        identity = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        organisation_id = required_id(request.id, "id")
        async with self.db.reading() as session:
            repo = OrganisationRepository(session)
            organisation = await repo.get(organisation_id)
            # A funder sees the organisations that applied to its own competitions.
            visible = organisation is not None and (
                acts_for(identity, organisation)
                if identity.role is not Role.FUNDER
                else await repo.applied_to(organisation.id, identity.subject)
            )
        if organisation is None or not visible:
            raise NotFound(f"organisation {organisation_id} not found")
        return organisation_to_proto(organisation)

    async def ListOrganisations(
        self, request: pb.ListOrganisationsRequest, context: Any
    ) -> pb.ListOrganisationsResponse:
        identity = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        if request.region_code and not is_region(request.region_code):
            raise InvalidArgument(
                [
                    FieldViolation(
                        "region_code", "is not an ISO 3166-2:RU federal subject", "catalogue"
                    )
                ]
            )
        filters = {"region_code": request.region_code}
        page = parse_page(request.page_size, request.page_token, filters=filters, key_length=2)
        visible_to = (
            (identity.subject, identity.organisation_id)
            if identity.role is Role.APPLICANT
            else None
        )
        async with self.db.reading() as session:
            items = await OrganisationRepository(session).page(
                limit=page.size + 1,
                after=(page.after[0], page.after[1]) if page.after else None,
                region_code=request.region_code,
                visible_to=visible_to,
                funder=identity.subject if identity.role is Role.FUNDER else "",
            )
        items, token = cut(items, page, key=lambda o: [o.name, o.id], filters=filters)
        return pb.ListOrganisationsResponse(
            organisations=[organisation_to_proto(o) for o in items], next_page_token=token
        )

    async def UpdateOrganisation(
        self, request: pb.UpdateOrganisationRequest, context: Any
    ) -> organisations_pb2.Organisation:
        identity = require(Role.APPLICANT, Role.ADMIN)
        organisation_id = required_id(request.organisation.id, "organisation.id")
        async with self.db.transaction() as session:
            repo = OrganisationRepository(session)
            current = await repo.get(organisation_id, for_update=True)
            if current is None or not acts_for(identity, current):
                raise NotFound(f"organisation {organisation_id} not found")
            merged = apply_mask(
                organisation_to_proto(current),
                request.organisation,
                request.update_mask,
                settable=SETTABLE,
            )
            updated = current.update(organisation_terms(merged), self.clock())
            await repo.save(updated)
        return organisation_to_proto(updated)
