"""Mass assignment through gRPC called directly: what the server owns (ids, owners, states,
versions, totals, derived figures, who decided, create and update times) cannot be set by the
caller of any method that writes a resource.

Every resource a write method carries has each of its fields classified here as the caller's or
the server's; a field added to a proto without a classification fails the test. For each write
method, every server-owned field is set to a hostile value (an id is set to a real object of
somebody else's, so honouring it would overwrite that object) and the test checks that:

- a create or save ignores them: neither the answer nor the stored object (read back) carries a
  hostile value, and the values the server decides are the ones it always decides;
- an update refuses an update mask naming one of them, INVALID_ARGUMENT naming
  `update_mask.paths[0]`, and ignores them when the mask is empty or names only the caller's
  fields;
- the objects whose ids were used are unchanged afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import (
    applications_pb2,
    applications_service_pb2,
    competitions_pb2,
    organisations_pb2,
)
from grantflow.common.v1 import date_pb2, money_pb2
from grantflow.impact.v1 import (
    impact_service_pb2,
    indicators_pb2,
    practices_pb2,
    reports_pb2,
)
from grantflow.scoring.v1 import experts_pb2, panels_pb2, rubrics_pb2, scoring_service_pb2
from grantflow_gateway.translate import message_class
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    inn10,
    organisation_message,
)
from tests.gateway.stack import StackFactory
from tests.scoring.round_fixture import eventually
from tests.security.grpc_surface import Answer, Surface, by_name, descriptor_of, service_methods
from tests.security.rounds import Round, play_round

APPS = "grantflow.applications.v1.ApplicationsService."
SCORING = "grantflow.scoring.v1.ScoringService."
IMPACT = "grantflow.impact.v1.ImpactService."
ADMIN = Identity(subject="mass-admin", role=Role.ADMIN)
HOSTILE_TIME = Timestamp(seconds=981_173_106)  # 2001-02-03T04:05:06Z
HOSTILE_MONEY = money_pb2.Money(minor_units=4_242_424_242, currency_code="RUB")
HOSTILE_NUMBER = 424_242

# Each resource type's fields the server owns. Every other field is the caller's to write (or
# names the object a call is about); both sets together must cover the message.
AV1 = "grantflow.applications.v1."
SV1 = "grantflow.scoring.v1."
IV1 = "grantflow.impact.v1."


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# fmt: off
SERVER_OWNED: dict[str, frozenset[str]] = {
    AV1 + "Competition": _names("id state create_time update_time"),
    AV1 + "Organisation": _names("id create_time update_time"),
    AV1 + "Application": _names(
        "id state totals version create_time update_time submit_time status_reason"),
    SV1 + "Expert": _names("id active create_time update_time"),
    SV1 + "Conflict": _names("source create_time"),
    SV1 + "Rubric": _names("max_total"),
    SV1 + "Panel": _names("title state direction_codes owner budget direction_quotas closes_at"),
    IV1 + "IndicatorDefinition": _names("create_time"),
    IV1 + "Report": _names(
        "id version state submit_time decide_time decided_by decision_comment"),
    IV1 + "Practice": _names(
        "id direction_code origin_region_code adoptions adopted_in_region_codes create_time"),
    # The caller's through and through: what it scores, what it saw adopted.
    SV1 + "CriterionScore": frozenset(),
    IV1 + "Adoption": frozenset(),
}
CALLERS: dict[str, frozenset[str]] = {
    AV1 + "Competition": _names(
        "title description direction_codes min_grant max_grant budget opens_at closes_at "
        "time_zone max_duration_months eligible_region_codes eligible_legal_forms "
        "min_cofinancing_percent allowed_cofinancing_types in_kind_cap_percent "
        "max_applications_per_organisation direction_quotas min_registration_months "
        "min_registration_months_small small_request_max required_indicator_codes"),
    AV1 + "Organisation": _names(
        "name legal_form inn ogrn region_code registered_on contact website"),
    AV1 + "Application": _names(
        "competition_id organisation_id title summary direction_code region_codes start_date "
        "end_date target_groups planned_results budget_lines cofinancing_sources"),
    SV1 + "Expert": _names(
        "subject display_name direction_codes region_code affiliation_inns max_load"),
    SV1 + "Conflict": _names("expert_id organisation_inn application_id reason"),
    SV1 + "Rubric": _names("competition_id criteria bands"),
    SV1 + "Panel": _names(
        "competition_id experts_per_application max_experts_per_application "
        "divergence_threshold_percent final_rule decide_by_calibrated same_region_is_conflict "
        "pass_marks scores_due_time"),
    IV1 + "IndicatorDefinition": _names(
        "code title unit result_level aggregation direction iris_metric_id sdg_indicator"),
    IV1 + "Report": _names(
        "agreement_id period_number indicator_values expenditures cofinancing_received "
        "finances narrative correction_reason"),
    IV1 + "Practice": _names(
        "agreement_id title description roadmap organisational_model financial_model "
        "evidence_report_ids"),
    SV1 + "CriterionScore": _names("code value comment"),
    IV1 + "Adoption": _names("organisation_name organisation_inn region_code adopted_on results"),
}
# fmt: on
# Types that only carry values (no identity, no server state) wherever they appear.
VALUE_TYPES = {
    "google.protobuf.Timestamp",
    "google.protobuf.FieldMask",
    "grantflow.common.v1.Money",
    "grantflow.common.v1.Date",
}


def resource_types() -> set[str]:
    """Message types some method answers with, and the types nested in them: a request field of
    one of these types carries a resource, whose server-owned fields a caller could try to set."""
    found: set[str] = set()

    def walk(d: Descriptor) -> None:
        if d.full_name in found or d.full_name in VALUE_TYPES:
            return
        found.add(d.full_name)
        for f in d.fields:
            if f.message_type is not None:
                walk(f.message_type)

    for method in service_methods():
        walk(method.output_type)
    return found


def resource_fields(method_input: Descriptor) -> list[tuple[str, Descriptor]]:
    """The request's fields that carry a resource: (field name, the resource's type)."""
    kinds = resource_types()
    return [
        (f.name, f.message_type)
        for f in method_input.fields
        if f.message_type is not None and f.message_type.full_name in kinds
    ]


def test_every_resource_field_is_classified() -> None:
    """A new field must be declared the caller's or the server's before it ships."""
    problems = []
    covered = 0
    for method in service_methods():
        for carried, kind in resource_fields(method.input_type):
            names = {f.name for f in kind.fields}
            owned, callers = SERVER_OWNED.get(kind.full_name), CALLERS.get(kind.full_name)
            if owned is None or callers is None:
                problems.append(f"{method.name}.{carried}: {kind.full_name} unclassified")
                continue
            covered += 1
            if owned & callers or (owned | callers) != names:
                problems.append(
                    f"{kind.full_name}: unclassified {sorted(names - owned - callers)}, "
                    f"both {sorted(owned & callers)}, unknown {sorted((owned | callers) - names)}"
                )
    assert not problems, "\n".join(problems)
    print(f"\n{covered} resource fields of write methods classified field by field")


# ---- hostile values ----


def hostile(f: FieldDescriptor, overrides: dict[str, Any]) -> Any:
    """A value the server must not take, for any field type."""
    if f.name in overrides:
        return overrides[f.name]
    value: Any
    if f.message_type is not None:
        value = _hostile_message(f.message_type)
    elif f.enum_type is not None:
        value = max(v.number for v in f.enum_type.values)
    elif f.type == FieldDescriptor.TYPE_BOOL:
        value = True
    elif f.type == FieldDescriptor.TYPE_STRING:
        value = f"hostile-{f.name}"
    else:
        value = HOSTILE_NUMBER
    return [value] if f.is_repeated else value


def _hostile_message(d: Descriptor) -> Message:
    if d.full_name == "google.protobuf.Timestamp":
        return HOSTILE_TIME
    if d.full_name == "grantflow.common.v1.Money":
        return HOSTILE_MONEY
    if d.full_name == "grantflow.common.v1.Date":
        return date_pb2.Date(year=2001, month=2, day=3)
    made = message_class(d)()
    for f in d.fields:
        # Deep enough to be a real sub-object (a hostile totals, a hostile adoption).
        if f.message_type is not None and f.message_type.full_name in VALUE_TYPES:
            getattr(made, f.name).CopyFrom(_hostile_message(f.message_type))
        elif f.message_type is None and not f.is_repeated:
            setattr(made, f.name, hostile(f, {}))
    return made


def set_value(m: Message, f: FieldDescriptor, value: Any) -> None:
    if f.is_repeated:
        del getattr(m, f.name)[:]
        getattr(m, f.name).extend(value)
    elif f.message_type is not None:
        getattr(m, f.name).CopyFrom(value)
    else:
        setattr(m, f.name, value)


def with_hostile(resource: Message, overrides: dict[str, Any], keep: set[str]) -> Message:
    """A copy of `resource` with every server-owned field but `keep` set to a hostile value."""
    out = type(resource)()
    out.CopyFrom(resource)
    for f in descriptor_of(out).fields:
        if f.name in SERVER_OWNED[descriptor_of(out).full_name] and f.name not in keep:
            set_value(out, f, hostile(f, overrides))
    return out


def taken(resource: Message, overrides: dict[str, Any], keep: set[str]) -> list[str]:
    """The server-owned fields of `resource` (an answer or a read-back) holding the hostile value."""
    found = []
    for f in descriptor_of(resource).fields:
        if f.name not in SERVER_OWNED[descriptor_of(resource).full_name] or f.name in keep:
            continue
        bad, got = hostile(f, overrides), getattr(resource, f.name)
        if f.is_repeated:
            if any(item in list(got) for item in bad):
                found.append(f"{f.name}={list(got)!r:.80}")
        elif f.message_type is not None:
            if resource.HasField(f.name) and got == bad:
                found.append(f"{f.name}={MessageToDict(got)}")
        elif got == bad:
            found.append(f"{f.name}={got!r}")
    return found


# ---- the cases ----


@dataclass
class Ctx:
    surface: Surface
    round: Round
    funder: Identity
    applicant: Identity  # acts for `organisation`, registered by this test
    organisation: str
    open_competition: str
    draft_competition: str
    victim_competition: str  # a draft of another funder
    victim_organisation: str  # another applicant's
    problems: list[str] = field(default_factory=list)
    calls: int = 0
    refusals: int = 0

    async def call(self, method: str, request: Message, who: Identity) -> Answer:
        self.calls += 1
        return await self.surface.call(by_name(method), request, who)

    async def ok(self, method: str, request: Message, who: Identity) -> Message:
        got = await self.call(method, request, who)
        assert got.ok and got.response is not None, (method, got.brief())
        return got.response


ReadBack = Callable[[Ctx, Message], Awaitable[Message | None]]


@dataclass(frozen=True)
class Create:
    """A method that makes (or saves) a resource from the request's `carried` field."""

    method: str
    carried: str
    who: Callable[[Ctx], Identity]
    request: Callable[[Ctx], Message]
    overrides: Callable[[Ctx], dict[str, Any]] = lambda _: {}
    # Server-owned fields the request legitimately names (the object a save is about).
    keep: frozenset[str] = frozenset()
    # What the server always decides, by field: checked on the answer and the read-back.
    decided: dict[str, Any] = field(default_factory=dict)
    read: ReadBack | None = None


@dataclass(frozen=True)
class Update:
    """A method that changes a resource under an update mask."""

    method: str
    carried: str
    who: Callable[[Ctx], Identity]
    # The current resource, as the caller would send it back with changes.
    current: Callable[[Ctx], Awaitable[Message]]
    # A field of the caller's and a new value for it, for the masked change.
    change: tuple[str, Any]
    overrides: Callable[[Ctx], dict[str, Any]] = lambda _: {}
    # Server-owned fields that name the object, or are a concurrency token, and stay as they are.
    keep: frozenset[str] = frozenset()
    # The caller's fields that are fixed once the object exists (an INN, an application's parent).
    immutable: frozenset[str] = frozenset()
    read: ReadBack | None = None


async def get(ctx: Ctx, method: str, request: Message) -> Message | None:
    got = await ctx.call(method, request, ADMIN)
    return got.response


def object_id(made: Message) -> str:
    # Messages are untyped here; every resource read back by id has an `id` field.
    return str(getattr(made, "id"))  # noqa: B009


def reader(method: str, request_type: type[Message]) -> ReadBack:
    """Read a created object back by its id, as an admin (who may see it whoever owns it)."""

    async def read(ctx: Ctx, made: Message) -> Message | None:
        return await get(ctx, method, request_type(id=object_id(made)))

    return read


async def report_by_id(ctx: Ctx, agreement: str, report_id: str) -> Message | None:
    listed = await ctx.ok(
        IMPACT + "ListReports", impact_service_pb2.ListReportsRequest(agreement_id=agreement), ADMIN
    )
    assert isinstance(listed, impact_service_pb2.ListReportsResponse)
    return next((r for r in listed.reports if r.id == report_id), None)


async def practice_by_id(ctx: Ctx, practice_id: str) -> Message | None:
    listed = await ctx.ok(
        IMPACT + "ListPractices", impact_service_pb2.ListPracticesRequest(), ADMIN
    )
    assert isinstance(listed, impact_service_pb2.ListPracticesResponse)
    return next((p for p in listed.practices if p.id == practice_id), None)


def _report(ctx: Ctx, period: int, reason: str = "") -> reports_pb2.Report:
    return reports_pb2.Report(
        agreement_id=ctx.round.applications[0],
        period_number=period,
        narrative="Mass assignment probe",
        correction_reason=reason,
    )


CREATES: tuple[Create, ...] = (
    Create(
        APPS + "CreateCompetition",
        "competition",
        lambda c: c.funder,
        lambda c: applications_service_pb2.CreateCompetitionRequest(
            competition=competition_message()
        ),
        overrides=lambda c: {"id": c.victim_competition},
        decided={"state": competitions_pb2.Competition.STATE_DRAFT},
        read=reader(APPS + "GetCompetition", applications_service_pb2.GetCompetitionRequest),
    ),
    Create(
        APPS + "CreateOrganisation",
        "organisation",
        lambda c: Identity("mass-newcomer", Role.APPLICANT),
        lambda c: applications_service_pb2.CreateOrganisationRequest(
            organisation=organisation_message(inn_prefix="631200543", name="Newcomer")
        ),
        overrides=lambda c: {"id": c.victim_organisation},
        read=reader(APPS + "GetOrganisation", applications_service_pb2.GetOrganisationRequest),
    ),
    Create(
        APPS + "CreateApplication",
        "application",
        lambda c: c.applicant,
        lambda c: applications_service_pb2.CreateApplicationRequest(
            application=application_message(c.open_competition, c.organisation)
        ),
        # Honouring it would overwrite an awarded application.
        overrides=lambda c: {"id": c.round.applications[0]},
        decided={
            "state": applications_pb2.Application.STATE_DRAFT,
            "version": 1,
            "status_reason": "",
        },
        read=reader(APPS + "GetApplication", applications_service_pb2.GetApplicationRequest),
    ),
    Create(
        SCORING + "CreateExpert",
        "expert",
        lambda c: c.funder,
        lambda c: scoring_service_pb2.CreateExpertRequest(
            expert=experts_pb2.Expert(
                subject="mass-expert-2",
                display_name="Second reviewer",
                direction_codes=["family"],
                region_code="RU-TA",
                max_load=5,
            )
        ),
        overrides=lambda c: {"id": c.round.expert.expert_id, "active": False},
        decided={"active": True},
        read=reader(SCORING + "GetExpert", scoring_service_pb2.GetExpertRequest),
    ),
    Create(
        SCORING + "DeclareConflict",
        "conflict",
        lambda c: c.round.expert,
        lambda c: scoring_service_pb2.DeclareConflictRequest(
            conflict=experts_pb2.Conflict(
                organisation_inn=inn10("772812345"), reason="Advised them once"
            )
        ),
        decided={"source": experts_pb2.Conflict.SOURCE_DECLARED},
    ),
    Create(
        IMPACT + "CreateIndicatorDefinition",
        "indicator_definition",
        lambda c: c.funder,
        lambda c: impact_service_pb2.CreateIndicatorDefinitionRequest(
            indicator_definition=indicators_pb2.IndicatorDefinition(
                code="mass-volunteers",
                title="Volunteers",
                unit="people",
                result_level=indicators_pb2.IndicatorDefinition.RESULT_LEVEL_OUTPUT,
                aggregation=indicators_pb2.IndicatorDefinition.AGGREGATION_SUM,
                direction=indicators_pb2.IndicatorDefinition.DIRECTION_INCREASE,
            )
        ),
        read=lambda c, m: get(
            c,
            IMPACT + "GetIndicatorDefinition",
            impact_service_pb2.GetIndicatorDefinitionRequest(code="mass-volunteers"),
        ),
    ),
    Create(
        IMPACT + "SaveReportDraft",
        "report",
        lambda c: c.round.applicants[0],
        lambda c: impact_service_pb2.SaveReportDraftRequest(report=_report(c, 2)),
        # Honouring the id would overwrite the accepted report of period 1.
        overrides=lambda c: {"id": c.round.reports[0], "decided_by": c.round.funder.subject},
        decided={
            "state": reports_pb2.Report.STATE_DRAFT,
            "version": 1,
            "decided_by": "",
            "decision_comment": "",
        },
        read=lambda c, m: report_by_id(c, c.round.applications[0], object_id(m)),
    ),
    Create(
        IMPACT + "CorrectReport",
        "report",
        lambda c: c.round.applicants[0],
        lambda c: impact_service_pb2.CorrectReportRequest(
            report=_report(c, 1, reason="A figure was mistyped")
        ),
        overrides=lambda c: {"id": c.round.reports[0], "decided_by": c.round.funder.subject},
        decided={
            "state": reports_pb2.Report.STATE_SUBMITTED,
            "version": 2,
            "decided_by": "",
            "decision_comment": "",
        },
        read=lambda c, m: report_by_id(c, c.round.applications[0], object_id(m)),
    ),
    Create(
        IMPACT + "RegisterPractice",
        "practice",
        lambda c: c.round.funder,
        lambda c: impact_service_pb2.RegisterPracticeRequest(
            practice=practices_pb2.Practice(
                agreement_id=c.round.applications[0],
                title="Home visits",
                description="What works",
                roadmap="Train, pilot, spread",
                organisational_model="A hub",
                financial_model="Grant, then the region",
                evidence_report_ids=[c.round.reports[0]],
            )
        ),
        decided={"direction_code": "family", "origin_region_code": "RU-PRI"},
        read=lambda c, m: practice_by_id(c, object_id(m)),
    ),
)


async def _competition(c: Ctx, cid: str) -> Message:
    return await c.ok(
        APPS + "GetCompetition", applications_service_pb2.GetCompetitionRequest(id=cid), c.funder
    )


async def _organisation(c: Ctx) -> Message:
    return await c.ok(
        APPS + "GetOrganisation",
        applications_service_pb2.GetOrganisationRequest(id=c.organisation),
        c.applicant,
    )


async def _draft_application(c: Ctx) -> Message:
    made = await c.ok(
        APPS + "CreateApplication",
        applications_service_pb2.CreateApplicationRequest(
            application=application_message(c.open_competition, c.organisation, title="To edit")
        ),
        c.applicant,
    )
    return made


async def _rubric(c: Ctx) -> Message:
    return await c.ok(
        SCORING + "GetRubric",
        scoring_service_pb2.GetRubricRequest(competition_id=c.open_competition),
        c.funder,
    )


async def _panel(c: Ctx) -> Message:
    return await c.ok(
        SCORING + "GetPanel",
        scoring_service_pb2.GetPanelRequest(competition_id=c.open_competition),
        c.funder,
    )


UPDATES: tuple[Update, ...] = (
    Update(
        APPS + "UpdateCompetition",
        "competition",
        lambda c: c.funder,
        lambda c: _competition(c, c.draft_competition),
        ("title", "Renamed by its funder"),
        keep=frozenset({"id"}),
        read=lambda c, m: get(
            c,
            APPS + "GetCompetition",
            applications_service_pb2.GetCompetitionRequest(id=c.draft_competition),
        ),
    ),
    Update(
        APPS + "UpdateOrganisation",
        "organisation",
        lambda c: c.applicant,
        _organisation,
        ("website", "https://renamed.example.org"),
        keep=frozenset({"id"}),
        immutable=frozenset({"inn"}),
        overrides=lambda c: {"inn": inn10("660500148")},
        read=lambda c, m: get(
            c,
            APPS + "GetOrganisation",
            applications_service_pb2.GetOrganisationRequest(id=c.organisation),
        ),
    ),
    Update(
        APPS + "UpdateApplication",
        "application",
        lambda c: c.applicant,
        _draft_application,
        ("title", "Retitled draft"),
        # The version is the caller's optimistic-concurrency token, checked, never stored.
        keep=frozenset({"id", "version"}),
        immutable=frozenset({"competition_id", "organisation_id"}),
        overrides=lambda c: {
            "competition_id": c.round.competition,
            "organisation_id": c.victim_organisation,
        },
        read=reader(APPS + "GetApplication", applications_service_pb2.GetApplicationRequest),
    ),
    Update(
        SCORING + "UpdatePanel",
        "panel",
        lambda c: c.funder,
        _panel,
        ("experts_per_application", 3),
        read=lambda c, m: get(
            c,
            SCORING + "GetPanel",
            scoring_service_pb2.GetPanelRequest(competition_id=c.open_competition),
        ),
    ),
)
# Write methods whose request carries resources with no server-owned field at all (a score
# sheet, an adoption) or none a mask could name (the rubric is replaced whole; see below).
NOTHING_TO_SET = {SCORING + "SubmitScore", IMPACT + "RecordAdoption"}


def test_every_write_method_has_a_mass_assignment_case() -> None:
    cased = {c.method for c in CREATES} | {u.method for u in UPDATES} | NOTHING_TO_SET
    cased.add(SCORING + "UpdateRubric")
    writes = {m.full_name for m in service_methods() if resource_fields(m.input_type)}
    # Requests carrying only request-specific messages (SROI outcome proxies) have no resource.
    assert writes - cased == set(), f"write methods without a case: {sorted(writes - cased)}"
    assert cased - writes == set(), f"cases of no write method: {sorted(cased - writes)}"
    for name in NOTHING_TO_SET:
        for _, kind in resource_fields(by_name(name).input_type):
            assert not SERVER_OWNED[kind.full_name], name


async def check_create(ctx: Ctx, case: Create) -> None:
    request = case.request(ctx)
    resource = getattr(request, case.carried)
    overrides = case.overrides(ctx)
    getattr(request, case.carried).CopyFrom(with_hostile(resource, overrides, set(case.keep)))
    got = await ctx.call(case.method, request, case.who(ctx))
    name = case.method.rpartition(".")[2]
    if not got.ok or got.response is None:
        # Refusing is as good as ignoring, if it says which field is wrong.
        if got.code is grpc.StatusCode.INVALID_ARGUMENT and got.violations:
            ctx.refusals += 1
            return
        ctx.problems.append(f"{name} with hostile server fields: {got.brief()}")
        return
    answer = got.response
    answers = [("answer", answer)]
    if case.read is not None:
        stored = await case.read(ctx, answer)
        if stored is None:
            ctx.problems.append(f"{name}: the created object cannot be read back")
        else:
            answers.append(("stored", stored))
    for label, message in answers:
        for bad in taken(message, overrides, set(case.keep)):
            ctx.problems.append(f"{name}: the {label} object took hostile {bad}")
        for fname, want in case.decided.items():
            if getattr(message, fname) != want:
                ctx.problems.append(
                    f"{name}: the {label} {fname} is {getattr(message, fname)!r}, not {want!r}"
                )
        for stamp in ("create_time", "update_time"):
            if stamp in descriptor_of(message).fields_by_name and message.HasField(stamp):
                age = time.time() - getattr(message, stamp).seconds
                if not -60 < age < 3600:
                    ctx.problems.append(f"{name}: the {label} {stamp} is not now")


async def check_update(ctx: Ctx, case: Update) -> None:
    name = case.method.rpartition(".")[2]
    who = case.who(ctx)
    current = await case.current(ctx)
    request_type = by_name(case.method).input_type

    def request(resource: Message, paths: list[str]) -> Message:
        made = message_class(request_type)()
        getattr(made, case.carried).CopyFrom(resource)
        made.update_mask.CopyFrom(FieldMask(paths=paths))  # type: ignore[attr-defined]
        return made

    overrides = case.overrides(ctx)
    fields = descriptor_of(current).fields_by_name
    fixed = sorted((SERVER_OWNED[descriptor_of(current).full_name] - case.keep) | case.immutable)
    # 1. A mask naming a field the caller may not change is refused, naming the path. A field that
    # names the object keeps its value (another would name another object), only the mask names it.
    for fname in [*fixed, *sorted(case.keep - {"version"})]:
        changed = type(current)()
        changed.CopyFrom(current)
        if fname not in case.keep:
            set_value(changed, fields[fname], hostile(fields[fname], overrides))
        got = await ctx.call(case.method, request(changed, [fname]), who)
        ctx.refusals += 1
        named = [v for v, _ in got.violations]
        if got.code is not grpc.StatusCode.INVALID_ARGUMENT or "update_mask.paths[0]" not in named:
            ctx.problems.append(f"{name} with update_mask [{fname}]: {got.brief()}")
    # 2. An empty mask (every field of the caller's) and 3. a mask naming the caller's field
    # only: the hostile values ride along and must be ignored.
    for paths in ([], [case.change[0]]):
        if "version" in case.keep:
            current = await case.current(ctx)  # a fresh draft, so the version token is current
        sneaky = with_hostile(current, overrides, set(case.keep))
        for fname in case.immutable:
            set_value(sneaky, fields[fname], hostile(fields[fname], overrides))
        setattr(sneaky, case.change[0], case.change[1])
        got = await ctx.call(case.method, request(sneaky, paths), who)
        if not got.ok or got.response is None:
            ctx.problems.append(f"{name} with mask {paths} and hostile fields: {got.brief()}")
            continue
        answers = [("answer", got.response)]
        if case.read is not None and (stored := await case.read(ctx, got.response)) is not None:
            answers.append(("stored", stored))
        for label, message in answers:
            if getattr(message, case.change[0]) != case.change[1]:
                ctx.problems.append(f"{name} mask {paths}: the {label} lost the caller's change")
            for bad in taken(message, overrides, set(case.keep)):
                ctx.problems.append(f"{name} mask {paths}: the {label} object took hostile {bad}")
            for fname in fixed:
                before, after = getattr(current, fname), getattr(message, fname)
                if fname not in ("update_time", "version") and before != after:
                    ctx.problems.append(
                        f"{name} mask {paths}: the {label} {fname} changed "
                        f"{_show(before)} -> {_show(after)}"
                    )
        current = got.response


def _show(value: Any) -> str:
    return str(MessageToDict(value)) if isinstance(value, Message) else repr(value)[:80]


async def check_rubric(ctx: Ctx) -> None:
    """A rubric is replaced whole; its maximum total is derived from the criteria."""
    current = await _rubric(ctx)
    assert isinstance(current, rubrics_pb2.Rubric)
    sent = rubrics_pb2.Rubric()
    sent.CopyFrom(current)
    sent.max_total = str(HOSTILE_NUMBER)
    got = await ctx.call(
        SCORING + "UpdateRubric", scoring_service_pb2.UpdateRubricRequest(rubric=sent), ctx.funder
    )
    stored = await _rubric(ctx)
    for label, message in (("answer", got.response), ("stored", stored)):
        if not isinstance(message, rubrics_pb2.Rubric) or message.max_total != current.max_total:
            ctx.problems.append(
                f"UpdateRubric: the {label} max_total is not derived: {got.brief()}"
            )


async def victims(ctx: Ctx) -> dict[str, Any]:
    """Objects whose ids the hostile values name, as an admin reads them."""
    r = ctx.round
    reads: dict[str, tuple[str, Message]] = {
        "competition": (
            APPS + "GetCompetition",
            applications_service_pb2.GetCompetitionRequest(id=ctx.victim_competition),
        ),
        "organisation": (
            APPS + "GetOrganisation",
            applications_service_pb2.GetOrganisationRequest(id=ctx.victim_organisation),
        ),
        "application": (
            APPS + "GetApplication",
            applications_service_pb2.GetApplicationRequest(id=r.applications[0]),
        ),
        "expert": (
            SCORING + "GetExpert",
            scoring_service_pb2.GetExpertRequest(id=r.expert.expert_id),
        ),
    }
    seen: dict[str, Any] = {}
    for label, (method, request) in reads.items():
        seen[label] = MessageToDict(await ctx.ok(method, request, ADMIN))
    report = await report_by_id(ctx, r.applications[0], r.reports[0])
    seen["report"] = MessageToDict(report) if report is not None else None
    return seen


async def test_server_owned_fields_cannot_be_set_through_grpc(gateway_stack: StackFactory) -> None:
    started = time.perf_counter()
    s = await gateway_stack()
    r = await play_round(s, "mass", [organisation_message(inn_prefix="500100732")])
    surface = Surface.of(s)
    try:
        ctx = await context(surface, r)
        before = await victims(ctx)
        for create in CREATES:
            await check_create(ctx, create)
        for update in UPDATES:
            await check_update(ctx, update)
        await check_rubric(ctx)
        after = await victims(ctx)
    finally:
        await surface.close()
    for label, seen in before.items():
        if after[label] != seen:
            ctx.problems.append(f"the {label} whose id was sent changed: {seen} -> {after[label]}")
    print(
        f"\nmass assignment: {len(CREATES)} create/save methods, {len(UPDATES)} update methods "
        f"and the rubric, {ctx.calls} calls, {ctx.refusals} refusals of masks naming server "
        f"fields; {time.perf_counter() - started:.1f}s with the round"
    )
    assert not ctx.problems, "\n".join(ctx.problems)


async def context(surface: Surface, r: Round) -> Ctx:
    funder = r.funder
    # The ids are filled in below, as the objects they name are made.
    ctx = Ctx(surface, r, funder, Identity("mass-applicant", Role.APPLICANT), "", "", "", "", "")

    async def competition(who: Identity, open_it: bool) -> str:
        made = await ctx.ok(
            APPS + "CreateCompetition",
            applications_service_pb2.CreateCompetitionRequest(competition=competition_message()),
            who,
        )
        assert isinstance(made, competitions_pb2.Competition)
        if open_it:
            await ctx.ok(
                APPS + "OpenCompetition",
                applications_service_pb2.OpenCompetitionRequest(id=made.id),
                who,
            )
        return made.id

    ctx.open_competition = await competition(funder, True)
    ctx.draft_competition = await competition(funder, False)
    ctx.victim_competition = await competition(Identity("mass-victim-funder", Role.FUNDER), False)

    async def organisation(who: Identity, prefix: str) -> str:
        made = await ctx.ok(
            APPS + "CreateOrganisation",
            applications_service_pb2.CreateOrganisationRequest(
                organisation=organisation_message(inn_prefix=prefix)
            ),
            who,
        )
        assert isinstance(made, organisations_pb2.Organisation)
        return made.id

    ctx.organisation = await organisation(ctx.applicant, "540207020")
    ctx.applicant = Identity("mass-applicant", Role.APPLICANT, organisation_id=ctx.organisation)
    ctx.victim_organisation = await organisation(
        Identity("mass-victim-applicant", Role.APPLICANT), "770708389"
    )

    async def panel() -> bool | None:
        got = await surface.call(
            by_name(SCORING + "GetPanel"),
            scoring_service_pb2.GetPanelRequest(competition_id=ctx.open_competition),
            funder,
        )
        return True if got.ok else None

    await eventually(panel)
    assert isinstance(await _panel(ctx), panels_pb2.Panel)
    return ctx
