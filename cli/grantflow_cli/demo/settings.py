"""What a demo round is asked for, and the fixed names by which it finds itself again."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A second run recognises the round by this title, owned by the demo funder.
DEMO_TITLE = "Социальные инновации в регионах (демонстрационный конкурс)"
FUNDER = "demo-funder"
ADMIN = "demo-admin"
DEFAULT_SEED = 20_240_601


EXPERT_PREFIX = "demo-expert-"


def applicant_subject(number: int) -> str:
    return f"demo-applicant-{number}"


def expert_subject(number: int) -> str:
    return f"{EXPERT_PREFIX}{number}"


@dataclass(frozen=True)
class DemoSettings:
    seed: int = DEFAULT_SEED
    organisations: int = 300
    # 0 derives the panel size from the number of organisations.
    experts: int = 0
    # Share of applications built to break exactly one submission rule (the national programme
    # turns away about 8% at screening).
    invalid_share: float = 0.08
    # Progress reports filed per funded project (never the final report).
    quarters: int = 3
    practices: int = 3
    # Parallel requests per phase: the gateway is async, SQLite serialises writes anyway.
    concurrency: int = 6
    # Where the deadline is announced; projects start on the deadline's day there.
    time_zone: str = "Europe/Moscow"

    def __post_init__(self) -> None:
        if self.organisations < 10:
            raise ValueError("a demo round needs at least 10 organisations")
        if not 0 <= self.invalid_share < 0.5:
            raise ValueError("invalid_share must be at least 0 and below 0.5")
        if self.experts and self.experts < 4:
            raise ValueError("a panel needs at least 4 experts (2 per application, 2 extra)")
        if not 0 <= self.quarters <= 8 or self.practices < 0 or self.concurrency < 1:
            raise ValueError("quarters 0..8, practices >= 0, concurrency >= 1")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.time_zone!r} is not an IANA time zone") from None

    @property
    def expert_count(self) -> int:
        return self.experts or max(8, self.organisations // 10)


_WRITTEN = re.compile(
    r"seed (?P<seed>\d+); организаций (?P<organisations>\d+); экспертов (?P<experts>\d+);"
    r" доля ошибочных (?P<invalid>[0-9]+(?:\.[0-9]+)?)"
)


def describe(settings: DemoSettings) -> str:
    """The settings that shape the plan, written into the competition's description so a later
    run rebuilds exactly the plan the first one seeded, whatever options it was given."""
    return (
        f"seed {settings.seed}; организаций {settings.organisations};"
        f" экспертов {settings.expert_count}; доля ошибочных {settings.invalid_share}"
    )


def read_back(description: str, asked: DemoSettings) -> DemoSettings:
    """`asked` with the plan-shaping settings found in a description written by `describe`."""
    found = _WRITTEN.search(description)
    if found is None:
        return asked
    return replace(
        asked,
        seed=int(found["seed"]),
        organisations=int(found["organisations"]),
        experts=int(found["experts"]),
        invalid_share=float(found["invalid"]),
    )
