"""The catalogue of Grantflow events: every subject, its message, its producer and what it means."""

from __future__ import annotations

from typing import Any

from grantflow.events.v1 import (
    applications_pb2,
    awards_pb2,
    competitions_pb2,
    impact_pb2,
    scoring_pb2,
)

from grantflow_runtime.events import EventSpec

COMPETITION_OPENED = EventSpec(
    subject="grantflow.competitions.opened",
    message=competitions_pb2.CompetitionOpened,
    producer="applications",
    meaning="A competition started accepting applications; carries its directions, limits and deadline.",
)
COMPETITION_CLOSED = EventSpec(
    subject="grantflow.competitions.closed",
    message=competitions_pb2.CompetitionClosed,
    producer="applications",
    meaning="A competition reached its deadline and stopped accepting applications; scoring may begin.",
)
APPLICATION_SUBMITTED = EventSpec(
    subject="grantflow.applications.submitted",
    message=applications_pb2.ApplicationSubmitted,
    producer="applications",
    meaning="An application passed every submission rule and was frozen as submitted.",
)
APPLICATION_WITHDRAWN = EventSpec(
    subject="grantflow.applications.withdrawn",
    message=applications_pb2.ApplicationWithdrawn,
    producer="applications",
    meaning="An applicant withdrew an application before a decision; it leaves assignment and ranking.",
)
APPLICATION_STATUS_CHANGED = EventSpec(
    subject="grantflow.applications.status_changed",
    message=applications_pb2.ApplicationStatusChanged,
    producer="applications",
    meaning="An application moved between states (under review, awarded, declined, ineligible...).",
)
EXPERTS_ASSIGNED = EventSpec(
    subject="grantflow.scoring.experts_assigned",
    message=scoring_pb2.ExpertsAssigned,
    producer="scoring",
    meaning="Experts were assigned to an application.",
)
SCORE_SUBMITTED = EventSpec(
    subject="grantflow.scoring.score_submitted",
    message=scoring_pb2.ScoreSubmitted,
    producer="scoring",
    meaning="An expert submitted or revised a score; carries no values, so no one learns another's score.",
)
EXTRA_EXPERT_ASSIGNED = EventSpec(
    subject="grantflow.scoring.extra_expert_assigned",
    message=scoring_pb2.ExtraExpertAssigned,
    producer="scoring",
    meaning="The experts' totals diverged beyond the threshold; one more expert was assigned.",
)
APPLICATION_SCORED = EventSpec(
    subject="grantflow.scoring.application_scored",
    message=scoring_pb2.ApplicationScored,
    producer="scoring",
    meaning="Every assigned expert scored an application and the totals agree; carries the final score.",
)
AWARD_DECIDED = EventSpec(
    subject="grantflow.awards.decided",
    message=awards_pb2.AwardDecided,
    producer="scoring",
    meaning="An application was funded: the award amount, rank and score.",
)
APPLICATION_DECLINED = EventSpec(
    subject="grantflow.awards.declined",
    message=awards_pb2.ApplicationDeclined,
    producer="scoring",
    meaning="An application was not funded, with the reason.",
)

REPORT_SUBMITTED = EventSpec(
    subject="grantflow.impact.report_submitted",
    message=impact_pb2.ReportSubmitted,
    producer="impact",
    meaning="A grantee submitted a report for a period, or a corrected version of one.",
)
REPORT_ACCEPTED = EventSpec(
    subject="grantflow.impact.report_accepted",
    message=impact_pb2.ReportAccepted,
    producer="impact",
    meaning="The funder accepted a report; its values now count.",
)
REPORT_RETURNED = EventSpec(
    subject="grantflow.impact.report_returned",
    message=impact_pb2.ReportReturned,
    producer="impact",
    meaning="The funder returned a report to the grantee with a comment.",
)
IMPACT_ALERT_RAISED = EventSpec(
    subject="grantflow.impact.alert_raised",
    message=impact_pb2.ImpactAlertRaised,
    producer="impact",
    meaning="Underperformance, a co-financing shortfall, an overspend, a late report or a sustainability risk arose.",
)
IMPACT_ALERT_RESOLVED = EventSpec(
    subject="grantflow.impact.alert_resolved",
    message=impact_pb2.ImpactAlertResolved,
    producer="impact",
    meaning="The condition behind an alert cleared.",
)
SUSTAINABILITY_ASSESSED = EventSpec(
    subject="grantflow.impact.sustainability_assessed",
    message=impact_pb2.SustainabilityAssessed,
    producer="impact",
    meaning="An organisation's financial sustainability was assessed from an accepted report.",
)
PRACTICE_REGISTERED = EventSpec(
    subject="grantflow.impact.practice_registered",
    message=impact_pb2.PracticeRegistered,
    producer="impact",
    meaning="A funder registered a replicable practice from a successful project.",
)
PRACTICE_ADOPTED = EventSpec(
    subject="grantflow.impact.practice_adopted",
    message=impact_pb2.PracticeAdopted,
    producer="impact",
    meaning="Another organisation, in some region, adopted a practice.",
)

ALL: tuple[EventSpec[Any], ...] = (
    COMPETITION_OPENED,
    COMPETITION_CLOSED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
    APPLICATION_STATUS_CHANGED,
    EXPERTS_ASSIGNED,
    SCORE_SUBMITTED,
    EXTRA_EXPERT_ASSIGNED,
    APPLICATION_SCORED,
    AWARD_DECIDED,
    APPLICATION_DECLINED,
    REPORT_SUBMITTED,
    REPORT_ACCEPTED,
    REPORT_RETURNED,
    IMPACT_ALERT_RAISED,
    IMPACT_ALERT_RESOLVED,
    SUSTAINABILITY_ASSESSED,
    PRACTICE_REGISTERED,
    PRACTICE_ADOPTED,
)
