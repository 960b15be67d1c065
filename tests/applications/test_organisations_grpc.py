"""Organisations over real gRPC: registration with real INN/OGRN checks, duplicates, access."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow_runtime.context import Identity
from grantflow_runtime.grpc_client import error_reason, field_violations

from tests.applications.fixtures import Running, applicant, drafted, running
from tests.applications.helpers import inn10, organisation_message
from tests.conftest import ADMIN, EXPERT, FUNDER, OTHER_FUNDER, as_

__all__ = ["running"]
pytestmark = pytest.mark.asyncio


async def test_register_read_update(running: Running) -> None:
    me = applicant(1)
    created = await running.register(me)
    assert created.id and created.inn == inn10("770708389")
    assert (
        await running.stub.GetOrganisation(
            pb.GetOrganisationRequest(id=created.id), metadata=as_(me)
        )
        == created
    )
    renamed = organisation_message(name="Family Support Foundation")
    renamed.id = created.id
    updated = await running.stub.UpdateOrganisation(
        pb.UpdateOrganisationRequest(organisation=renamed, update_mask=FieldMask(paths=["name"])),
        metadata=as_(me),
    )
    assert updated.name == "Family Support Foundation"
    assert updated.region_code == created.region_code


async def test_bad_identifiers_are_named(running: Running) -> None:
    bad_inn = inn10("770708389")[:-1] + str((int(inn10("770708389")[-1]) + 1) % 10)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.register(applicant(1), inn=bad_inn, ogrn="1027700132190", region_code="RU-XX")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {f for f, _ in field_violations(caught.value)}
    assert {"organisation.inn", "organisation.ogrn", "organisation.region_code"} <= fields
    listed = await running.stub.ListOrganisations(
        pb.ListOrganisationsRequest(), metadata=as_(ADMIN)
    )
    assert list(listed.organisations) == []


async def test_impossible_date_is_invalid(running: Running) -> None:
    from grantflow.common.v1 import date_pb2

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.register(
            applicant(1), registered_on=date_pb2.Date(year=2020, month=2, day=30)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(caught.value)] == ["organisation.registered_on"]


async def test_duplicate_inn_is_rejected(running: Running) -> None:
    await running.register(applicant(1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.register(applicant(2))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(caught.value) == "DUPLICATE_INN"


async def test_inn_cannot_change(running: Running) -> None:
    me = applicant(1)
    created = await running.register(me)
    changed = organisation_message(inn_prefix="773620754")
    changed.id = created.id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.UpdateOrganisation(
            pb.UpdateOrganisationRequest(
                organisation=changed, update_mask=FieldMask(paths=["inn"])
            ),
            metadata=as_(me),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value)[0][0] == "update_mask.paths[0]"


async def test_foreign_organisation_answers_like_a_missing_one(running: Running) -> None:
    created = await running.register(applicant(1))
    stranger = applicant(2)
    for organisation_id in (created.id, "missing"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.GetOrganisation(
                pb.GetOrganisationRequest(id=organisation_id), metadata=as_(stranger)
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert caught.value.details() == f"organisation {organisation_id} not found"
    listed = await running.stub.ListOrganisations(
        pb.ListOrganisationsRequest(), metadata=as_(stranger)
    )
    assert list(listed.organisations) == []
    # Experts have no business here.
    with pytest.raises(grpc.aio.AioRpcError) as expert:
        await running.stub.GetOrganisation(
            pb.GetOrganisationRequest(id=created.id), metadata=as_(EXPERT)
        )
    assert expert.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_list_by_region_pages(running: Running) -> None:
    prefixes = ["500100732", "540207020", "631200543", "770708389", "780200151"]
    for i, prefix in enumerate(prefixes):
        await running.register(
            applicant(i),
            inn_prefix=prefix,
            name=f"Org {i}",
            region_code="RU-TA" if i % 2 else "RU-PRI",
        )
    seen: list[str] = []
    token = ""
    while True:
        page = await running.stub.ListOrganisations(
            pb.ListOrganisationsRequest(page_size=1, page_token=token, region_code="RU-TA"),
            metadata=as_(ADMIN),
        )
        seen.extend(o.name for o in page.organisations)
        token = page.next_page_token
        if not token:
            break
    assert seen == ["Org 1", "Org 3"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.ListOrganisations(
            pb.ListOrganisationsRequest(region_code="RU-ZZZ"), metadata=as_(FUNDER)
        )
    assert [f for f, _ in field_violations(caught.value)] == ["region_code"]


async def test_a_funder_sees_the_organisations_that_applied_to_its_competitions(
    running: Running,
) -> None:
    me, draft = await drafted(running)
    organisation_id = me.organisation_id

    async def visible_to(funder: Identity) -> tuple[bool, list[str]]:
        listed = await running.stub.ListOrganisations(
            pb.ListOrganisationsRequest(), metadata=as_(funder)
        )
        try:
            await running.stub.GetOrganisation(
                pb.GetOrganisationRequest(id=organisation_id), metadata=as_(funder)
            )
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            assert exc.details() == f"organisation {organisation_id} not found"
            return False, [o.id for o in listed.organisations]
        return True, [o.id for o in listed.organisations]

    # A draft is the applicant's own business: not even the competition's funder sees it yet.
    assert await visible_to(FUNDER) == (False, [])
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me))
    assert await visible_to(FUNDER) == (True, [organisation_id])
    assert await visible_to(OTHER_FUNDER) == (False, [])
