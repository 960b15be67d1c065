"""Protobuf messages to scoring's domain values and back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from grantflow.scoring.v1 import (
    experts_pb2,
    panels_pb2,
    reviews_pb2,
    rubrics_pb2,
    scoring_service_pb2,
)
from grantflow_runtime.errors import Violations
from grantflow_runtime.money import Money
from grantflow_runtime.protoconv import (
    from_money,
    from_timestamp,
    parse_decimal,
    to_money,
    to_timestamp,
)

from grantflow_scoring.adapters.applications_copy import SubmittedApplication
from grantflow_scoring.adapters.experts_repo import Expert
from grantflow_scoring.adapters.reviews_repo import AssignmentRecord, ScoreRecord
from grantflow_scoring.domain.aggregation import FinalRule
from grantflow_scoring.domain.assignment import Cause, Unassigned
from grantflow_scoring.domain.awards import PassMark
from grantflow_scoring.domain.panels import Panel, PanelSettings, PanelState
from grantflow_scoring.domain.rubric import Criterion, Rubric, WeightBand
from grantflow_scoring.domain.scores import CriterionScore

PANEL_STATES = {
    PanelState.COLLECTING: panels_pb2.Panel.STATE_COLLECTING,
    PanelState.SCORING: panels_pb2.Panel.STATE_SCORING,
    PanelState.CLOSED: panels_pb2.Panel.STATE_CLOSED,
    PanelState.DECIDED: panels_pb2.Panel.STATE_DECIDED,
}
FINAL_RULES = {
    FinalRule.MEAN_ALL: panels_pb2.Panel.FINAL_RULE_MEAN_ALL,
    FinalRule.MEAN_CLOSEST_TWO: panels_pb2.Panel.FINAL_RULE_MEAN_CLOSEST_TWO,
}
FINAL_RULES_IN = {v: k for k, v in FINAL_RULES.items()}
ASSIGNMENT_STATES = {
    "pending": reviews_pb2.Assignment.STATE_PENDING,
    "scored": reviews_pb2.Assignment.STATE_SCORED,
    "cancelled": reviews_pb2.Assignment.STATE_CANCELLED,
}


def _decimal(v: Violations, field: str, text: str, default: Decimal | None = None) -> Decimal:
    try:
        return parse_decimal(text, default=default)
    except ValueError as exc:
        v.add(field, str(exc), "format")
        return Decimal(0)


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
        bands=[
            rubrics_pb2.WeightBand(
                max_request=to_money(b.max_request) if b.max_request else None,
                weights=[
                    rubrics_pb2.CriterionWeight(code=code, weight=str(w))
                    for code, w in sorted(b.weights.items())
                ],
            )
            for b in rubric.bands
        ],
    )


def rubric_from_proto(
    m: rubrics_pb2.Rubric, competition_id: str
) -> tuple[tuple[Criterion, ...], tuple[WeightBand, ...]]:
    v = Violations()
    criteria = tuple(
        Criterion(
            code=c.code,
            title=c.title,
            weight=_decimal(v, f"rubric.criteria[{i}].weight", c.weight),
            scale_min=c.scale_min,
            scale_max=c.scale_max,
            comment_required_at_or_below=c.comment_required_at_or_below,
            comment_required_at_or_above=c.comment_required_at_or_above,
        )
        for i, c in enumerate(m.criteria)
    )
    bands = tuple(
        WeightBand(
            max_request=from_money(b.max_request, b.HasField("max_request")),
            weights={
                w.code: _decimal(v, f"rubric.bands[{i}].weights[{j}].weight", w.weight)
                for j, w in enumerate(b.weights)
            },
        )
        for i, b in enumerate(m.bands)
    )
    v.raise_if_any()
    return criteria, bands


def panel_to_proto(p: Panel) -> panels_pb2.Panel:
    s = p.settings
    return panels_pb2.Panel(
        competition_id=p.competition_id,
        title=p.title,
        state=PANEL_STATES[p.state],
        direction_codes=p.direction_codes,
        owner=p.owner,
        budget=to_money(p.budget),
        direction_quotas=[
            panels_pb2.DirectionQuota(direction_code=c, amount=to_money(a))
            for c, a in p.direction_quotas
        ],
        experts_per_application=s.experts_per_application,
        max_experts_per_application=s.max_experts_per_application,
        divergence_threshold_percent=str(s.divergence_threshold_percent),
        final_rule=FINAL_RULES[s.final_rule],
        decide_by_calibrated=s.decide_by_calibrated,
        same_region_is_conflict=s.same_region_is_conflict,
        pass_marks=[
            panels_pb2.PassMark(
                max_request=to_money(m.max_request) if m.max_request else None, mark=str(m.mark)
            )
            for m in s.pass_marks
        ],
        scores_due_time=to_timestamp(s.scores_due_at),
    )


def settings_from_proto(m: panels_pb2.Panel) -> PanelSettings:
    v = Violations()
    rule = FINAL_RULES_IN.get(m.final_rule)
    if rule is None:
        v.add("panel.final_rule", "must be MEAN_ALL or MEAN_CLOSEST_TWO", "enum")
    settings = PanelSettings(
        experts_per_application=m.experts_per_application,
        max_experts_per_application=m.max_experts_per_application,
        divergence_threshold_percent=_decimal(
            v, "panel.divergence_threshold_percent", m.divergence_threshold_percent
        ),
        final_rule=rule or FinalRule.MEAN_ALL,
        decide_by_calibrated=m.decide_by_calibrated,
        same_region_is_conflict=m.same_region_is_conflict,
        pass_marks=tuple(
            PassMark(
                max_request=from_money(pm.max_request, pm.HasField("max_request")),
                mark=_decimal(v, f"panel.pass_marks[{i}].mark", pm.mark),
            )
            for i, pm in enumerate(m.pass_marks)
        ),
        scores_due_at=from_timestamp(m.scores_due_time, m.HasField("scores_due_time")),
    )
    v.raise_if_any()
    return settings


def expert_to_proto(e: Expert) -> experts_pb2.Expert:
    return experts_pb2.Expert(
        id=e.id,
        subject=e.subject,
        display_name=e.display_name,
        direction_codes=e.direction_codes,
        region_code=e.region_code,
        affiliation_inns=e.affiliation_inns,
        max_load=e.max_load,
        active=e.active,
        create_time=to_timestamp(e.created_at),
        update_time=to_timestamp(e.updated_at),
    )


def assignment_to_proto(
    a: AssignmentRecord, application: SubmittedApplication | None, *, due: datetime | None = None
) -> reviews_pb2.Assignment:
    """`application` is None where the expert must not see it (a conflict); `due` is the
    panel's scoring deadline, if it has one."""
    message = reviews_pb2.Assignment(
        competition_id=a.competition_id,
        application_id=a.application_id,
        expert_id=a.expert_id,
        state=ASSIGNMENT_STATES[a.state],
        extra=a.extra,
        assign_time=to_timestamp(a.assigned_at),
        due_time=to_timestamp(due),
    )
    if application is not None:
        message.application.CopyFrom(
            reviews_pb2.ApplicationSummary(
                title=application.title,
                summary=application.summary,
                direction_code=application.direction_code,
                region_codes=application.region_codes,
                requested=to_money(application.requested),
                cofinancing=to_money(application.cofinancing),
                organisation_name=application.organisation_name,
                organisation_region_code=application.organisation_region_code,
            )
        )
    return message


_CAUSES = {
    cause: scoring_service_pb2.UnassignedApplication.Cause.Value(f"CAUSE_{cause.name}")
    for cause in Cause
}


def unassigned_to_proto(u: Unassigned) -> scoring_service_pb2.UnassignedApplication:
    short = u.shortfall
    return scoring_service_pb2.UnassignedApplication(
        application_id=u.application_id,
        missing=u.missing,
        reason=u.reason,
        cause=_CAUSES[short.cause],
        direction_code=short.direction_code,
        needed=short.needed,
        covering_experts=short.covering,
        eligible_experts=short.eligible,
        experts_with_room=short.with_room,
    )


def scores_from_proto(items: list[reviews_pb2.CriterionScore]) -> tuple[CriterionScore, ...]:
    return tuple(CriterionScore(code=s.code, value=s.value, comment=s.comment) for s in items)


def score_to_proto(s: ScoreRecord) -> reviews_pb2.Score:
    return reviews_pb2.Score(
        competition_id=s.competition_id,
        application_id=s.application_id,
        expert_id=s.expert_id,
        scores=[
            reviews_pb2.CriterionScore(code=c.code, value=c.value, comment=c.comment)
            for c in s.scores
        ],
        total=str(s.total),
        revision=s.revision,
        submit_time=to_timestamp(s.submitted_at),
    )


def money_or_zero(m: Money | None) -> Money:
    return m if m is not None else Money(0)
