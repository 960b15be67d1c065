"""A competition's panel: how its applications are scored and decided, and where scoring stands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from grantflow_runtime.errors import FailedPrecondition, Violations
from grantflow_runtime.money import Money

from grantflow_scoring.domain.aggregation import FinalRule
from grantflow_scoring.domain.awards import NATIONAL_PASS_MARKS, PassMark


class PanelState(StrEnum):
    COLLECTING = "collecting"  # applications still arriving
    SCORING = "scoring"  # the competition closed; experts assigned and scoring
    CLOSED = "closed"  # no more scores
    DECIDED = "decided"


@dataclass(frozen=True)
class PanelSettings:
    experts_per_application: int = 2
    max_experts_per_application: int = 4
    divergence_threshold_percent: Decimal = Decimal(30)
    final_rule: FinalRule = FinalRule.MEAN_ALL
    decide_by_calibrated: bool = False
    same_region_is_conflict: bool = False
    pass_marks: tuple[PassMark, ...] = NATIONAL_PASS_MARKS
    # When experts' scores are due (UTC); None: no deadline. It informs and marks late reviews;
    # scoring itself ends only when the funder closes the panel.
    scores_due_at: datetime | None = None

    def validate(self, prefix: str = "panel") -> None:
        v = Violations()
        if not 1 <= self.experts_per_application <= 10:
            v.add(f"{prefix}.experts_per_application", "must be between 1 and 10", "range")
        if not self.experts_per_application <= self.max_experts_per_application <= 10:
            v.add(
                f"{prefix}.max_experts_per_application",
                "must be at least experts_per_application and at most 10",
                "range",
            )
        if not Decimal(0) < self.divergence_threshold_percent <= Decimal(100):
            v.add(
                f"{prefix}.divergence_threshold_percent", "must be above 0 and at most 100", "range"
            )
        bounds = [m.max_request for m in self.pass_marks]
        if not self.pass_marks:
            v.add(f"{prefix}.pass_marks", "must have at least one band", "required")
        for i, mark in enumerate(self.pass_marks):
            if mark.mark < 0:
                v.add(f"{prefix}.pass_marks[{i}].mark", "must not be negative", "range")
            if mark.max_request is None and i != len(self.pass_marks) - 1:
                v.add(
                    f"{prefix}.pass_marks[{i}].max_request",
                    "only the last band may be unbounded",
                    "order",
                )
        finite = [b.minor_units for b in bounds if b is not None]
        if finite != sorted(set(finite)):
            v.add(f"{prefix}.pass_marks", "bands must rise strictly by max_request", "order")
        v.raise_if_any()


@dataclass(frozen=True)
class Panel:
    competition_id: str
    title: str
    owner: str
    state: PanelState
    direction_codes: tuple[str, ...]
    budget: Money
    direction_quotas: tuple[tuple[str, Money], ...]
    settings: PanelSettings

    def start_scoring(self) -> Panel:
        """The competition closed: assignment and scoring may begin. Repeats are harmless."""
        if self.state is PanelState.COLLECTING:
            return replace(self, state=PanelState.SCORING)
        return self

    def require_scoring(self) -> None:
        if self.state is not PanelState.SCORING:
            raise FailedPrecondition(
                f"the panel is {self.state.value}; this needs it to be scoring",
                reason="PANEL_STATE",
            )

    def close(self) -> Panel:
        self.require_scoring()
        return replace(self, state=PanelState.CLOSED)

    def decided(self) -> Panel:
        if self.state is not PanelState.CLOSED:
            raise FailedPrecondition(
                f"the panel is {self.state.value}; awards are decided after scoring closes",
                reason="PANEL_STATE",
            )
        return replace(self, state=PanelState.DECIDED)

    def change_settings(self, settings: PanelSettings) -> Panel:
        if self.state in (PanelState.CLOSED, PanelState.DECIDED):
            raise FailedPrecondition(
                f"the panel is {self.state.value}; settings are fixed", reason="PANEL_STATE"
            )
        settings.validate()
        return replace(self, settings=settings)
