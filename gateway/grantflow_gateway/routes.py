"""The HTTP/JSON API: one table that binds each resource-oriented path to a gRPC method.

The protos stay the single source of truth: a route names its method, and the request and
response messages, their fields and JSON names come from the method's descriptor. Path templates
name request fields (`{competition.id}` sets `competition.id`); a route's `body` says which part
of the request the JSON body fills (`"*"`: the whole request, a field name: that message field,
None: nothing); every other top-level field of the request is a query parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

# Importing the generated service modules registers their descriptors in the default pool.
from grantflow.applications.v1 import applications_service_pb2 as _applications  # noqa: F401
from grantflow.impact.v1 import impact_service_pb2 as _impact  # noqa: F401
from grantflow.scoring.v1 import scoring_service_pb2 as _scoring  # noqa: F401
from grantflow_runtime.context import Role

APPLICATIONS = "grantflow.applications.v1.ApplicationsService"
SCORING = "grantflow.scoring.v1.ScoringService"
IMPACT = "grantflow.impact.v1.ImpactService"

# Which upstream (by the runtime's service name) serves each gRPC service.
UPSTREAM = {APPLICATIONS: "applications", SCORING: "scoring", IMPACT: "impact"}

# Filled from the Idempotency-Key header (or a fresh id), never from the body or the query.
REQUEST_ID_FIELD = "request_id"

EVERYONE = frozenset({Role.APPLICANT, Role.EXPERT, Role.FUNDER, Role.ADMIN})
APPLICANT = frozenset({Role.APPLICANT, Role.ADMIN})
FUNDER = frozenset({Role.FUNDER, Role.ADMIN})
APPLICANT_OR_FUNDER = frozenset({Role.APPLICANT, Role.FUNDER, Role.ADMIN})
EXPERT_OR_FUNDER = frozenset({Role.EXPERT, Role.FUNDER, Role.ADMIN})

_PARAM = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    rpc: str  # "<package>.<Service>.<Method>"
    roles: frozenset[Role]
    summary: str
    body: str | None = None
    status: int = 200
    # The response is a file: (content-type field, bytes field) of the response message.
    download: tuple[str, str] | None = None
    tag: str = field(default="")

    @cached_property
    def descriptor(self) -> MethodDescriptor:
        service, _, name = self.rpc.rpartition(".")
        found = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(name)
        if found is None:
            raise LookupError(f"{self.rpc} is not a method of {service}")
        return found

    @property
    def service(self) -> str:
        return self.rpc.rpartition(".")[0]

    @property
    def upstream(self) -> str:
        return UPSTREAM[self.service]

    @property
    def grpc_path(self) -> str:
        service, _, name = self.rpc.rpartition(".")
        return f"/{service}/{name}"

    @property
    def input(self) -> Descriptor:
        return self.descriptor.input_type

    @property
    def output(self) -> Descriptor:
        return self.descriptor.output_type

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        """Request field paths bound by the URL, in order."""
        return tuple(_PARAM.findall(self.path))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # A segment never spans '/' or ':' so `{id}:submit` and `{id}` stay apart.
        regex = ""
        last = 0
        for match in _PARAM.finditer(self.path):
            regex += re.escape(self.path[last : match.start()]) + "([^/:]+)"
            last = match.end()
        regex += re.escape(self.path[last:])
        # \Z, not $: "$" also matches before a trailing newline.
        return re.compile(f"^{regex}\\Z")

    @property
    def idempotent_create(self) -> bool:
        """Whether the request carries an idempotency key (creates and submits)."""
        return REQUEST_ID_FIELD in self.input.fields_by_name

    @cached_property
    def query_fields(self) -> tuple[FieldDescriptor, ...]:
        """Top-level request fields that travel in the query string."""
        if self.body == "*":
            return ()
        bound = {p.split(".")[0] for p in self.path_params}
        if self.body:
            bound.add(self.body)
        bound.add(REQUEST_ID_FIELD)
        return tuple(f for f in self.input.fields if f.name not in bound)

    @property
    def operation_id(self) -> str:
        return self.rpc.rpartition(".")[2]


ROUTES: tuple[Route, ...] = (
    # ---- competitions (applications service) ----
    Route(
        "POST",
        "/v1/competitions",
        f"{APPLICATIONS}.CreateCompetition",
        FUNDER,
        "Create a competition in the DRAFT state",
        body="competition",
        status=201,
        tag="Competitions",
    ),
    Route(
        "GET",
        "/v1/competitions",
        f"{APPLICATIONS}.ListCompetitions",
        EVERYONE,
        "List competitions, newest first",
        tag="Competitions",
    ),
    Route(
        "GET",
        "/v1/competitions/{id}",
        f"{APPLICATIONS}.GetCompetition",
        EVERYONE,
        "Read one competition",
        tag="Competitions",
    ),
    Route(
        "PATCH",
        "/v1/competitions/{competition.id}",
        f"{APPLICATIONS}.UpdateCompetition",
        FUNDER,
        "Change a DRAFT competition",
        body="competition",
        tag="Competitions",
    ),
    Route(
        "POST",
        "/v1/competitions/{id}:open",
        f"{APPLICATIONS}.OpenCompetition",
        FUNDER,
        "Open a DRAFT competition for applications",
        tag="Competitions",
    ),
    Route(
        "POST",
        "/v1/competitions/{id}:close",
        f"{APPLICATIONS}.CloseCompetition",
        FUNDER,
        "Close an OPEN competition now (before its deadline, with a reason)",
        body="*",
        tag="Competitions",
    ),
    # ---- organisations ----
    Route(
        "POST",
        "/v1/organisations",
        f"{APPLICATIONS}.CreateOrganisation",
        APPLICANT,
        "Register an applicant organisation",
        body="organisation",
        status=201,
        tag="Organisations",
    ),
    Route(
        "GET",
        "/v1/organisations",
        f"{APPLICATIONS}.ListOrganisations",
        APPLICANT_OR_FUNDER,
        "List the organisations the caller may see",
        tag="Organisations",
    ),
    Route(
        "GET",
        "/v1/organisations/{id}",
        f"{APPLICATIONS}.GetOrganisation",
        APPLICANT_OR_FUNDER,
        "Read one organisation",
        tag="Organisations",
    ),
    Route(
        "PATCH",
        "/v1/organisations/{organisation.id}",
        f"{APPLICATIONS}.UpdateOrganisation",
        APPLICANT,
        "Change an organisation's details",
        body="organisation",
        tag="Organisations",
    ),
    # ---- applications ----
    Route(
        "POST",
        "/v1/applications",
        f"{APPLICATIONS}.CreateApplication",
        APPLICANT,
        "Start a DRAFT application in an open competition",
        body="application",
        status=201,
        tag="Applications",
    ),
    Route(
        "GET",
        "/v1/applications",
        f"{APPLICATIONS}.ListApplications",
        APPLICANT_OR_FUNDER,
        "List the applications the caller may see",
        tag="Applications",
    ),
    Route(
        "GET",
        "/v1/applications/{id}",
        f"{APPLICATIONS}.GetApplication",
        APPLICANT_OR_FUNDER,
        "Read one application",
        tag="Applications",
    ),
    Route(
        "PATCH",
        "/v1/applications/{application.id}",
        f"{APPLICATIONS}.UpdateApplication",
        APPLICANT,
        "Change a DRAFT application (a new version)",
        body="application",
        tag="Applications",
    ),
    Route(
        "POST",
        "/v1/applications/{id}:validate",
        f"{APPLICATIONS}.ValidateApplication",
        APPLICANT,
        "Check every submission rule without submitting",
        tag="Applications",
    ),
    Route(
        "POST",
        "/v1/applications/{id}:submit",
        f"{APPLICATIONS}.SubmitApplication",
        APPLICANT,
        "Submit a DRAFT application",
        tag="Applications",
    ),
    Route(
        "POST",
        "/v1/applications/{id}:withdraw",
        f"{APPLICATIONS}.WithdrawApplication",
        APPLICANT,
        "Withdraw an application before the decision",
        body="*",
        tag="Applications",
    ),
    # ---- rubric, panel, experts, scoring, ranking, awards (scoring service) ----
    Route(
        "GET",
        "/v1/competitions/{competition_id}/rubric",
        f"{SCORING}.GetRubric",
        EVERYONE,
        "Read a competition's scoring rubric",
        tag="Scoring",
    ),
    Route(
        "PUT",
        "/v1/competitions/{rubric.competition_id}/rubric",
        f"{SCORING}.UpdateRubric",
        FUNDER,
        "Replace a competition's rubric before scoring starts",
        body="rubric",
        tag="Scoring",
    ),
    Route(
        "GET",
        "/v1/competitions/{competition_id}/panel",
        f"{SCORING}.GetPanel",
        FUNDER,
        "Read a competition's expert panel",
        tag="Scoring",
    ),
    Route(
        "PATCH",
        "/v1/competitions/{panel.competition_id}/panel",
        f"{SCORING}.UpdatePanel",
        FUNDER,
        "Change a competition's expert panel",
        body="panel",
        tag="Scoring",
    ),
    Route(
        "POST",
        "/v1/competitions/{competition_id}/panel:close",
        f"{SCORING}.ClosePanel",
        FUNDER,
        "Close scoring and rank the applications",
        tag="Scoring",
    ),
    Route(
        "POST",
        "/v1/competitions/{competition_id}:assignExperts",
        f"{SCORING}.AssignExperts",
        FUNDER,
        "Assign experts to every submitted application",
        tag="Scoring",
    ),
    Route(
        "POST",
        "/v1/experts",
        f"{SCORING}.CreateExpert",
        FUNDER,
        "Register an expert",
        body="expert",
        status=201,
        tag="Experts",
    ),
    Route("GET", "/v1/experts", f"{SCORING}.ListExperts", FUNDER, "List experts", tag="Experts"),
    Route(
        "GET",
        "/v1/experts/{id}",
        f"{SCORING}.GetExpert",
        EXPERT_OR_FUNDER,
        "Read one expert",
        tag="Experts",
    ),
    Route(
        "POST",
        "/v1/conflicts",
        f"{SCORING}.DeclareConflict",
        EXPERT_OR_FUNDER,
        "Declare a conflict of interest",
        body="conflict",
        status=201,
        tag="Experts",
    ),
    Route(
        "GET",
        "/v1/assignments",
        f"{SCORING}.ListAssignments",
        EXPERT_OR_FUNDER,
        "List assignments (an expert sees its own)",
        tag="Scoring",
    ),
    Route(
        "POST",
        "/v1/applications/{application_id}/scores",
        f"{SCORING}.SubmitScore",
        frozenset({Role.EXPERT}),
        "Submit the caller's score of an assigned application",
        body="*",
        status=201,
        tag="Scoring",
    ),
    Route(
        "GET",
        "/v1/scores",
        f"{SCORING}.ListScores",
        EXPERT_OR_FUNDER,
        "List scores the caller may see",
        tag="Scoring",
    ),
    Route(
        "GET",
        "/v1/competitions/{competition_id}/ranking",
        f"{SCORING}.GetRanking",
        FUNDER,
        "Read the ranking of a closed panel",
        tag="Awards",
    ),
    Route(
        "GET",
        "/v1/competitions/{competition_id}/ranking:export",
        f"{SCORING}.ExportRanking",
        FUNDER,
        "Download the ranking as CSV",
        download=("content_type", "data"),
        tag="Awards",
    ),
    Route(
        "GET",
        "/v1/competitions/{competition_id}/decision",
        f"{SCORING}.GetDecision",
        FUNDER,
        "Read the recorded award decision",
        tag="Awards",
    ),
    Route(
        "POST",
        "/v1/competitions/{competition_id}:decideAwards",
        f"{SCORING}.DecideAwards",
        FUNDER,
        "Decide the awards within the budget",
        tag="Awards",
    ),
    # ---- indicators, agreements, reports, alerts, portfolio, practices (impact service) ----
    Route(
        "POST",
        "/v1/indicatorDefinitions",
        f"{IMPACT}.CreateIndicatorDefinition",
        FUNDER,
        "Add an indicator to the catalogue",
        body="indicator_definition",
        status=201,
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/indicatorDefinitions",
        f"{IMPACT}.ListIndicatorDefinitions",
        EVERYONE,
        "List the indicator catalogue",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/indicatorDefinitions/{code}",
        f"{IMPACT}.GetIndicatorDefinition",
        EVERYONE,
        "Read one indicator definition",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/agreements",
        f"{IMPACT}.ListAgreements",
        APPLICANT_OR_FUNDER,
        "List the award agreements the caller may see",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/agreements/{id}",
        f"{IMPACT}.GetAgreement",
        APPLICANT_OR_FUNDER,
        "Read one award agreement",
        tag="Impact",
    ),
    Route(
        "PUT",
        "/v1/agreements/{report.agreement_id}/reports/{report.period_number}",
        f"{IMPACT}.SaveReportDraft",
        APPLICANT,
        "Save a period's report as a draft",
        body="report",
        tag="Reports",
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/reports/{period_number}:submit",
        f"{IMPACT}.SubmitReport",
        APPLICANT,
        "Submit a period's report",
        tag="Reports",
    ),
    Route(
        "POST",
        "/v1/agreements/{report.agreement_id}/reports/{report.period_number}:correct",
        f"{IMPACT}.CorrectReport",
        APPLICANT,
        "Correct a submitted or returned report",
        body="report",
        tag="Reports",
    ),
    Route(
        "GET",
        "/v1/agreements/{agreement_id}/reports",
        f"{IMPACT}.ListReports",
        APPLICANT_OR_FUNDER,
        "List an agreement's reports",
        tag="Reports",
    ),
    Route(
        "POST",
        "/v1/reports/{report_id}:accept",
        f"{IMPACT}.AcceptReport",
        FUNDER,
        "Accept a submitted report",
        body="*",
        tag="Reports",
    ),
    Route(
        "POST",
        "/v1/reports/{report_id}:return",
        f"{IMPACT}.ReturnReport",
        FUNDER,
        "Return a submitted report for correction",
        body="*",
        tag="Reports",
    ),
    Route(
        "GET",
        "/v1/agreements/{agreement_id}/progress",
        f"{IMPACT}.GetProgress",
        APPLICANT_OR_FUNDER,
        "Read an agreement's progress against its targets",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/alerts",
        f"{IMPACT}.ListAlerts",
        APPLICANT_OR_FUNDER,
        "List alerts on the agreements the caller may see",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/portfolio",
        f"{IMPACT}.GetPortfolio",
        FUNDER,
        "Roll up the caller's portfolio",
        tag="Impact",
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}:estimateSocialValue",
        f"{IMPACT}.EstimateSocialValue",
        APPLICANT_OR_FUNDER,
        "Estimate an agreement's social return on investment",
        body="*",
        tag="Impact",
    ),
    Route(
        "GET",
        "/v1/competitions/{competition_id}/practiceCandidates",
        f"{IMPACT}.ListPracticeCandidates",
        FUNDER,
        "List funded projects that could become replicable practices",
        tag="Practices",
    ),
    Route(
        "POST",
        "/v1/practices",
        f"{IMPACT}.RegisterPractice",
        FUNDER,
        "Register a replicable practice",
        body="practice",
        status=201,
        tag="Practices",
    ),
    Route(
        "POST",
        "/v1/practices/{practice_id}/adoptions",
        f"{IMPACT}.RecordAdoption",
        FUNDER,
        "Record that another organisation adopted a practice",
        body="adoption",
        tag="Practices",
    ),
    Route(
        "GET",
        "/v1/practices",
        f"{IMPACT}.ListPractices",
        EVERYONE,
        "List replicable practices",
        tag="Practices",
    ),
)
