"""Protobuf messages to domain values and back."""

from __future__ import annotations

from grantflow.applications.v1 import competitions_pb2
from grantflow.events.v1 import competitions_pb2 as events_pb2
from grantflow_runtime.protoconv import from_money, from_timestamp, to_money, to_timestamp

from grantflow_applications.domain.competitions import (
    Competition,
    CompetitionState,
    CompetitionTerms,
)

STATE_TO_PROTO = {
    CompetitionState.DRAFT: competitions_pb2.Competition.STATE_DRAFT,
    CompetitionState.OPEN: competitions_pb2.Competition.STATE_OPEN,
    CompetitionState.CLOSED: competitions_pb2.Competition.STATE_CLOSED,
    CompetitionState.DECIDED: competitions_pb2.Competition.STATE_DECIDED,
    CompetitionState.ARCHIVED: competitions_pb2.Competition.STATE_ARCHIVED,
}
STATE_FROM_PROTO = {v: k for k, v in STATE_TO_PROTO.items()}


def terms_from_proto(m: competitions_pb2.Competition) -> CompetitionTerms:
    # Server-owned fields (id, state, times) are ignored, whatever the caller put in them.
    return CompetitionTerms(
        title=m.title,
        description=m.description,
        direction_codes=tuple(m.direction_codes),
        min_grant=from_money(m.min_grant, m.HasField("min_grant")),
        max_grant=from_money(m.max_grant, m.HasField("max_grant")),
        budget=from_money(m.budget, m.HasField("budget")),
        opens_at=from_timestamp(m.opens_at, m.HasField("opens_at")),
        closes_at=from_timestamp(m.closes_at, m.HasField("closes_at")),
        time_zone=m.time_zone,
        max_duration_months=m.max_duration_months,
    )


def competition_to_proto(c: Competition) -> competitions_pb2.Competition:
    return competitions_pb2.Competition(
        id=c.id,
        title=c.title,
        description=c.description,
        direction_codes=c.direction_codes,
        min_grant=to_money(c.min_grant),
        max_grant=to_money(c.max_grant),
        budget=to_money(c.budget),
        opens_at=to_timestamp(c.opens_at),
        closes_at=to_timestamp(c.closes_at),
        time_zone=c.time_zone,
        state=STATE_TO_PROTO[c.state],
        create_time=to_timestamp(c.created_at),
        update_time=to_timestamp(c.updated_at),
        max_duration_months=c.max_duration_months,
    )


def competition_opened(c: Competition) -> events_pb2.CompetitionOpened:
    return events_pb2.CompetitionOpened(
        competition_id=c.id,
        title=c.title,
        direction_codes=c.direction_codes,
        min_grant=to_money(c.min_grant),
        max_grant=to_money(c.max_grant),
        budget=to_money(c.budget),
        opens_at=to_timestamp(c.opens_at),
        closes_at=to_timestamp(c.closes_at),
        time_zone=c.time_zone,
    )
