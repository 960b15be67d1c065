"""The audit log end to end: entries the services write during a real round (panel settings,
scores, the panel's closing, the award decision, a report's acceptance) verify as an intact chain
with `grantflow audit-verify`, and once a row is edited in the database the command names it.

tests/runtime/test_audit_chain.py covers the chain itself on entries a test writes; what it cannot
show is that entries as the services write them (their own clocks with microseconds, money and
lists in the JSON columns, read back by each backend) hash the same when read back, and that the
operator's command (`grantflow audit-verify`) finds a tampered award decision.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from grantflow_runtime.audit import verify_service
from grantflow_runtime.host import ServiceHost
from sqlalchemy import Table, select, update

from tests.applications.helpers import organisation_message
from tests.gateway.stack import Stack, StackFactory
from tests.security.rounds import play_round


async def audit_verify(s: Stack, service: str, cwd: Path) -> tuple[int, str]:
    """`grantflow audit-verify <service>` against the stack's database, as an operator runs it."""
    env = {
        **os.environ,
        f"GRANTFLOW_{service.upper()}_DATABASE_URL": s.config.database_url(service),
        "GRANTFLOW_DATA_DIR": str(cwd / "data"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "grantflow_cli.main", "audit-verify", service,
        cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode().strip()


SERVICES = ("scoring", "impact")


def audit_table(host: ServiceHost) -> Table:
    return host.definition.metadata.tables["audit_log"]


async def edit(host: ServiceHost, action: str, **values: Any) -> int:
    """Change the first entry of `action` directly in the database; its id."""
    t = audit_table(host)
    async with host.db.transaction() as session:
        row_id = await session.scalar(select(t.c.id).where(t.c.action == action).limit(1))
        assert row_id is not None, f"no {action} entry"
        await session.execute(update(t).where(t.c.id == row_id).values(**values))
    return int(row_id)


async def test_a_tampered_award_decision_is_named_by_the_verifier(
    gateway_stack: StackFactory, tmp_path: Path
) -> None:
    started = time.perf_counter()
    s = await gateway_stack()
    await play_round(s, "audit", [organisation_message(inn_prefix="780200151")])
    scoring, impact = s.hosts["scoring"], s.hosts["impact"]
    async with scoring.db.reading() as session:
        actions = [a for (a,) in await session.execute(select(audit_table(scoring).c.action))]
    for service in SERVICES:
        check = await verify_service(s.config.database_url(service))
        print(
            f"\n{service} as written by the round: {check.entries} entries, intact {check.intact}"
        )
        assert check.intact, check
    assert {"score.submit", "panel.close", "awards.decide"} <= set(actions), actions

    # Someone with database access raises an award after the decision: the operator's command
    # (slow to start, so run once) names the entry.
    t = audit_table(scoring)
    async with scoring.db.reading() as session:
        after = await session.scalar(select(t.c.after).where(t.c.action == "awards.decide"))
    assert after and after["awards"], after
    forged = {**after, "awards": [[a[0], a[1] * 10, a[2]] for a in after["awards"]]}
    award_row = await edit(scoring, "awards.decide", after=forged)
    code, out = await audit_verify(s, "scoring", tmp_path)
    print(f"grantflow audit-verify scoring after the award was raised: exit {code}: {out}")
    assert code == 1 and f"BROKEN at entry {award_row}:" in out, out
    # And someone claims a report was accepted by another funder.
    report_row = await edit(impact, "report.accept", actor="someone-else")
    check = await verify_service(s.config.database_url("impact"))
    print(f"impact after the acceptance was reassigned: broken at {check.broken_at}")
    assert check.broken_at == report_row, check
    print(f"{len(actions)} scoring entries from the round; {time.perf_counter() - started:.1f}s")
