"""NUL characters in any string of a request are found with their field path."""

from __future__ import annotations

from google.rpc import error_details_pb2
from grantflow.applications.v1 import applications_pb2, applications_service_pb2
from grantflow_runtime.requestcheck import nul_violations

from tests.applications.helpers import application_message


def test_clean_requests_pass() -> None:
    request = applications_service_pb2.CreateApplicationRequest(
        application=application_message("c-1", "o-1")
    )
    assert nul_violations(request) == []


def test_nested_repeated_and_map_strings_are_named() -> None:
    application = application_message("c-1", "o-1")
    application.budget_lines.append(applications_pb2.BudgetLine(category="rent\x00"))
    request = applications_service_pb2.CreateApplicationRequest(
        request_id="r\x00", application=application
    )
    last = len(application.budget_lines) - 1
    assert [(v.field, v.rule) for v in nul_violations(request)] == [
        ("request_id", "no_nul"),
        (f"application.budget_lines[{last}].category", "no_nul"),
    ]
    info = error_details_pb2.ErrorInfo(metadata={"k\x00": "v", "ok": "v\x00"})
    assert sorted(v.field for v in nul_violations(info)) == ["metadata['k\\x00']", "metadata['ok']"]


def test_impossible_times_and_amounts_are_named() -> None:
    from google.protobuf.timestamp_pb2 import Timestamp
    from grantflow.applications.v1 import competitions_pb2
    from grantflow.common.v1 import money_pb2
    from grantflow_runtime.requestcheck import MAX_MINOR_UNITS, request_violations

    competition = competitions_pb2.Competition(
        closes_at=Timestamp(seconds=2**40),
        opens_at=Timestamp(seconds=10, nanos=-1),
        budget=money_pb2.Money(minor_units=MAX_MINOR_UNITS + 1, currency_code="RUB"),
        max_grant=money_pb2.Money(minor_units=-MAX_MINOR_UNITS, currency_code="RUB"),
    )
    assert sorted((v.field, v.rule) for v in request_violations(competition)) == [
        ("budget", "range"),
        ("closes_at", "range"),
        ("opens_at", "range"),
    ]
