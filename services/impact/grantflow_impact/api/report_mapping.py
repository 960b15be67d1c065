"""Protobuf messages of agreements, reports and progress, to domain values and back."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from grantflow.impact.v1 import agreements_pb2, progress_pb2, reports_pb2
from grantflow_runtime.errors import Violations
from grantflow_runtime.money import Money
from grantflow_runtime.protoconv import (
    from_date,
    from_money,
    parse_decimal,
    to_date,
    to_money,
    to_timestamp,
)

from grantflow_impact.api.progress import Progress
from grantflow_impact.domain.agreements import Agreement
from grantflow_impact.domain.reports import (
    Expenditure,
    FinancesInput,
    IndicatorValue,
    Report,
    ReportContent,
    ReportState,
)

REPORT_STATES = {
    ReportState.DRAFT: reports_pb2.Report.STATE_DRAFT,
    ReportState.SUBMITTED: reports_pb2.Report.STATE_SUBMITTED,
    ReportState.ACCEPTED: reports_pb2.Report.STATE_ACCEPTED,
    ReportState.RETURNED: reports_pb2.Report.STATE_RETURNED,
}


def _dec(v: Violations, field: str, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return parse_decimal(text)
    except ValueError as exc:
        v.add(field, str(exc), "format")
        return None


def _text(value: Decimal | Fraction | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Fraction):
        return str(Decimal(value.numerator) / Decimal(value.denominator))
    return str(value)


def content_from_proto(m: reports_pb2.Report, prefix: str = "report") -> ReportContent:
    v = Violations()
    values = tuple(
        IndicatorValue(
            key=x.key,
            value=_dec(v, f"{prefix}.indicator_values[{i}].value", x.value),
            unit=x.unit,
            numerator=_dec(v, f"{prefix}.indicator_values[{i}].numerator", x.numerator),
            denominator=_dec(v, f"{prefix}.indicator_values[{i}].denominator", x.denominator),
        )
        for i, x in enumerate(m.indicator_values)
    )
    expenditures = []
    for i, e in enumerate(m.expenditures):
        try:
            spent_on = from_date(e.spent_on, e.HasField("spent_on"))
        except ValueError as exc:
            v.add(f"{prefix}.expenditures[{i}].spent_on", str(exc), "format")
            spent_on = None
        expenditures.append(
            Expenditure(
                category=e.category,
                grant_part=from_money(e.grant_part, e.HasField("grant_part")) or Money(0),
                cofinanced_part=from_money(e.cofinanced_part, e.HasField("cofinanced_part"))
                or Money(0),
                spent_on=spent_on,
            )
        )
    finances = None
    if m.HasField("finances"):
        f = m.finances
        finances = FinancesInput(
            revenue={
                r.category: from_money(r.amount, r.HasField("amount")) or Money(0)
                for r in f.revenue
            },
            expenses=from_money(f.expenses, f.HasField("expenses")) or Money(0),
            net_assets=from_money(f.net_assets, f.HasField("net_assets")) or Money(0),
            period_months=f.period_months or 12,
        )
    v.raise_if_any()
    return ReportContent(
        indicator_values=values,
        expenditures=tuple(expenditures),
        cofinancing_received=tuple(
            (s.source, from_money(s.amount, s.HasField("amount")) or Money(0))
            for s in m.cofinancing_received
        ),
        finances=finances,
        narrative=m.narrative,
    )


def report_to_proto(r: Report) -> reports_pb2.Report:
    c = r.content
    message = reports_pb2.Report(
        id=r.id,
        agreement_id=r.agreement_id,
        period_number=r.period_number,
        version=r.version,
        state=REPORT_STATES[r.state],
        indicator_values=[
            reports_pb2.IndicatorValue(
                key=x.key,
                value=_text(x.value),
                unit=x.unit,
                numerator=_text(x.numerator),
                denominator=_text(x.denominator),
            )
            for x in c.indicator_values
        ],
        expenditures=[
            reports_pb2.Expenditure(
                category=e.category,
                grant_part=to_money(e.grant_part),
                cofinanced_part=to_money(e.cofinanced_part),
                spent_on=to_date(e.spent_on),
            )
            for e in c.expenditures
        ],
        cofinancing_received=[
            agreements_pb2.SourceAmount(source=s, amount=to_money(m))
            for s, m in c.cofinancing_received
        ],
        narrative=c.narrative,
        correction_reason=r.correction_reason,
        decided_by=r.decided_by,
        decision_comment=r.decision_comment,
    )
    if c.finances is not None:
        message.finances.CopyFrom(
            reports_pb2.OrganisationFinances(
                revenue=[
                    reports_pb2.RevenueAmount(category=k, amount=to_money(m))
                    for k, m in sorted(c.finances.revenue.items())
                ],
                expenses=to_money(c.finances.expenses),
                net_assets=to_money(c.finances.net_assets),
                period_months=c.finances.period_months,
            )
        )
    if r.submitted_at is not None:
        message.submit_time.CopyFrom(to_timestamp(r.submitted_at))
    if r.decided_at is not None:
        message.decide_time.CopyFrom(to_timestamp(r.decided_at))
    return message


def agreement_to_proto(a: Agreement) -> agreements_pb2.Agreement:
    return agreements_pb2.Agreement(
        id=a.id,
        competition_id=a.competition_id,
        organisation_id=a.organisation_id,
        organisation_name=a.organisation_name,
        region_code=a.region_code,
        direction_code=a.direction_code,
        title=a.title,
        grant=to_money(a.grant),
        cofinancing_committed=[
            agreements_pb2.SourceAmount(source=s, amount=to_money(m))
            for s, m in a.cofinancing_committed
        ],
        starts_on=to_date(a.starts_on),
        ends_on=to_date(a.ends_on),
        budget=[
            agreements_pb2.BudgetLinePlan(
                category=b.category,
                grant_amount=to_money(b.grant_amount),
                cofinanced_amount=to_money(b.cofinanced_amount),
            )
            for b in a.budget
        ],
        indicators=[
            agreements_pb2.AgreementIndicator(
                key=i.key,
                title=i.title,
                unit=i.unit,
                baseline=str(i.baseline),
                target=str(i.target),
                aggregation=i.aggregation.value,
                direction=i.direction.value,
            )
            for i in a.indicators
        ],
        schedule=[
            agreements_pb2.ReportingPeriod(
                number=p.number,
                kind=p.kind,
                starts_on=to_date(p.starts_on),
                ends_on=to_date(p.ends_on),
                due_on=to_date(p.due_on),
            )
            for p in a.schedule
        ],
        create_time=to_timestamp(a.created_at),
        funder=a.funder,
    )


def progress_to_proto(p: Progress) -> progress_pb2.Progress:
    message = progress_pb2.Progress(
        agreement_id=p.agreement.id,
        as_of=to_date(p.as_of),
        elapsed_share=_text(Decimal(p.elapsed.numerator) / Decimal(p.elapsed.denominator)),
        indicators=[
            progress_pb2.IndicatorProgress(
                key=key,
                title=title,
                actual=_text(a.actual),
                target=_text(a.target),
                ratio=_text(a.ratio),
                prorated_target=_text(a.prorated_target),
                prorated_ratio=_text(a.prorated_ratio),
                status=a.status,
                note=a.note,
            )
            for key, title, a in p.indicators
        ],
        spending=[
            progress_pb2.LineSpending(
                category=s.category,
                budget_grant=to_money(s.budget_grant),
                budget_cofinanced=to_money(s.budget_cofinanced),
                spent_grant=to_money(s.spent_grant),
                spent_cofinanced=to_money(s.spent_cofinanced),
                variance_grant=to_money(s.variance_grant),
                variance_cofinanced=to_money(s.variance_cofinanced),
                overspent=s.overspent,
            )
            for s in p.spending
        ],
        cofinancing=[
            progress_pb2.CofinancingCompliance(
                source=c.key,
                committed=to_money(c.committed),
                received=to_money(c.received),
                ratio=_text(c.ratio),
                prorated_ratio=_text(c.prorated_ratio),
                shortfall=c.shortfall,
            )
            for c in p.cofinancing
        ],
        late_periods=[period.number for period in p.late],
    )
    s = p.sustainability
    if s is not None:
        message.sustainability.CopyFrom(
            progress_pb2.Sustainability(
                period_end=to_date(s.period_end),
                hhi=_text(s.hhi),
                grant_dependence=_text(s.grant_dependence),
                earned_income_share=_text(s.earned_income_share),
                reserve_months=_text(s.reserve_months),
                operating_margin=_text(s.operating_margin),
                equity_ratio=_text(s.equity_ratio),
                risk=s.risk.value,
                reasons=list(s.reasons),
                trend=p.sustainability_trend.value,
            )
        )
    return message
