"""Replicable practices from the best funded projects, and the organisations in other regions
that take them up (shared DOMAIN.md, "Identify, demonstrate, replicate")."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from grantflow_cli.demo import names
from grantflow_cli.demo.identifiers import inn10
from grantflow_cli.demo.regions import ELIGIBLE, REGIONS

Json = dict[str, Any]


def choose(candidates: list[int], preferred: set[int], already: int, wanted: int) -> list[int]:
    """Which candidate projects (by application number) to register: exemplary ones first, then
    the rest in number order; `already` registered ones count towards `wanted`."""
    ordered = sorted(candidates, key=lambda n: (n not in preferred, n))
    return ordered[: max(0, wanted - already)]


def practice_body(agreement: Json, evidence: list[str]) -> Json:
    grant = int(agreement["grant"]["minorUnits"]) // 100
    return {
        "agreementId": agreement["id"],
        "title": agreement["title"],
        "description": (
            f"Практика {agreement['organisationName']}: проект достиг плановых показателей,"
            " организация финансово устойчива. Подходит для тиражирования в других регионах."
        ),
        "roadmap": (
            "1. Анализ потребностей целевой группы и поиск партнёров. 2. Подготовка команды и"
            " помещения (2-3 месяца). 3. Пилотный запуск на одной площадке. 4. Оценка результатов"
            " и масштабирование на район."
        ),
        "organisationalModel": (
            "Руководитель проекта, два-три специалиста, координатор добровольцев; партнёрство с"
            " местными учреждениями социальной защиты и здравоохранения."
        ),
        "financialModel": (
            f"Пилот стоит около {grant:,} рублей в год грантовых средств; не менее 15%"
            " покрывают собственные средства, партнёры и региональная субсидия."
        ).replace(",", " "),
        "evidenceReportIds": evidence,
    }


def adoptions(seed: int, number: int, origin: str, today: date) -> list[Json]:
    """Two to four organisations in other regions that adopted the practice (by today: adoption
    dates cannot lie in the future)."""
    rng = random.Random(f"{seed}/adoptions/{number}")
    regions = rng.sample([c for c in ELIGIBLE if c != origin], rng.randint(2, 4))
    found = []
    for region in regions:
        found.append(
            {
                "organisationName": names.adopter_name(rng),
                "organisationInn": inn10(rng, REGIONS[region].number),
                "regionCode": region,
                "adoptedOn": {"year": today.year, "month": today.month, "day": today.day},
                "results": "Практика запущена на базе организации, первые участники получают услуги.",
            }
        )
    return found
