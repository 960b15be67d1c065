"""The round as it is stored: read back over the API (`collect`) and summarised by a pure function
(`summarise`), so the first run and every later one show the same figures, and a test can hold
them against what the services answer."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from grantflow_cli.demo.api import Caller
from grantflow_cli.demo.settings import EXPERT_PREFIX
from grantflow_cli.demo.steps import in_parallel

Json = dict[str, Any]
TOP = 10

# Submission rules by the (field, rule) the applications service reports, in plain words.
REASON_LABELS: dict[tuple[str, str], str] = {
    ("application.cofinancing_sources", "minimum"): "co-financing share below the minimum",
    ("application.budget_lines", "range"): "grant request above the maximum",
    ("application.end_date", "range"): "project longer than allowed",
    ("application.organisation_id", "region"): "organisation's region not eligible",
    ("application.organisation_id", "registration_age"): "organisation registered too recently",
    ("application.region_codes", "eligibility"): "project region not eligible",
    ("application.organisation_id", "legal_form"): "legal form not eligible",
}
_INDEX = re.compile(r"\[\d+\]")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def reason_key(field_path: str, rule: str) -> tuple[str, str]:
    """One spelling for a violation whether it came from a refused submit (JSON field names,
    upper-case rule) or a dry-run validation (proto field names, lower-case rule)."""
    plain = _INDEX.sub("", field_path)
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), plain), rule.lower()


def reason_label(field_path: str, rule: str) -> str:
    key = reason_key(field_path, rule)
    return REASON_LABELS.get(key, f"{key[0]}: {key[1]}")


@dataclass
class Stored:
    base_url: str
    competition: Json
    panel: Json | None = None
    applications: list[Json] = field(default_factory=list)
    organisations: dict[str, Json] = field(default_factory=dict)
    # Violations of each application left in draft (refused at submission), closed rule aside.
    rejected: dict[str, list[Json]] = field(default_factory=dict)
    experts: int = 0
    assignments: list[Json] = field(default_factory=list)
    scores: list[Json] = field(default_factory=list)
    ranking: list[Json] = field(default_factory=list)
    decision: Json | None = None
    agreements: list[Json] = field(default_factory=list)
    reports: dict[str, list[Json]] = field(default_factory=dict)
    portfolio: Json | None = None
    open_alerts: list[Json] = field(default_factory=list)
    all_alerts: list[Json] = field(default_factory=list)
    practices: list[Json] = field(default_factory=list)


def collect(
    base_url: str,
    competition: Json,
    *,
    funder: Caller,
    admin: Caller,
    decision_key: str,
    workers: int = 6,
) -> Stored:
    """Everything the summary shows, as the services answer now."""
    cid = competition["id"]
    s = Stored(base_url=base_url.rstrip("/"), competition=funder.get(f"/v1/competitions/{cid}"))
    s.panel = funder.get(f"/v1/competitions/{cid}/panel")
    s.applications = admin.pages("/v1/applications", "applications", competitionId=cid)
    mine = {a["organisationId"] for a in s.applications}
    s.organisations = {
        o["id"]: o for o in admin.pages("/v1/organisations", "organisations") if o["id"] in mine
    }
    drafts = [a for a in s.applications if a["state"] == "STATE_DRAFT"]
    found = in_parallel(
        drafts,
        lambda a: admin.post(f"/v1/applications/{a['id']}:validate", write=False)["violations"],
        workers=workers,
    )
    s.rejected = {
        a["id"]: [v for v in violations if v["rule"] != "closed"]
        for a, violations in zip(drafts, found, strict=True)
    }
    s.experts = sum(
        1 for e in funder.pages("/v1/experts", "experts") if e["subject"].startswith(EXPERT_PREFIX)
    )
    s.assignments = funder.pages("/v1/assignments", "assignments", competitionId=cid)
    s.scores = funder.get("/v1/scores", competitionId=cid)["scores"]
    state = s.panel["state"] if s.panel else ""
    if state in ("STATE_CLOSED", "STATE_DECIDED"):
        s.ranking = funder.get(f"/v1/competitions/{cid}/ranking")["entries"]
    if state == "STATE_DECIDED":
        # Decided once: asking again answers with the recorded decision and changes nothing.
        s.decision = funder.post(
            f"/v1/competitions/{cid}:decideAwards", key=decision_key, write=False
        )
    s.agreements = funder.pages("/v1/agreements", "agreements", competitionId=cid)
    reports = in_parallel(
        s.agreements,
        lambda a: funder.get(f"/v1/agreements/{a['id']}/reports")["reports"],
        workers=workers,
    )
    s.reports = {a["id"]: found for a, found in zip(s.agreements, reports, strict=True)}
    s.portfolio = funder.get("/v1/portfolio", competitionId=cid, groupBy="direction")
    ours = {a["id"] for a in s.agreements}
    s.open_alerts = [a for a in funder.get("/v1/alerts")["alerts"] if a["agreementId"] in ours]
    s.all_alerts = [
        a
        for a in funder.get("/v1/alerts", includeResolved="true")["alerts"]
        if a["agreementId"] in ours
    ]
    s.practices = [p for p in funder.get("/v1/practices")["practices"] if p["agreementId"] in ours]
    return s


def _kopecks(money: Json | None) -> int:
    return int((money or {}).get("minorUnits", "0"))


def _ratio(numerator: int, denominator: int) -> str:
    if not denominator:
        return ""
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def summarise(s: Stored) -> dict[str, Any]:
    """Everything the demo prints, as plain data (money in kopecks)."""
    cid = s.competition["id"]
    by_app = {a["id"]: a for a in s.applications}
    org_of = {a["id"]: s.organisations.get(a["organisationId"], {}) for a in s.applications}
    awards = (s.decision or {}).get("awards", [])
    awarded = {line["applicationId"] for line in awards}

    by_direction: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for line in awards:
        amount = _kopecks(line["amount"])
        direction = by_app.get(line["applicationId"], {}).get("directionCode", "?")
        region = org_of.get(line["applicationId"], {}).get("regionCode", "?")
        for group, key in ((by_direction, direction), (by_region, region)):
            group[key]["count"] += 1
            group[key]["amount"] += amount

    rejected = Counter(
        reason_label(v["field"], v["rule"]) for found in s.rejected.values() for v in found
    )
    grant = sum(_kopecks(a["grant"]) for a in s.agreements)
    sources: dict[str, int] = defaultdict(int)
    for agreement in s.agreements:
        for c in agreement["cofinancingCommitted"]:
            sources[c["source"]] += _kopecks(c["amount"])
    committed = sum(sources.values())
    total = (s.portfolio or {}).get("total", {})

    versions = [r for found in s.reports.values() for r in found]
    latest: dict[tuple[str, int], Json] = {}
    for r in versions:
        key = (r["agreementId"], int(r["periodNumber"]))
        if key not in latest or r["version"] > latest[key]["version"]:
            latest[key] = r

    return {
        "competition": {
            "id": cid,
            "title": s.competition["title"],
            "state": s.competition["state"],
            "panel": (s.panel or {}).get("state", ""),
            "budget": _kopecks(s.competition["budget"]),
            "closes_at": s.competition["closesAt"],
        },
        "counts": {
            "organisations": len(s.organisations),
            "applications": len(s.applications),
            "submitted": sum(1 for a in s.applications if a["state"] != "STATE_DRAFT"),
            "rejected": len(s.rejected),
            "experts": s.experts,
            "assignments": sum(1 for a in s.assignments if a["state"] != "STATE_CANCELLED"),
            "extra_assignments": sum(1 for a in s.assignments if a["extra"]),
            "scores": len(s.scores),
            "diverged": len({a["applicationId"] for a in s.assignments if a["extra"]}),
            "agreements": len(s.agreements),
            "report_versions": len(versions),
            "reports_accepted": sum(1 for r in latest.values() if r["state"] == "STATE_ACCEPTED"),
            "reports_returned": sum(1 for r in versions if r["state"] == "STATE_RETURNED"),
            "reports_corrected": sum(1 for r in versions if r["version"] > 1),
        },
        "ranking_size": len(s.ranking),
        "ranking_top": [
            {
                "rank": e["rank"],
                "application_id": e["applicationId"],
                "title": e["title"],
                "organisation": org_of.get(e["applicationId"], {}).get("name", ""),
                "direction": e["directionCode"],
                "requested": _kopecks(e["requested"]),
                "raw_score": e["rawScore"],
                "calibrated_score": e["calibratedScore"],
                "experts": e["experts"],
                "awarded": e["applicationId"] in awarded,
            }
            for e in s.ranking[:TOP]
        ],
        "awards": {
            "count": len(awards),
            "amount": sum(_kopecks(line["amount"]) for line in awards),
            "budget_used": _kopecks((s.decision or {}).get("budgetUsed")),
            "declined": len((s.decision or {}).get("declined", [])),
        },
        "awards_by_direction": dict(sorted(by_direction.items())),
        "awards_by_region": dict(
            sorted(by_region.items(), key=lambda kv: (-kv[1]["amount"], kv[0]))
        ),
        "leverage": {
            "grant": grant,
            "committed": committed,
            "ratio": _ratio(committed, grant),
            "received": _kopecks(total.get("cofinancingReceived")),
            "portfolio_ratio": total.get("leverage", ""),
            "by_source": dict(sorted(sources.items())),
        },
        "rejected_by_reason": dict(rejected.most_common()),
        "alerts_open_by_kind": dict(Counter(a["kind"] for a in s.open_alerts).most_common()),
        "alerts_raised_by_kind": dict(Counter(a["kind"] for a in s.all_alerts).most_common()),
        "practices": [
            {
                "id": p["id"],
                "title": p["title"],
                "agreement_id": p["agreementId"],
                "direction": p["directionCode"],
                "origin": p["originRegionCode"],
                "adopted_in": list(p["adoptedInRegionCodes"]),
                "adoptions": len(p["adoptions"]),
            }
            for p in s.practices
        ],
        "links": {
            "docs": f"{s.base_url}/docs",
            "openapi": f"{s.base_url}/openapi.json",
            "competition": f"{s.base_url}/v1/competitions/{cid}",
            "ranking": f"{s.base_url}/v1/competitions/{cid}/ranking",
            "ranking_csv": f"{s.base_url}/v1/competitions/{cid}/ranking:export",
            "portfolio": f"{s.base_url}/v1/portfolio?competitionId={cid}&groupBy=region",
            "alerts": f"{s.base_url}/v1/alerts",
            "practices": f"{s.base_url}/v1/practices",
        },
    }
