"""The seeded round: one pure function from settings and the deadline to everything the demo will
register. Same seed, size and deadline: the same organisations, applications and experts.

Each part draws from its own generator, seeded by the seed and the part's name, so changing how
experts are drawn never reshuffles the organisations.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from grantflow_cli.demo import names, words
from grantflow_cli.demo.identifiers import inn10, ogrn13
from grantflow_cli.demo.model import (
    ApplicationPlan,
    BudgetLinePlan,
    CompetitionPlan,
    ExpertPlan,
    Flaw,
    OrganisationPlan,
    ResultPlan,
    RoundPlan,
    SourcePlan,
    add_months,
)
from grantflow_cli.demo.regions import CAPITALS, ELIGIBLE, REGIONS
from grantflow_cli.demo.settings import DEMO_TITLE, DemoSettings, describe, expert_subject

RUB = 100  # kopecks in a rouble

# Where social innovation concentrates (shared DOMAIN.md): health and social care a third,
# education a quarter, disparities and employment about a fifth each, ecology a few percent.
DIRECTION_WEIGHTS: dict[str, float] = {
    "social-services": 0.17,
    "health": 0.16,
    "family": 0.14,
    "education": 0.25,
    "youth": 0.16,
    "culture": 0.08,
    "environment": 0.04,
}
MIN_GRANT = 100_000 * RUB
MAX_GRANT = 5_000_000 * RUB
SMALL_REQUEST = 500_000 * RUB
MIN_COFINANCING_PERCENT = 15
MAX_DURATION_MONTHS = 24
VALID_DURATIONS = (9, 12, 12, 12, 15, 18)
# Applications are many more than the money: about a third of the requested amount is funded.
FUNDED_SHARE_OF_DEMAND = 0.3
MEAN_REQUEST = 1_600_000 * RUB
BENEFICIARIES = "beneficiaries-reached"
VOLUNTEERS = "volunteers-engaged"


def build_plan(settings: DemoSettings, deadline: date) -> RoundPlan:
    competition = competition_plan(settings, deadline)
    flaws = assign_flaws(settings)
    partners = partner_pool(settings)
    organisations = tuple(
        organisation_plan(settings, number, flaws[number - 1], deadline)
        for number in range(1, settings.organisations + 1)
    )
    applications = tuple(
        application_plan(settings, competition, org, flaws[org.number - 1], partners)
        for org in organisations
    )
    experts = expert_plans(settings, competition, organisations, applications, partners)
    return RoundPlan(
        seed=settings.seed,
        competition=competition,
        organisations=organisations,
        applications=applications,
        experts=experts,
    )


def _rng(settings: DemoSettings, *part: object) -> random.Random:
    # String seeds hash with SHA-512, the same in every process (unlike hash()).
    return random.Random("/".join(str(p) for p in (settings.seed, *part)))


def competition_plan(settings: DemoSettings, deadline: date) -> CompetitionPlan:
    demand = settings.organisations * MEAN_REQUEST
    budget = max(2 * MAX_GRANT, _round_roubles(demand * FUNDED_SHARE_OF_DEMAND, 1_000_000))
    return CompetitionPlan(
        title=DEMO_TITLE,
        description=(
            "Гранты некоммерческим организациям регионов на социальные инновации: услуги для"
            " пожилых и людей с инвалидностью, поддержка семей, образование, молодёжь, культура и"
            " экология. Обязательное софинансирование не менее 15%, не более половины из него —"
            " в натуральной форме. Организации Москвы и Санкт-Петербурга не участвуют."
            f" Демонстрационные данные: {describe(settings)}."
        ),
        directions=tuple(DIRECTION_WEIGHTS),
        min_grant=MIN_GRANT,
        max_grant=MAX_GRANT,
        budget=budget,
        # Small directions get a cap so one strong field cannot take the whole pool.
        quotas=(
            ("culture", _round_roubles(budget * 0.10, 1_000_000)),
            ("environment", _round_roubles(budget * 0.06, 1_000_000)),
        ),
        min_cofinancing_percent=str(MIN_COFINANCING_PERCENT),
        # Other grants do not count: a funder wants money that is new to the project.
        allowed_cofinancing_types=(
            "COFINANCING_TYPE_OWN_FUNDS",
            "COFINANCING_TYPE_BUSINESS_PARTNER",
            "COFINANCING_TYPE_REGIONAL_BUDGET",
            "COFINANCING_TYPE_IN_KIND",
        ),
        in_kind_cap_percent="50",
        max_duration_months=MAX_DURATION_MONTHS,
        eligible_regions=ELIGIBLE,
        required_indicators=(BENEFICIARIES,),
        time_zone=settings.time_zone,
        deadline=deadline,
    )


def _round_roubles(kopecks: float, step_roubles: int) -> int:
    step = step_roubles * RUB
    return max(step, round(kopecks / step) * step)


def assign_flaws(settings: DemoSettings) -> list[Flaw | None]:
    """Which organisations' applications break a rule: `invalid_share` of them, the kinds in
    turn, so every kind shows once there are at least five invalid applications."""
    count = round(settings.organisations * settings.invalid_share)
    rng = _rng(settings, "flaws")
    chosen = rng.sample(range(settings.organisations), count)
    kinds = list(Flaw)
    rng.shuffle(kinds)
    flaws: list[Flaw | None] = [None] * settings.organisations
    for i, index in enumerate(sorted(chosen)):
        flaws[index] = kinds[i % len(kinds)]
    return flaws


def _weighted_region(rng: random.Random, codes: tuple[str, ...]) -> str:
    return rng.choices(codes, weights=[REGIONS[c].weight for c in codes])[0]


def organisation_plan(
    settings: DemoSettings, number: int, flaw: Flaw | None, deadline: date
) -> OrganisationPlan:
    rng = _rng(settings, "organisation", number)
    name, legal_form = names.organisation_name(rng)
    region = (
        rng.choice(CAPITALS) if flaw is Flaw.INELIGIBLE_REGION else _weighted_region(rng, ELIGIBLE)
    )
    if flaw is Flaw.REGISTERED_TOO_RECENTLY:
        registered = add_months(deadline, -rng.randint(2, 4))
    elif flaw is None and rng.random() < 0.08:
        # Young organisations may still apply for small grants (6 months instead of 12).
        registered = add_months(deadline, -rng.randint(7, 11))
    else:
        registered = add_months(deadline, -rng.randint(14, 300))
    registered -= timedelta(days=rng.randint(0, 27))
    number_code = REGIONS[region].number
    return OrganisationPlan(
        number=number,
        name=name,
        legal_form=legal_form,
        inn=inn10(rng, number_code),
        ogrn=ogrn13(rng, number_code, registered),
        region=region,
        registered_on=registered,
        contact_name=names.person_name(rng),
        email=f"info@ngo{number:04d}.example.org",
        phone=f"+7 ({rng.randint(300, 999)}) {rng.randint(200, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        website=f"https://ngo{number:04d}.example.org",
    )


def partner_pool(settings: DemoSettings) -> tuple[tuple[str, str], ...]:
    """Companies that co-finance projects: (name, INN)."""
    rng = _rng(settings, "partners")
    size = max(8, settings.organisations // 15)
    seen: set[str] = set()
    pool: list[tuple[str, str]] = []
    while len(pool) < size:
        name = names.partner_name(rng)
        inn = inn10(rng, REGIONS[_weighted_region(rng, ELIGIBLE)].number)
        if name not in seen:
            seen.add(name)
            pool.append((name, inn))
    return tuple(pool)


def _requested(rng: random.Random, flaw: Flaw | None, registered_recently: bool) -> int:
    """Half the requests are up to 1 million roubles, about 44% 1-5 million (shared DOMAIN.md)."""
    if flaw is Flaw.OVER_MAX_GRANT:
        roubles = rng.uniform(5_300_000, 6_800_000)
    elif registered_recently:
        roubles = rng.uniform(150_000, SMALL_REQUEST / RUB)
    else:
        u = rng.random()
        if u < 0.48:
            roubles = rng.uniform(150_000, 1_000_000)
        elif u < 0.92:
            roubles = rng.uniform(1_000_000, 3_500_000)
        else:
            roubles = rng.uniform(3_500_000, 5_000_000)
    return round(roubles / 10_000) * 10_000 * RUB


def _split(total: int, weights: list[float], step: int) -> list[int]:
    """`total` in parts proportional to `weights`, each a multiple of `step` except the first,
    which takes the rounding remainder so the parts add up exactly."""
    whole = sum(weights)
    parts = [int(total * w / whole) // step * step for w in weights]
    parts[0] += total - sum(parts)
    return parts


def application_plan(
    settings: DemoSettings,
    competition: CompetitionPlan,
    org: OrganisationPlan,
    flaw: Flaw | None,
    partners: tuple[tuple[str, str], ...],
) -> ApplicationPlan:
    rng = _rng(settings, "application", org.number)
    directions = list(DIRECTION_WEIGHTS)
    direction = rng.choices(directions, weights=[DIRECTION_WEIGHTS[d] for d in directions])[0]
    idea, what = rng.choice(words.PROJECT_IDEAS[direction])
    group = rng.choice(words.TARGET_GROUPS[direction])
    title = idea + rng.choice(words.TITLE_VARIANTS)
    summary = f"{what} Целевая группа: {group}."

    # A capital's NGO runs its project in a region, so only its own registration is ineligible.
    home = rng.choice(ELIGIBLE) if flaw is Flaw.INELIGIBLE_REGION else org.region
    regions = [home]
    if rng.random() < 0.15:
        regions.append(_weighted_region(rng, tuple(c for c in ELIGIBLE if c != home)))

    months = 30 if flaw is Flaw.TOO_LONG else rng.choice(VALID_DURATIONS)
    start = competition.deadline
    end = add_months(start, months) - timedelta(days=1)

    young = (competition.deadline - org.registered_on).days < 365
    requested = _requested(rng, flaw, young and flaw is None)
    share = (
        rng.uniform(0.04, 0.11)
        if flaw is Flaw.COFINANCING_BELOW_MINIMUM
        else rng.uniform(0.18, 0.55)
    )
    cofinancing = round(requested * share / (1 - share) / (1_000 * RUB)) * 1_000 * RUB
    lines = _budget_lines(rng, requested, cofinancing)
    sources = _sources(rng, cofinancing, partners)
    beneficiaries = max(20, int(requested / RUB / rng.uniform(6_000, 25_000)))
    own_title, own_unit = words.DIRECTION_RESULTS[direction]
    results = [
        ResultPlan("Получатели услуг проекта", "people", beneficiaries, BENEFICIARIES),
        ResultPlan(own_title, own_unit, rng.randint(12, 150)),
    ]
    if rng.random() < 0.5:
        results.append(
            ResultPlan("Привлечено добровольцев", "volunteers", rng.randint(5, 60), VOLUNTEERS)
        )
    if rng.random() < 0.4:
        results.append(
            ResultPlan("Доля участников, отметивших улучшение", "%", rng.randint(60, 85))
        )
    return ApplicationPlan(
        number=org.number,
        direction=direction,
        title=title,
        summary=summary,
        regions=tuple(regions),
        start=start,
        end=end,
        target_groups=(group,),
        results=tuple(results),
        lines=lines,
        sources=sources,
        flaw=flaw,
        quality=min(95.0, max(25.0, rng.gauss(63, 12))),
        divergent=flaw is None and rng.random() < 0.08,
    )


def _budget_lines(
    rng: random.Random, requested: int, cofinancing: int
) -> tuple[BudgetLinePlan, ...]:
    others = rng.sample(words.BUDGET_CATEGORIES[1:], rng.randint(2, 5))
    chosen = [words.BUDGET_CATEGORIES[0], *others]
    rest = [rng.uniform(0.5, 1.5) for _ in others]
    # Salaries carry about half of a social project's cost.
    salaries = rng.uniform(0.4, 0.6)
    weights = [sum(rest) * salaries / (1 - salaries), *rest]
    grants = _split(requested, weights, 100 * RUB)
    cofinanced = _split(cofinancing, weights, 100 * RUB)
    return tuple(
        BudgetLinePlan(category, description, grant, cof)
        for (category, description), grant, cof in zip(chosen, grants, cofinanced, strict=True)
    )


def _sources(
    rng: random.Random, total: int, partners: tuple[tuple[str, str], ...]
) -> tuple[SourcePlan, ...]:
    """Own funds always; in-kind, a business partner and a regional subsidy often. In-kind stays
    under 40% so the competition's 50% cap never bites a valid application."""
    kinds: list[tuple[str, float]] = [("own_funds", rng.uniform(0.5, 1.5))]
    if rng.random() < 0.6:
        kinds.append(("in_kind", rng.uniform(0.3, 0.9)))
    if rng.random() < 0.45:
        kinds.append(("business_partner", rng.uniform(0.8, 2.0)))
    if rng.random() < 0.35:
        kinds.append(("regional_budget", rng.uniform(0.5, 1.5)))
    cash = sum(w for k, w in kinds if k != "in_kind")
    # In-kind at most 40% of the whole: k / (cash + k) <= 0.4 means k <= cash * 2 / 3.
    kinds = [(k, min(w, cash * 2 / 3) if k == "in_kind" else w) for k, w in kinds]
    amounts = _split(total, [w for _, w in kinds], 100 * RUB)
    # A source must bring something; a share rounded away goes to own funds.
    amounts[0] += sum(a for a in amounts[1:] if a == 0)
    sources = []
    for (kind, _), amount in zip(kinds, amounts, strict=True):
        if amount == 0:
            continue
        if kind == "business_partner":
            partner, inn = rng.choice(partners)
            sources.append(SourcePlan(kind, partner, inn, amount, True))
        elif kind == "regional_budget":
            sources.append(
                SourcePlan(kind, "Субсидия СО НКО из бюджета субъекта РФ", "", amount, True)
            )
        elif kind == "in_kind":
            sources.append(
                SourcePlan(kind, "Труд добровольцев и помещение партнёра", "", amount, False)
            )
        else:
            sources.append(SourcePlan(kind, "", "", amount, False))
    return tuple(sources)


def expert_plans(
    settings: DemoSettings,
    competition: CompetitionPlan,
    organisations: tuple[OrganisationPlan, ...],
    applications: tuple[ApplicationPlan, ...],
    partners: tuple[tuple[str, str], ...],
) -> tuple[ExpertPlan, ...]:
    count = settings.expert_count
    rng = _rng(settings, "experts")
    valid = [a for a in applications if a.flaw is None]
    coverage = expert_directions(rng, competition.directions, valid, count)
    # A ceiling, not a target: the service's assignment spreads the load evenly below it.
    max_load = math.ceil(4 * len(valid) / count) + 5
    declaring = set(rng.sample(range(count), min(2, count)))
    experts = []
    for i in range(count):
        own = coverage[i]
        in_field = [a for a in valid if a.direction in own]
        affiliations: list[str] = []
        if in_field and rng.random() < 0.3:
            affiliations.append(organisations[rng.choice(in_field).number - 1].inn)
        if rng.random() < 0.1:
            affiliations.append(rng.choice(partners)[1])
        declared: tuple[tuple[str, str], ...] = ()
        if i in declaring and in_field:
            declared = (
                (
                    organisations[rng.choice(in_field).number - 1].inn,
                    "Член попечительского совета организации-заявителя",
                ),
            )
        experts.append(
            ExpertPlan(
                number=i + 1,
                subject=expert_subject(i + 1),
                name=names.person_name(rng),
                directions=own,
                region=_weighted_region(rng, tuple(REGIONS)),
                affiliations=tuple(affiliations),
                declared=declared,
                max_load=max_load,
                severity=rng.gauss(0, 0.35),
            )
        )
    return tuple(experts)


def expert_directions(
    rng: random.Random,
    directions: tuple[str, ...],
    applications: list[ApplicationPlan],
    count: int,
) -> list[tuple[str, ...]]:
    """The directions of each of `count` experts: every direction covered by at least four
    (two per application and up to two extra when totals diverge), the rest of the seats in
    proportion to the applications in each direction."""
    per_expert = min(len(directions), max(2, math.ceil(4 * len(directions) / count)))
    seats = count * per_expert
    floor = min(4, count)
    demand = {d: sum(1 for a in applications if a.direction == d) for d in directions}
    spare = seats - floor * len(directions)
    whole = sum(demand.values()) or 1
    share = {d: spare * demand[d] / whole for d in directions}
    counts = {d: floor + int(share[d]) for d in directions}
    # Largest remainders fill the seats the rounding left over.
    for d in sorted(directions, key=lambda d: share[d] - int(share[d]), reverse=True):
        if sum(counts.values()) >= seats:
            break
        counts[d] += 1
    # No direction can have more experts than there are; the excess goes to the least covered.
    for d in directions:
        while counts[d] > count:
            counts[d] -= 1
            counts[min(directions, key=lambda x: counts[x])] += 1
    # Each direction's seats go to the experts with the fewest directions so far, ties broken at
    # random, so the fields mix (an educator may also know culture) and everyone gets as many.
    own: list[list[str]] = [[] for _ in range(count)]
    for d in sorted(directions, key=lambda d: -counts[d]):
        tie = {i: rng.random() for i in range(count)}
        for i in sorted(range(count), key=lambda i: (len(own[i]), tie[i]))[: counts[d]]:
            own[i].append(d)
    return [tuple(sorted(o)) for o in own]
