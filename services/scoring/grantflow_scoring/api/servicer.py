"""gRPC `grantflow.scoring.v1.ScoringService`."""

from __future__ import annotations

from typing import Any

from grantflow.scoring.v1 import rubrics_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from grantflow_runtime.access import require
from grantflow_runtime.db import Database
from grantflow_runtime.errors import FieldViolation, InvalidArgument, NotFound

from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.domain.rubric import Rubric


def rubric_to_proto(rubric: Rubric) -> rubrics_pb2.Rubric:
    return rubrics_pb2.Rubric(
        competition_id=rubric.competition_id,
        criteria=[
            rubrics_pb2.Criterion(
                code=c.code,
                title=c.title,
                weight=str(c.weight),
                scale_min=c.scale_min,
                scale_max=c.scale_max,
                comment_required_at_or_below=c.comment_required_at_or_below,
                comment_required_at_or_above=c.comment_required_at_or_above,
            )
            for c in rubric.criteria
        ],
        max_total=str(rubric.max_total),
    )


class ScoringServicer(pb_grpc.ScoringServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def GetRubric(self, request: pb.GetRubricRequest, context: Any) -> rubrics_pb2.Rubric:
        # The rubric is public to every participant: applicants read what they will be judged on.
        require()
        if not request.competition_id:
            raise InvalidArgument([FieldViolation("competition_id", "is required", "required")])
        async with self.db.reading() as session:
            rubric = await PanelRepository(session).rubric(request.competition_id)
        if rubric is None:
            raise NotFound(f"no panel for competition {request.competition_id}")
        return rubric_to_proto(rubric)
