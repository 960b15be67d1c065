"""The applications service over real gRPC: good and bad input, access, idempotency, transitions."""

from __future__ import annotations

import grpc
import pytest
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow.applications.v1 import competitions_pb2
from grantflow_applications.app import SERVICE
from grantflow_runtime.grpc_client import error_reason, field_violations
from sqlalchemy import func, select

from tests.applications.helpers import competition_message, rub
from tests.conftest import (
    ADMIN,
    APPLICANT,
    FUNDER,
    OTHER_FUNDER,
    ConfigFactory,
    ServiceStarter,
    as_,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def stub(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> pb_grpc.ApplicationsServiceAsyncStub:
    _, chan = await start_service(SERVICE, await make_config())
    return pb_grpc.ApplicationsServiceStub(chan)


async def create(
    stub: pb_grpc.ApplicationsServiceAsyncStub, request_id: str = "", **changes: object
) -> competitions_pb2.Competition:
    return await stub.CreateCompetition(
        pb.CreateCompetitionRequest(
            request_id=request_id, competition=competition_message(**changes)
        ),
        metadata=as_(FUNDER),
    )


async def test_create_get_open(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    created = await create(stub)
    assert created.state == competitions_pb2.Competition.STATE_DRAFT
    assert created.id
    fetched = await stub.GetCompetition(
        pb.GetCompetitionRequest(id=created.id), metadata=as_(FUNDER)
    )
    assert fetched == created
    opened = await stub.OpenCompetition(
        pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER)
    )
    assert opened.state == competitions_pb2.Competition.STATE_OPEN


async def test_bad_request_names_every_field(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, title="", max_grant=rub(1), time_zone="Moon/Base")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {f for f, _ in field_violations(caught.value)}
    assert {"competition.title", "competition.max_grant", "competition.time_zone"} <= fields
    listed = await stub.ListCompetitions(pb.ListCompetitionsRequest(), metadata=as_(ADMIN))
    assert list(listed.competitions) == []  # nothing half-written


async def test_missing_competition_is_invalid(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateCompetition(pb.CreateCompetitionRequest(), metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == [("competition", "is required")]


async def test_server_owned_fields_are_ignored(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    created = await create(
        stub, id="chosen-by-caller", state=competitions_pb2.Competition.STATE_DECIDED
    )
    assert created.id != "chosen-by-caller"
    assert created.state == competitions_pb2.Competition.STATE_DRAFT


async def test_no_identity_is_unauthenticated(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListCompetitions(pb.ListCompetitionsRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_role_is_unauthenticated(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListCompetitions(
            pb.ListCompetitionsRequest(),
            metadata=(("x-grantflow-subject", "x"), ("x-grantflow-role", "root")),
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_applicant_cannot_create(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateCompetition(
            pb.CreateCompetitionRequest(competition=competition_message()), metadata=as_(APPLICANT)
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_foreign_draft_answers_like_a_missing_one(
    stub: pb_grpc.ApplicationsServiceAsyncStub,
) -> None:
    created = await create(stub)
    for competition_id in (created.id, "no-such-id"):
        with pytest.raises(grpc.aio.AioRpcError) as read:
            await stub.GetCompetition(
                pb.GetCompetitionRequest(id=competition_id), metadata=as_(OTHER_FUNDER)
            )
        with pytest.raises(grpc.aio.AioRpcError) as opened:
            await stub.OpenCompetition(
                pb.OpenCompetitionRequest(id=competition_id), metadata=as_(OTHER_FUNDER)
            )
        assert read.value.code() == opened.value.code() == grpc.StatusCode.NOT_FOUND
        # Same words too, but for the id itself: nothing says the foreign one exists.
        assert read.value.details() == f"competition {competition_id} not found"
    listed = await stub.ListCompetitions(pb.ListCompetitionsRequest(), metadata=as_(OTHER_FUNDER))
    assert list(listed.competitions) == []


async def test_open_twice_is_failed_precondition(
    stub: pb_grpc.ApplicationsServiceAsyncStub,
) -> None:
    created = await create(stub)
    await stub.OpenCompetition(pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.OpenCompetition(pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "STATE"


async def test_retried_create_returns_the_first_result(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    host, chan = await start_service(SERVICE, await make_config())
    stub = pb_grpc.ApplicationsServiceStub(chan)
    request = pb.CreateCompetitionRequest(request_id="retry-1", competition=competition_message())
    first = await stub.CreateCompetition(request, metadata=as_(FUNDER))
    again = await stub.CreateCompetition(request, metadata=as_(FUNDER))
    assert again == first
    from grantflow_applications.adapters.tables import CompetitionRow

    async with host.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(CompetitionRow)) == 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, request_id="retry-1", title="Another call")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_list_pages_newest_first(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    ids = [(await create(stub, title=f"Call {i}")).id for i in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        page = await stub.ListCompetitions(
            pb.ListCompetitionsRequest(page_size=2, page_token=token), metadata=as_(FUNDER)
        )
        assert len(page.competitions) <= 2
        seen.extend(c.id for c in page.competitions)
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListCompetitionsRequest(page_size=-1), "page_size"),
        (pb.ListCompetitionsRequest(page_token="not-a-token"), "page_token"),
        (pb.ListCompetitionsRequest(state=99), "state"),  # type: ignore[arg-type]
    ],
)
async def test_bad_list_requests(
    stub: pb_grpc.ApplicationsServiceAsyncStub, request_: pb.ListCompetitionsRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListCompetitions(request_, metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(caught.value)] == [field]


async def test_update_a_draft_with_a_field_mask(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    from google.protobuf.field_mask_pb2 import FieldMask

    created = await create(stub)
    patch = competitions_pb2.Competition(id=created.id, title="Renamed call", budget=rub(1))
    updated = await stub.UpdateCompetition(
        pb.UpdateCompetitionRequest(competition=patch, update_mask=FieldMask(paths=["title"])),
        metadata=as_(FUNDER),
    )
    assert (
        updated.title == "Renamed call" and updated.budget == created.budget
    )  # unmasked fields kept
    assert updated.create_time == created.create_time

    with pytest.raises(grpc.aio.AioRpcError) as bad_value:
        await stub.UpdateCompetition(
            pb.UpdateCompetitionRequest(competition=patch, update_mask=FieldMask(paths=["budget"])),
            metadata=as_(FUNDER),
        )
    assert [f for f, _ in field_violations(bad_value.value)] == ["competition.budget"]
    with pytest.raises(grpc.aio.AioRpcError) as bad_path:
        await stub.UpdateCompetition(
            pb.UpdateCompetitionRequest(
                competition=patch, update_mask=FieldMask(paths=["state", "colour"])
            ),
            metadata=as_(FUNDER),
        )
    assert [f for f, _ in field_violations(bad_path.value)] == [
        "update_mask.paths[0]",
        "update_mask.paths[1]",
    ]
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub.UpdateCompetition(
            pb.UpdateCompetitionRequest(competition=patch, update_mask=FieldMask(paths=["title"])),
            metadata=as_(OTHER_FUNDER),
        )
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    unchanged = await stub.GetCompetition(
        pb.GetCompetitionRequest(id=created.id), metadata=as_(FUNDER)
    )
    assert unchanged == updated

    await stub.OpenCompetition(pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER))
    with pytest.raises(grpc.aio.AioRpcError) as opened:
        await stub.UpdateCompetition(
            pb.UpdateCompetitionRequest(competition=patch, update_mask=FieldMask(paths=["title"])),
            metadata=as_(FUNDER),
        )
    assert opened.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_eligibility_rules_round_trip(stub: pb_grpc.ApplicationsServiceAsyncStub) -> None:
    from grantflow.applications.v1 import catalogues_pb2

    created = await create(
        stub,
        eligible_region_codes=["RU-PRI", "RU-KHA"],
        eligible_legal_forms=[catalogues_pb2.LEGAL_FORM_NCO],
        min_cofinancing_percent="25",
        allowed_cofinancing_types=[catalogues_pb2.COFINANCING_TYPE_OWN_FUNDS],
        in_kind_cap_percent="20",
        max_applications_per_organisation=2,
        direction_quotas=[
            competitions_pb2.DirectionQuota(direction_code="family", amount=rub(10_000_000))
        ],
    )
    assert list(created.eligible_region_codes) == ["RU-PRI", "RU-KHA"]
    assert created.min_cofinancing_percent == "25" and created.in_kind_cap_percent == "20"
    assert created.max_applications_per_organisation == 2
    assert created.min_registration_months == 12 and created.small_request_max == rub(500_000)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(
            stub,
            eligible_region_codes=["RU-XX"],
            min_cofinancing_percent="lots",
            direction_quotas=[
                competitions_pb2.DirectionQuota(direction_code="culture", amount=rub(1))
            ],
        )
    assert {f for f, _ in field_violations(caught.value)} == {"competition.min_cofinancing_percent"}
    with pytest.raises(grpc.aio.AioRpcError) as rules:
        await create(
            stub,
            eligible_region_codes=["RU-XX"],
            direction_quotas=[
                competitions_pb2.DirectionQuota(direction_code="culture", amount=rub(1))
            ],
        )
    assert {f for f, _ in field_violations(rules.value)} == {
        "competition.eligible_region_codes[0]",
        "competition.direction_quotas[0].direction_code",
    }


async def test_a_nul_character_is_invalid_not_an_internal_error(
    stub: pb_grpc.ApplicationsServiceAsyncStub,
) -> None:
    # PostgreSQL refuses NUL in text; the server refuses it first, naming the field.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetCompetition(pb.GetCompetitionRequest(id="a\x00b"), metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == [("id", "must not contain the NUL character")]
