"""What funded projects report, quarter by quarter: most keep to plan, some excel, and some go
wrong in the ways a funder's alerts exist for (an indicator stuck at zero, a partner who never
pays, grant money over a line's plan, finances sliding into risk). Pure: the same agreement,
trajectory and period always give the same report."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from grantflow_cli.demo.generate import BENEFICIARIES

Json = dict[str, Any]


class Trajectory(StrEnum):
    STEADY = "steady"
    STAR = "star"
    UNDERPERFORMING = "underperforming"
    COFINANCING_GAP = "cofinancing_gap"
    SUSTAINABILITY_DRIFT = "sustainability_drift"
    OVERSPEND = "overspend"


# Share of funded projects on each troubled or exemplary path; every path shows at least once
# when there are enough projects, the rest keep to plan.
TRAJECTORY_SHARES: tuple[tuple[Trajectory, float], ...] = (
    (Trajectory.STAR, 0.12),
    (Trajectory.UNDERPERFORMING, 0.10),
    (Trajectory.COFINANCING_GAP, 0.08),
    (Trajectory.SUSTAINABILITY_DRIFT, 0.08),
    (Trajectory.OVERSPEND, 0.05),
)
RETURNED_SHARE = 0.06
PERCENT_DENOMINATORS = (20, 25, 40, 50, 100, 200)  # 100/d has at most one decimal


def assign_trajectories(seed: int, funded: list[int]) -> dict[int, Trajectory]:
    """The path of each funded application (by number), decided once the awards are known."""
    numbers = sorted(funded)
    random.Random(f"{seed}/trajectories").shuffle(numbers)
    paths: dict[int, Trajectory] = {}
    cursor = 0
    for trajectory, share in TRAJECTORY_SHARES:
        take = min(max(1, round(share * len(numbers))), len(numbers) - cursor)
        for number in numbers[cursor : cursor + take]:
            paths[number] = trajectory
        cursor += take
    for number in numbers[cursor:]:
        paths[number] = Trajectory.STEADY
    return paths


def returned_once(seed: int, paths: dict[int, Trajectory]) -> set[int]:
    """Projects whose first report the funder returns for a fix (all on plan otherwise)."""
    steady = sorted(n for n, t in paths.items() if t is Trajectory.STEADY)
    if not steady:
        return set()
    count = max(1, round(RETURNED_SHARE * len(paths)))
    return set(random.Random(f"{seed}/returned").sample(steady, min(count, len(steady))))


def _date(value: Json) -> date:
    return date(int(value["year"]), int(value["month"]), int(value["day"]))


def _kopecks(value: Json) -> int:
    return int(value.get("minorUnits", "0"))


def _money(kopecks: int) -> Json:
    return {"minorUnits": str(kopecks), "currencyCode": "RUB"}


def _roubles(kopecks: float) -> int:
    """Whole roubles, as accountants report them."""
    return max(0, round(kopecks / 100)) * 100


def progress_periods(agreement: Json, quarters: int) -> list[int]:
    """The progress periods (never the final one) the demo reports on, at most `quarters`."""
    numbers = [int(p["number"]) for p in agreement["schedule"] if p["kind"] == "progress"]
    return sorted(numbers)[:quarters]


@dataclass(frozen=True)
class Context:
    seed: int
    number: int  # the application's number in the plan
    trajectory: Trajectory
    agreement: Json


def _period_share(agreement: Json, period: int) -> float:
    """The period's part of the project, in days."""
    found = next(p for p in agreement["schedule"] if int(p["number"]) == period)
    days = (_date(found["endsOn"]) - _date(found["startsOn"])).days + 1
    whole = (_date(agreement["endsOn"]) - _date(agreement["startsOn"])).days + 1
    return days / whole


def report_body(ctx: Context, period: int) -> Json:
    rng = random.Random(f"{ctx.seed}/report/{ctx.number}/{period}")
    share = _period_share(ctx.agreement, period)
    return {
        "indicatorValues": _indicators(ctx, rng, share),
        "expenditures": _expenditures(ctx, rng, share, period),
        "cofinancingReceived": _cofinancing(ctx, rng, share),
        "finances": _finances(ctx, period),
        "narrative": _narrative(ctx.trajectory, period),
    }


def _indicators(ctx: Context, rng: random.Random, share: float) -> list[Json]:
    values = []
    for indicator in ctx.agreement["indicators"]:
        target = float(Decimal(indicator["target"] or "0"))
        if target <= 0:
            continue  # a required indicator nobody promised: nothing to report against
        factor = {
            Trajectory.STAR: rng.uniform(1.1, 1.35),
            Trajectory.UNDERPERFORMING: rng.uniform(0.3, 0.6),
        }.get(ctx.trajectory, rng.uniform(0.85, 1.1))
        entry: Json = {"key": indicator["key"], "unit": indicator["unit"]}
        if indicator["unit"].strip() == "%":
            denominator = rng.choice(PERCENT_DENOMINATORS)
            numerator = min(denominator, round(denominator * min(100.0, target * factor) / 100))
            entry["numerator"] = str(numerator)
            entry["denominator"] = str(denominator)
            entry["value"] = format(Decimal(100 * numerator) / Decimal(denominator), "f")
        elif ctx.trajectory is Trajectory.UNDERPERFORMING and indicator["key"] == BENEFICIARIES:
            # Recruitment never started: reported as zero, which is a value, not a missing one.
            entry["value"] = "0"
        elif indicator["aggregation"] == "sum":
            entry["value"] = str(round(target * share * factor))
        else:
            entry["value"] = str(round(target * factor))
        values.append(entry)
    return values


def _overspent_line(agreement: Json) -> str:
    lines = [b for b in agreement["budget"] if b["category"] != "salaries"] or agreement["budget"]
    return str(max(lines, key=lambda b: _kopecks(b["grantAmount"]))["category"])


def _expenditures(ctx: Context, rng: random.Random, share: float, period: int) -> list[Json]:
    over = _overspent_line(ctx.agreement) if ctx.trajectory is Trajectory.OVERSPEND else ""
    spent = []
    for line in ctx.agreement["budget"]:
        grant, cofinanced = _kopecks(line["grantAmount"]), _kopecks(line["cofinancedAmount"])
        factor = rng.uniform(0.85, 1.05)
        grant_part = grant * share * factor
        if line["category"] == over:
            # Two quarters spend a quarter more than the line's whole plan: a critical overspend.
            grant_part = grant * (0.65 if period == 1 else 0.6 if period == 2 else 0.05)
        spent.append(
            {
                "category": line["category"],
                "grantPart": _money(_roubles(grant_part)),
                "cofinancedPart": _money(_roubles(cofinanced * share * factor)),
            }
        )
    return spent


def _gap_source(agreement: Json) -> str:
    committed = [str(c["source"]) for c in agreement["cofinancingCommitted"]]
    for preferred in ("business_partner", "regional_budget", "in_kind"):
        if preferred in committed:
            return preferred
    return committed[0] if committed else ""


def _cofinancing(ctx: Context, rng: random.Random, share: float) -> list[Json]:
    gap = _gap_source(ctx.agreement) if ctx.trajectory is Trajectory.COFINANCING_GAP else ""
    received = []
    for c in ctx.agreement["cofinancingCommitted"]:
        amount = (
            0
            if c["source"] == gap
            else _roubles(_kopecks(c["amount"]) * share * rng.uniform(0.9, 1.1))
        )
        received.append({"source": c["source"], "amount": _money(amount)})
    return received


def _finances(ctx: Context, period: int) -> Json:
    """A quarter of the organisation's finances. Healthy organisations keep a diverse income,
    a balanced budget and 3.5-8 months of reserves; a drifting one comes to live on grants, runs
    deficits and eats its reserves (amber by the second quarter, red by the third)."""
    rng = random.Random(f"{ctx.seed}/finances/{ctx.number}")
    grant = _kopecks(ctx.agreement["grant"])
    months = max(1, _project_months(ctx.agreement))
    grant_share = rng.uniform(0.3, 0.5)
    quarter_revenue = grant / months * 3 / grant_share
    others = {
        "earned_income": rng.uniform(0.1, 0.25),
        "donations": rng.uniform(0.1, 0.25),
        "business": rng.uniform(0.05, 0.15),
        "government": rng.uniform(0.05, 0.15),
    }
    margin, reserve_months = rng.uniform(-0.02, 0.05), rng.uniform(3.5, 8.0)
    if ctx.trajectory is Trajectory.SUSTAINABILITY_DRIFT and period >= 2:
        grant_share = 0.85 if period == 2 else 0.9
        margin = -0.05 if period == 2 else -0.3
        reserve_months = 2.2 if period == 2 else 0.6
    drift = random.Random(f"{ctx.seed}/finances/{ctx.number}/{period}")
    revenue = quarter_revenue * drift.uniform(0.9, 1.1)
    rest = sum(others.values())
    amounts = {"grants": revenue * grant_share}
    amounts.update({k: revenue * (1 - grant_share) * v / rest for k, v in others.items()})
    expenses = revenue * (1 - margin)
    return {
        "revenue": [{"category": k, "amount": _money(_roubles(v))} for k, v in amounts.items()],
        "expenses": _money(_roubles(expenses)),
        "netAssets": _money(_roubles(expenses / 3 * reserve_months)),
        "periodMonths": 3,
    }


def _project_months(agreement: Json) -> int:
    start, end = _date(agreement["startsOn"]), _date(agreement["endsOn"])
    return round(((end - start).days + 1) / 30.44)


_NARRATIVES: dict[Trajectory, str] = {
    Trajectory.STEADY: "Мероприятия проекта выполняются по календарному плану.",
    Trajectory.STAR: (
        "Охват превысил плановый: к проекту присоединились новые районы, практика описана для"
        " передачи другим организациям."
    ),
    Trajectory.UNDERPERFORMING: (
        "Набор участников не начат: помещение не готово, специалисты ещё не приняты на работу."
    ),
    Trajectory.COFINANCING_GAP: (
        "Работы идут по плану, но партнёр не перечислил обещанное софинансирование."
    ),
    Trajectory.SUSTAINABILITY_DRIFT: (
        "Организация лишилась части доходов от услуг; расходы покрываются из резервов."
    ),
    Trajectory.OVERSPEND: "Закупки пришлось провести раньше и дороже запланированного.",
}


def _narrative(trajectory: Trajectory, period: int) -> str:
    return f"Отчёт за период {period}. {_NARRATIVES[trajectory]}"


def returned_comment(report: Json) -> str:
    category = report["expenditures"][0]["category"] if report["expenditures"] else "расходы"
    return (
        f"Расходы по строке «{category}» не подтверждены документами: приложите договоры и акты"
        " и уточните сумму."
    )


def corrected_body(original: Json) -> Json:
    """The grantee's fix of a returned report: the questioned line 5% lower, documents attached."""
    fixed = {**original, "expenditures": [dict(e) for e in original["expenditures"]]}
    if fixed["expenditures"]:
        first = fixed["expenditures"][0]
        first["grantPart"] = _money(_roubles(_kopecks(first["grantPart"]) * 0.95))
    fixed["narrative"] = original["narrative"] + " Приложены договоры и акты; сумма уточнена."
    fixed["correctionReason"] = "Приложены подтверждающие документы, уточнена сумма расходов."
    return fixed
