"""The indicator catalogue over real gRPC: input, access, duplicates, idempotency, paging."""

from __future__ import annotations

import grpc
import pytest
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow.impact.v1 import indicators_pb2
from grantflow_impact.adapters.tables import IndicatorDefinitionRow
from grantflow_impact.app import SERVICE
from grantflow_runtime.context import Identity
from grantflow_runtime.grpc_client import error_reason, field_violations
from grantflow_runtime.host import ServiceHost
from grantflow_runtime.paging import next_token
from sqlalchemy import func, select

from tests.conftest import (
    ADMIN,
    APPLICANT,
    EXPERT,
    FUNDER,
    OTHER_FUNDER,
    ConfigFactory,
    ServiceStarter,
    as_,
)

pytestmark = pytest.mark.asyncio

Definition = indicators_pb2.IndicatorDefinition


def definition_message(**changes: object) -> Definition:
    message = Definition(
        code="beneficiaries-reached",
        title="Beneficiaries reached",
        unit="people",
        result_level=Definition.RESULT_LEVEL_OUTPUT,
        aggregation=Definition.AGGREGATION_SUM,
        direction=Definition.DIRECTION_INCREASE,
        iris_metric_id="PI2718",
        sdg_indicator="1.2.1",
    )
    for name, value in changes.items():
        setattr(message, name, value)
    return message


async def create(
    stub: pb_grpc.ImpactServiceAsyncStub,
    request_id: str = "",
    caller: Identity = FUNDER,
    **changes: object,
) -> Definition:
    return await stub.CreateIndicatorDefinition(
        pb.CreateIndicatorDefinitionRequest(
            request_id=request_id, indicator_definition=definition_message(**changes)
        ),
        metadata=as_(caller),
    )


async def stored_count(host: ServiceHost) -> int:
    async with host.db.reading() as session:
        count = await session.scalar(select(func.count()).select_from(IndicatorDefinitionRow))
    return int(count or 0)


@pytest.fixture
async def service(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub]:
    host, chan = await start_service(SERVICE, await make_config())
    return host, pb_grpc.ImpactServiceStub(chan)


@pytest.fixture
def stub(
    service: tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub],
) -> pb_grpc.ImpactServiceAsyncStub:
    return service[1]


async def test_create_then_anyone_signed_in_can_read_it(
    stub: pb_grpc.ImpactServiceAsyncStub,
) -> None:
    created = await create(stub)
    assert created.code == "beneficiaries-reached"
    assert created.result_level == Definition.RESULT_LEVEL_OUTPUT
    assert created.aggregation == Definition.AGGREGATION_SUM
    assert created.direction == Definition.DIRECTION_INCREASE
    assert created.iris_metric_id == "PI2718"
    assert created.sdg_indicator == "1.2.1"
    assert created.HasField("create_time")
    for reader in (FUNDER, APPLICANT, EXPERT):
        fetched = await stub.GetIndicatorDefinition(
            pb.GetIndicatorDefinitionRequest(code=created.code), metadata=as_(reader)
        )
        assert fetched == created


async def test_admin_can_create_without_reference_codes(
    stub: pb_grpc.ImpactServiceAsyncStub,
) -> None:
    created = await create(
        stub,
        caller=ADMIN,
        code="waste-reduced",
        unit="t",
        result_level=Definition.RESULT_LEVEL_OUTCOME,
        aggregation=Definition.AGGREGATION_LATEST,
        direction=Definition.DIRECTION_DECREASE,
        iris_metric_id="",
        sdg_indicator="",
    )
    assert created.iris_metric_id == ""
    assert created.sdg_indicator == ""


async def test_server_owned_create_time_is_ignored(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    message = definition_message()
    message.create_time.FromSeconds(0)
    created = await stub.CreateIndicatorDefinition(
        pb.CreateIndicatorDefinitionRequest(indicator_definition=message), metadata=as_(FUNDER)
    )
    assert created.create_time.seconds > 0


async def test_bad_request_names_every_field(
    service: tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    host, stub = service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(
            stub,
            code="Not A Code",
            title="",
            unit="u" * 33,
            result_level=Definition.RESULT_LEVEL_UNSPECIFIED,
            aggregation=Definition.AGGREGATION_UNSPECIFIED,
            # Proto3 enums are open: a number this server does not know is as good as unspecified.
            direction=99,
            iris_metric_id="2718",
            sdg_indicator="1.2",
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(caught.value)] == [
        "indicator_definition.code",
        "indicator_definition.title",
        "indicator_definition.unit",
        "indicator_definition.result_level",
        "indicator_definition.aggregation",
        "indicator_definition.direction",
        "indicator_definition.iris_metric_id",
        "indicator_definition.sdg_indicator",
    ]
    assert await stored_count(host) == 0


async def test_missing_definition_is_invalid(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateIndicatorDefinition(
            pb.CreateIndicatorDefinitionRequest(request_id="r-1"), metadata=as_(FUNDER)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == [("indicator_definition", "is required")]


async def test_overlong_request_id_is_invalid(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, request_id="r" * 101)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(caught.value)] == ["request_id"]


@pytest.mark.parametrize("who", [APPLICANT, EXPERT], ids=["applicant", "expert"])
async def test_only_funders_and_admins_create(
    service: tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub], who: Identity
) -> None:
    host, stub = service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, caller=who)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await stored_count(host) == 0


async def test_no_identity_is_unauthenticated(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    calls = (
        stub.CreateIndicatorDefinition(
            pb.CreateIndicatorDefinitionRequest(indicator_definition=definition_message())
        ),
        stub.GetIndicatorDefinition(pb.GetIndicatorDefinitionRequest(code="x")),
        stub.ListIndicatorDefinitions(pb.ListIndicatorDefinitionsRequest()),
    )
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_duplicate_code_already_exists(
    service: tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    host, stub = service
    first = await create(stub)
    # Another funder, another request id, another title: still the same catalogue code.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, request_id="other", caller=OTHER_FUNDER, title="People helped")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "beneficiaries-reached" in (caught.value.details() or "")
    assert await stored_count(host) == 1
    fetched = await stub.GetIndicatorDefinition(
        pb.GetIndicatorDefinitionRequest(code=first.code), metadata=as_(FUNDER)
    )
    assert fetched == first


async def test_retried_create_returns_the_first_result(
    service: tuple[ServiceHost, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    host, stub = service
    first = await create(stub, request_id="retry-1")
    again = await create(stub, request_id="retry-1")
    assert again == first
    assert await stored_count(host) == 1
    # The same key for a different request is the caller's bug, not a retry.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(stub, request_id="retry-1", code="another-code")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(caught.value) == "REQUEST_ID_REUSED"
    assert await stored_count(host) == 1


async def test_get_unknown_code_is_not_found(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetIndicatorDefinition(
            pb.GetIndicatorDefinitionRequest(code="no-such-indicator"), metadata=as_(FUNDER)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no-such-indicator" in (caught.value.details() or "")


async def test_get_without_code_is_invalid(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetIndicatorDefinition(pb.GetIndicatorDefinitionRequest(), metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == [("code", "is required")]


async def test_list_pages_in_code_order(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    codes = ["volunteers-engaged", "a-1", "families-supported", "co2-tonnes", "b", "a"]
    for code in codes:
        await create(stub, code=code)
    pages: list[list[str]] = []
    token = ""
    while True:
        page = await stub.ListIndicatorDefinitions(
            pb.ListIndicatorDefinitionsRequest(page_size=4, page_token=token),
            metadata=as_(APPLICANT),
        )
        pages.append([d.code for d in page.indicator_definitions])
        token = page.next_page_token
        if not token:
            break
    assert pages == [sorted(codes)[:4], sorted(codes)[4:]]


async def test_list_exactly_one_full_page_has_no_next_token(
    stub: pb_grpc.ImpactServiceAsyncStub,
) -> None:
    for code in ("a", "b"):
        await create(stub, code=code)
    page = await stub.ListIndicatorDefinitions(
        pb.ListIndicatorDefinitionsRequest(page_size=2), metadata=as_(FUNDER)
    )
    assert [d.code for d in page.indicator_definitions] == ["a", "b"]
    assert page.next_page_token == ""


async def test_list_of_an_empty_catalogue(stub: pb_grpc.ImpactServiceAsyncStub) -> None:
    page = await stub.ListIndicatorDefinitions(
        pb.ListIndicatorDefinitionsRequest(), metadata=as_(FUNDER)
    )
    assert list(page.indicator_definitions) == []
    assert page.next_page_token == ""


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListIndicatorDefinitionsRequest(page_size=-1), "page_size"),
        (pb.ListIndicatorDefinitionsRequest(page_token="not-a-token"), "page_token"),
        # Well-formed, but not the shape this list issues (its key is one code).
        (
            pb.ListIndicatorDefinitionsRequest(page_token=next_token([1, 2], filters={})),
            "page_token",
        ),
        (
            pb.ListIndicatorDefinitionsRequest(page_token=next_token(["a"], filters={"x": 1})),
            "page_token",
        ),
    ],
    ids=["negative-size", "garbage-token", "foreign-key-shape", "other-filters"],
)
async def test_bad_list_requests(
    stub: pb_grpc.ImpactServiceAsyncStub, request_: pb.ListIndicatorDefinitionsRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListIndicatorDefinitions(request_, metadata=as_(FUNDER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(caught.value)] == [field]
