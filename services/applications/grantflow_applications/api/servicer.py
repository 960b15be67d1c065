"""gRPC `grantflow.applications.v1.ApplicationsService`: the method groups composed into one servicer."""

from __future__ import annotations

from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc

from grantflow_applications.api.applications import ApplicationMethods
from grantflow_applications.api.competitions import CompetitionMethods
from grantflow_applications.api.organisations import OrganisationMethods


class ApplicationsServicer(
    CompetitionMethods, OrganisationMethods, ApplicationMethods, pb_grpc.ApplicationsServiceServicer
):
    """Protobuf in, domain calls, protobuf out; errors are raised as domain errors and mapped to
    gRPC status by the runtime's interceptor."""
