"""Assignments, scores with their append-only audit trail, and recorded decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from grantflow_runtime.audit import AuditEntry
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.tables import AssignmentRow, DecisionRow, ScoreRow, audit_log
from grantflow_scoring.domain.scores import CriterionScore

PENDING, SCORED, CANCELLED = "pending", "scored", "cancelled"


@dataclass(frozen=True)
class AssignmentRecord:
    competition_id: str
    application_id: str
    expert_id: str
    state: str
    extra: bool
    assigned_at: datetime


@dataclass(frozen=True)
class ScoreRecord:
    competition_id: str
    application_id: str
    expert_id: str
    scores: tuple[CriterionScore, ...]
    total: Decimal
    revision: int
    submitted_at: datetime


def _assignment(r: AssignmentRow) -> AssignmentRecord:
    return AssignmentRecord(
        r.competition_id, r.application_id, r.expert_id, r.state, r.extra, r.assigned_at
    )


def _score(r: ScoreRow) -> ScoreRecord:
    return ScoreRecord(
        competition_id=r.competition_id,
        application_id=r.application_id,
        expert_id=r.expert_id,
        scores=tuple(CriterionScore(s["code"], int(s["value"]), s["comment"]) for s in r.scores),
        total=Decimal(r.total),
        revision=r.revision,
        submitted_at=r.submitted_at,
    )


def scores_json(scores: Sequence[CriterionScore]) -> list[dict[str, Any]]:
    return [{"code": s.code, "value": s.value, "comment": s.comment} for s in scores]


class Reviews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def assign(
        self, pairs: Sequence[tuple[str, str]], *, competition_id: str, extra: bool, now: datetime
    ) -> None:
        for application_id, expert_id in pairs:
            self.session.add(
                AssignmentRow(
                    application_id=application_id,
                    expert_id=expert_id,
                    competition_id=competition_id,
                    state=PENDING,
                    extra=extra,
                    assigned_at=now,
                )
            )
        await self.session.flush()

    async def assignments(self, competition_id: str) -> list[AssignmentRecord]:
        rows = (
            await self.session.execute(
                select(AssignmentRow)
                .where(AssignmentRow.competition_id == competition_id)
                .order_by(AssignmentRow.application_id, AssignmentRow.expert_id)
            )
        ).scalars()
        return [_assignment(r) for r in rows]

    async def assignment(
        self, application_id: str, expert_id: str, *, for_update: bool = False
    ) -> AssignmentRecord | None:
        query = select(AssignmentRow).where(
            AssignmentRow.application_id == application_id, AssignmentRow.expert_id == expert_id
        )
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _assignment(row)

    async def of_application(self, application_id: str) -> list[AssignmentRecord]:
        rows = (
            await self.session.execute(
                select(AssignmentRow)
                .where(AssignmentRow.application_id == application_id)
                .order_by(AssignmentRow.expert_id)
            )
        ).scalars()
        return [_assignment(r) for r in rows]

    async def page_for(
        self, *, competition_id: str, expert_id: str, limit: int, after: tuple[str, str] | None
    ) -> list[AssignmentRecord]:
        """One page of assignments by (application, expert), of one competition or, when
        `competition_id` is empty, of every competition (application ids are unique across
        competitions, so the order and the page token hold either way)."""
        query = select(AssignmentRow)
        if competition_id:
            query = query.where(AssignmentRow.competition_id == competition_id)
        if expert_id:
            query = query.where(AssignmentRow.expert_id == expert_id)
        if after is not None:
            query = query.where(
                (AssignmentRow.application_id > after[0])
                | (
                    (AssignmentRow.application_id == after[0])
                    & (AssignmentRow.expert_id > after[1])
                )
            )
        rows = (
            await self.session.execute(
                query.order_by(AssignmentRow.application_id, AssignmentRow.expert_id).limit(limit)
            )
        ).scalars()
        return [_assignment(r) for r in rows]

    async def set_state(self, application_id: str, expert_id: str, state: str) -> None:
        await self.session.execute(
            update(AssignmentRow)
            .where(
                AssignmentRow.application_id == application_id, AssignmentRow.expert_id == expert_id
            )
            .values(state=state)
        )

    async def cancel_application(self, application_id: str) -> None:
        await self.session.execute(
            update(AssignmentRow)
            .where(AssignmentRow.application_id == application_id, AssignmentRow.state == PENDING)
            .values(state=CANCELLED)
        )

    async def score(self, application_id: str, expert_id: str) -> ScoreRecord | None:
        row = await self.session.get(ScoreRow, (application_id, expert_id))
        return None if row is None else _score(row)

    async def scores(
        self, competition_id: str, *, application_id: str = "", expert_id: str = ""
    ) -> list[ScoreRecord]:
        query = select(ScoreRow).where(ScoreRow.competition_id == competition_id)
        if application_id:
            query = query.where(ScoreRow.application_id == application_id)
        if expert_id:
            query = query.where(ScoreRow.expert_id == expert_id)
        rows = (
            await self.session.execute(query.order_by(ScoreRow.application_id, ScoreRow.expert_id))
        ).scalars()
        return [_score(r) for r in rows]

    async def put_score(self, record: ScoreRecord) -> None:
        row = await self.session.get(ScoreRow, (record.application_id, record.expert_id))
        if row is None:
            row = ScoreRow(application_id=record.application_id, expert_id=record.expert_id)
            self.session.add(row)
        row.competition_id = record.competition_id
        row.scores = scores_json(record.scores)
        row.total = str(record.total)
        row.revision = record.revision
        row.submitted_at = record.submitted_at
        await self.session.flush()

    async def any_score(self, competition_id: str) -> bool:
        count = await self.session.scalar(
            select(func.count()).where(ScoreRow.competition_id == competition_id)
        )
        return bool(count)

    async def audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str = "",
    ) -> None:
        await audit_log.record(
            self.session,
            at=at,
            actor=actor,
            action=action,
            subject_id=subject_id,
            before=before,
            after=after,
            reason=reason,
        )

    async def audit_trail(self, subject_id: str) -> Sequence[AuditEntry]:
        return await audit_log.trail(self.session, subject_id)

    async def decision(self, competition_id: str) -> bytes | None:
        row = await self.session.get(DecisionRow, competition_id)
        return None if row is None else row.decision

    async def record_decision(
        self, competition_id: str, *, decision: bytes, by: str, at: datetime
    ) -> None:
        self.session.add(
            DecisionRow(
                competition_id=competition_id, decision=decision, decided_by=by, decided_at=at
            )
        )
        await self.session.flush()
