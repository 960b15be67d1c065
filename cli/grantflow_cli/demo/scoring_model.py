"""How the demo's experts score: each criterion scatters around the application's merit, shifted by
the expert's own severity and by noise, so calibration has something to correct. An outlier
review misjudges an application by about 45 points, past the panel's divergence threshold
(30% of the 100-point maximum), and the service brings in extra experts."""

from __future__ import annotations

import random
from typing import Any

from grantflow_cli.demo import words
from grantflow_cli.demo.model import ApplicationPlan, ExpertPlan

SCALE_MIN = 0
SCALE_MAX = 10
# Per criterion, so about ±45 on the total: an outlier nobody can mistake for ordinary noise.
OUTLIER_SHIFT = 4.5
NOISE = 0.6
PROFILE_SPREAD = 0.8


# The criterion that rewards own contribution and partners (criterion 7 of the national rubric).
CONTRIBUTION = "own-contribution"
TYPICAL_SHARE = 0.35


def profile(seed: int, application: ApplicationPlan, codes: list[str]) -> dict[str, float]:
    """The application's strengths and weaknesses per criterion, the same for every expert.
    Co-financing shows where the rubric looks for it: a larger share scores higher."""
    rng = random.Random(f"{seed}/profile/{application.number}")
    found = {code: rng.gauss(0, PROFILE_SPREAD) for code in codes}
    if CONTRIBUTION in found:
        cost = application.requested + application.cofinancing
        share = application.cofinancing / cost if cost else 0.0
        found[CONTRIBUTION] += (share - TYPICAL_SHARE) * 6
    return found


def score_sheet(
    seed: int,
    application: ApplicationPlan,
    expert: ExpertPlan,
    codes: list[str],
    *,
    outlier: bool = False,
) -> list[dict[str, Any]]:
    """One expert's sheet for one application: an integer 0-10 and a justification per criterion."""
    rng = random.Random(f"{seed}/score/{application.number}/{expert.number}")
    strengths = profile(seed, application, codes)
    # A strong application is underrated by an outlier, a weak one overrated.
    shift = 0.0
    if outlier:
        shift = -OUTLIER_SHIFT if application.quality >= 50 else OUTLIER_SHIFT
    sheet = []
    for code in codes:
        raw = application.quality / 10 + strengths[code] + expert.severity + shift
        value = max(SCALE_MIN, min(SCALE_MAX, round(raw + rng.gauss(0, NOISE))))
        sheet.append({"code": code, "value": value, "comment": comment(rng, value)})
    return sheet


def comment(rng: random.Random, value: int) -> str:
    # Every score is justified, not only the extremes the rubric insists on.
    if value >= 8:
        return rng.choice(words.COMMENTS_HIGH)
    if value >= 5:
        return rng.choice(words.COMMENTS_MID)
    return rng.choice(words.COMMENTS_LOW)


def outlier_expert(application: ApplicationPlan, original_experts: list[ExpertPlan]) -> int | None:
    """Which of the application's first experts misjudges it: the one with the lowest number, so
    the choice does not depend on the order in which reviews happen. None for most applications."""
    if not application.divergent or not original_experts:
        return None
    return min(e.number for e in original_experts)
