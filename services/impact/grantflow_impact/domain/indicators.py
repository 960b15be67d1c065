"""The indicator catalogue: what funded projects can be asked to measure, and how values combine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from grantflow_runtime.errors import Violations

MAX_CODE = 64
MAX_TITLE = 300
MAX_UNIT = 32
# [0-9] rather than \d: Python's \d also matches non-ASCII digits such as "٣".
CODE_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# IRIS+ metric ids, for example PI2718.
IRIS_METRIC_PATTERN = re.compile(r"PI[0-9]{4}")
# SDG indicators are goal.target.indicator; targets may be letters (1.a.1, 17.19.2).
SDG_INDICATOR_PATTERN = re.compile(r"[0-9]{1,2}\.[0-9a-z]{1,2}\.[0-9]{1,2}")


class ResultLevel(StrEnum):
    OUTPUT = "output"
    OUTCOME = "outcome"
    IMPACT = "impact"


class Aggregation(StrEnum):
    """How values reported over several periods combine into the project's value."""

    SUM = "sum"
    MAX = "max"
    LATEST = "latest"


class Direction(StrEnum):
    """Which way is good; attainment is computed differently for each."""

    INCREASE = "increase"
    DECREASE = "decrease"
    MAINTAIN = "maintain"


@dataclass(frozen=True)
class IndicatorTerms:
    """What a funder enters; every field may be missing or wrong until validated.

    A None enum is one the caller left unspecified (or sent a value this version does not know).
    """

    code: str
    title: str
    unit: str
    result_level: ResultLevel | None
    aggregation: Aggregation | None
    direction: Direction | None
    iris_metric_id: str
    sdg_indicator: str


@dataclass(frozen=True)
class IndicatorDefinition:
    code: str
    title: str
    unit: str
    result_level: ResultLevel
    aggregation: Aggregation
    direction: Direction
    iris_metric_id: str | None
    sdg_indicator: str | None
    created_at: datetime

    @classmethod
    def create(
        cls, *, terms: IndicatorTerms, now: datetime, prefix: str = "indicator_definition"
    ) -> IndicatorDefinition:
        """A new catalogue entry, or InvalidArgument listing every broken rule at once."""
        v = Violations()
        # The code is an identifier other systems store, so it is taken exactly as given.
        code = terms.code
        if not code:
            v.add(f"{prefix}.code", "is required", "required")
        else:
            if len(code) > MAX_CODE:
                v.add(f"{prefix}.code", f"must be at most {MAX_CODE} characters", "max_len")
            if not CODE_PATTERN.fullmatch(code):
                v.add(
                    f"{prefix}.code",
                    "must be lowercase letters and digits in dash-separated words, "
                    "for example beneficiaries-reached",
                    "format",
                )
        title = terms.title.strip()
        if not title:
            v.add(f"{prefix}.title", "is required", "required")
        elif len(title) > MAX_TITLE:
            v.add(f"{prefix}.title", f"must be at most {MAX_TITLE} characters", "max_len")
        unit = terms.unit.strip()
        if not unit:
            v.add(f"{prefix}.unit", "is required, for example people or %", "required")
        elif len(unit) > MAX_UNIT:
            v.add(f"{prefix}.unit", f"must be at most {MAX_UNIT} characters", "max_len")
        for name, value, kind in (
            ("result_level", terms.result_level, ResultLevel),
            ("aggregation", terms.aggregation, Aggregation),
            ("direction", terms.direction, Direction),
        ):
            if value is None:
                choices = ", ".join(member.value for member in kind)
                v.add(f"{prefix}.{name}", f"must be specified: one of {choices}", "required")
        if terms.iris_metric_id and not IRIS_METRIC_PATTERN.fullmatch(terms.iris_metric_id):
            v.add(
                f"{prefix}.iris_metric_id",
                "must be an IRIS+ metric id such as PI2718",
                "format",
            )
        if terms.sdg_indicator and not SDG_INDICATOR_PATTERN.fullmatch(terms.sdg_indicator):
            v.add(
                f"{prefix}.sdg_indicator",
                "must be an SDG indicator such as 1.2.1 or 6.a.1",
                "format",
            )
        v.raise_if_any()
        # raise_if_any() returned, so every enum was given; narrow them for the type checker.
        if terms.result_level is None or terms.aggregation is None or terms.direction is None:
            raise AssertionError("unreachable: missing enums are violations")
        return cls(
            code=code,
            title=title,
            unit=unit,
            result_level=terms.result_level,
            aggregation=terms.aggregation,
            direction=terms.direction,
            iris_metric_id=terms.iris_metric_id or None,
            sdg_indicator=terms.sdg_indicator or None,
            created_at=now,
        )
