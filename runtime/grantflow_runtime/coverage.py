"""How well a competition's applications are covered by experts: which have all the experts the
panel asks for, which some, which none, and how much each expert carries. Computed from the API's
JSON answers, for the command line's `coverage` and the web console's competition page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Applications that went to the panel. Drafts never did; withdrawn and ineligible ones left it.
REVIEWED_STATES = frozenset(
    {"STATE_SUBMITTED", "STATE_UNDER_REVIEW", "STATE_AWARDED", "STATE_DECLINED"}
)
CANCELLED = "STATE_CANCELLED"
SCORED = "STATE_SCORED"


@dataclass(frozen=True)
class ApplicationCover:
    application_id: str
    title: str
    experts: int
    needed: int

    @property
    def short(self) -> int:
        return max(self.needed - self.experts, 0)


@dataclass(frozen=True)
class ExpertLoad:
    expert_id: str
    name: str
    assigned: int
    scored: int
    max_load: int  # 0 when the expert is not known to the caller

    @property
    def pending(self) -> int:
        return self.assigned - self.scored


@dataclass(frozen=True)
class Coverage:
    needed: int
    full: list[ApplicationCover]
    partial: list[ApplicationCover]
    none: list[ApplicationCover]
    experts: list[ExpertLoad]

    @property
    def applications(self) -> int:
        return len(self.full) + len(self.partial) + len(self.none)

    @property
    def assigned(self) -> int:
        """Live assignments (cancelled ones left out), scored or not."""
        return sum(e.assigned for e in self.experts)

    @property
    def scored(self) -> int:
        return sum(e.scored for e in self.experts)

    @property
    def pending(self) -> int:
        return self.assigned - self.scored


def coverage(
    applications: Iterable[Mapping[str, Any]],
    assignments: Iterable[Mapping[str, Any]],
    experts_per_application: int,
    experts: Iterable[Mapping[str, Any]] = (),
) -> Coverage:
    """Coverage from the API's JSON: applications, assignments, the panel's experts per
    application, and (optionally) the experts for names and maximum loads."""
    live = [a for a in assignments if a.get("state") != CANCELLED]
    per_application = Counter(str(a.get("applicationId", "")) for a in live)
    full: list[ApplicationCover] = []
    partial: list[ApplicationCover] = []
    none: list[ApplicationCover] = []
    for application in sorted(applications, key=lambda a: str(a.get("id", ""))):
        if application.get("state") not in REVIEWED_STATES:
            continue
        cover = ApplicationCover(
            application_id=str(application.get("id", "")),
            title=str(application.get("title", "")),
            experts=per_application[str(application.get("id", ""))],
            needed=experts_per_application,
        )
        if cover.experts == 0:
            none.append(cover)
        elif cover.short:
            partial.append(cover)
        else:
            full.append(cover)
    known = {str(e.get("id", "")): e for e in experts}
    assigned = Counter(str(a.get("expertId", "")) for a in live)
    scored = Counter(str(a.get("expertId", "")) for a in live if a.get("state") == SCORED)
    loads = [
        ExpertLoad(
            expert_id=expert_id,
            name=str(known.get(expert_id, {}).get("displayName", "")),
            assigned=count,
            scored=scored[expert_id],
            max_load=int(known.get(expert_id, {}).get("maxLoad", 0) or 0),
        )
        for expert_id, count in assigned.items()
    ]
    # Busiest first; experts the caller cannot name after those it can.
    loads.sort(key=lambda e: (-e.assigned, not e.name, e.name, e.expert_id))
    return Coverage(experts_per_application, full, partial, none, loads)
