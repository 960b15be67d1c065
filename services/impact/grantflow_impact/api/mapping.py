"""Protobuf messages to domain values and back."""

from __future__ import annotations

from grantflow.impact.v1 import indicators_pb2
from grantflow_runtime.protoconv import to_timestamp

from grantflow_impact.domain.indicators import (
    Aggregation,
    Direction,
    IndicatorDefinition,
    IndicatorTerms,
    ResultLevel,
)

_pb = indicators_pb2.IndicatorDefinition

RESULT_LEVEL_TO_PROTO = {
    ResultLevel.OUTPUT: _pb.RESULT_LEVEL_OUTPUT,
    ResultLevel.OUTCOME: _pb.RESULT_LEVEL_OUTCOME,
    ResultLevel.IMPACT: _pb.RESULT_LEVEL_IMPACT,
}
RESULT_LEVEL_FROM_PROTO = {v: k for k, v in RESULT_LEVEL_TO_PROTO.items()}

AGGREGATION_TO_PROTO = {
    Aggregation.SUM: _pb.AGGREGATION_SUM,
    Aggregation.MAX: _pb.AGGREGATION_MAX,
    Aggregation.LATEST: _pb.AGGREGATION_LATEST,
}
AGGREGATION_FROM_PROTO = {v: k for k, v in AGGREGATION_TO_PROTO.items()}

DIRECTION_TO_PROTO = {
    Direction.INCREASE: _pb.DIRECTION_INCREASE,
    Direction.DECREASE: _pb.DIRECTION_DECREASE,
    Direction.MAINTAIN: _pb.DIRECTION_MAINTAIN,
}
DIRECTION_FROM_PROTO = {v: k for k, v in DIRECTION_TO_PROTO.items()}


def terms_from_proto(m: indicators_pb2.IndicatorDefinition) -> IndicatorTerms:
    # UNSPECIFIED and numbers this version does not know both map to None, which the domain
    # reports as a violation. create_time is server-owned and ignored.
    return IndicatorTerms(
        code=m.code,
        title=m.title,
        unit=m.unit,
        result_level=RESULT_LEVEL_FROM_PROTO.get(m.result_level),
        aggregation=AGGREGATION_FROM_PROTO.get(m.aggregation),
        direction=DIRECTION_FROM_PROTO.get(m.direction),
        iris_metric_id=m.iris_metric_id,
        sdg_indicator=m.sdg_indicator,
    )


def definition_to_proto(d: IndicatorDefinition) -> indicators_pb2.IndicatorDefinition:
    return indicators_pb2.IndicatorDefinition(
        code=d.code,
        title=d.title,
        unit=d.unit,
        result_level=RESULT_LEVEL_TO_PROTO[d.result_level],
        aggregation=AGGREGATION_TO_PROTO[d.aggregation],
        direction=DIRECTION_TO_PROTO[d.direction],
        iris_metric_id=d.iris_metric_id or "",
        sdg_indicator=d.sdg_indicator or "",
        create_time=to_timestamp(d.created_at),
    )
