"""Identify, demonstrate, replicate: practices registered from successful projects, and their
adoptions across regions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from grantflow_runtime.errors import Violations

REGION = re.compile(r"^RU-[A-Z]{2,3}$")
INN = re.compile(r"^([0-9]{10}|[0-9]{12})$")
MAX_TEXT = 20_000


@dataclass(frozen=True)
class PracticeText:
    title: str
    description: str
    roadmap: str
    organisational_model: str
    financial_model: str


def validate_practice(
    p: PracticeText, evidence: list[str], known_reports: set[str], prefix: str = "practice"
) -> None:
    """A practice is described by its roadmap, organisational and financial model, and rests on
    evidence from its project's own reports (the national library of practices asks the same)."""
    v = Violations()
    if not p.title.strip():
        v.add(f"{prefix}.title", "is required", "required")
    elif len(p.title) > 300:
        v.add(f"{prefix}.title", "must be at most 300 characters", "max_len")
    for name in ("description", "roadmap", "organisational_model", "financial_model"):
        text = getattr(p, name)
        if not text.strip():
            v.add(f"{prefix}.{name}", "is required", "required")
        elif len(text) > MAX_TEXT:
            v.add(f"{prefix}.{name}", f"must be at most {MAX_TEXT} characters", "max_len")
    if not evidence:
        v.add(
            f"{prefix}.evidence_report_ids",
            "must name at least one accepted report of the project",
            "required",
        )
    for i, report_id in enumerate(evidence):
        if report_id not in known_reports:
            v.add(
                f"{prefix}.evidence_report_ids[{i}]",
                "is not an accepted report of this project",
                "unknown",
            )
    v.raise_if_any()


def validate_adoption(
    *,
    organisation_name: str,
    organisation_inn: str,
    region_code: str,
    adopted_on: date | None,
    results: str,
    today: date,
    prefix: str = "adoption",
) -> None:
    v = Violations()
    if not organisation_name.strip():
        v.add(f"{prefix}.organisation_name", "is required", "required")
    if organisation_inn and not INN.match(organisation_inn):
        v.add(f"{prefix}.organisation_inn", "must be a 10- or 12-digit INN", "format")
    if not REGION.match(region_code):
        v.add(f"{prefix}.region_code", "must be an ISO 3166-2:RU code like 'RU-TA'", "format")
    if adopted_on is None:
        v.add(f"{prefix}.adopted_on", "is required", "required")
    elif adopted_on > today:
        v.add(f"{prefix}.adopted_on", "must not be in the future", "future")
    if len(results) > MAX_TEXT:
        v.add(f"{prefix}.results", f"must be at most {MAX_TEXT} characters", "max_len")
    v.raise_if_any()


def is_candidate(attainment_bucket: str, risk: str) -> bool:
    """Met its targets (mean prorated attainment at least 100%) and financially sustainable (green)."""
    return attainment_bucket == "100_plus" and risk == "green"
