"""gRPC `grantflow.scoring.v1.ScoringService`: the method groups composed into one servicer."""

from __future__ import annotations

from grantflow.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

from grantflow_scoring.api.decision_methods import DecisionMethods
from grantflow_scoring.api.expert_methods import ExpertMethods
from grantflow_scoring.api.panel_methods import PanelMethods
from grantflow_scoring.api.review_methods import ReviewMethods


class ScoringServicer(
    PanelMethods, ExpertMethods, ReviewMethods, DecisionMethods, pb_grpc.ScoringServiceServicer
):
    """Protobuf in, domain calls, protobuf out; domain errors become gRPC status in the runtime."""
