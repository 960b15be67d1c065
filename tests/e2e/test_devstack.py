"""`make run`'s launcher as a user meets it: real processes, an embedded nats-server from the wheel,
every service SERVING within 60 s, an event crossing the system, data kept across runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grantflow_runtime.config import Config
from grantflow_runtime.natsserver import free_port
from grantflow_runtime.tokens import key_from_config, verify


def run_once(data_dir: Path, ports: dict[str, int]) -> tuple[int, str, float]:
    env = {
        **os.environ,
        "GRANTFLOW_DATA_DIR": str(data_dir),
        "GRANTFLOW_NATS_URL": f"nats://127.0.0.1:{ports['nats']}",
        "GRANTFLOW_GATEWAY_PORT": str(ports["gateway"]),
        "GRANTFLOW_LOG_FORMAT": "json",
    }
    for service in ("applications", "scoring", "impact"):
        env[f"GRANTFLOW_{service.upper()}_GRPC_PORT"] = str(ports[service])
        env[f"GRANTFLOW_{service.upper()}_ADDR"] = f"127.0.0.1:{ports[service]}"
        env.pop(f"GRANTFLOW_{service.upper()}_DATABASE_URL", None)
    started = time.monotonic()
    done = subprocess.run(
        # A small demo round keeps the test quick while it still runs make run's main job.
        [
            sys.executable,
            "-m",
            "grantflow_runtime.devstack",
            "--once",
            "--demo-organisations",
            "20",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.mark.timeout(330)
def test_make_run_brings_everything_up_and_keeps_data(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("nats", "applications", "scoring", "impact", "gateway")}
    code, output, took = run_once(tmp_path / "data", ports)
    print(output)
    assert code == 0, output
    assert "(embedded, store" in output
    assert "all services SERVING" in output
    assert "event path  applications -> outbox -> JetStream -> scoring: ok" in output
    assert "over HTTP   GET /v1/competitions as dev-admin: ok (1 competition(s))" in output
    assert "Demo round seeded" in output, output
    assert took < 120, f"took {took:.1f}s"
    tokens = dict(
        line.split("=", 1) for line in (tmp_path / "data" / "dev-tokens.env").read_text().split()
    )
    assert sorted(tokens) == ["ADMIN_TOKEN", "APPLICANT_TOKEN", "EXPERT_TOKEN", "FUNDER_TOKEN"]
    key = key_from_config(Config.from_env({"GRANTFLOW_DATA_DIR": str(tmp_path / "data")}))
    assert verify(tokens["FUNDER_TOKEN"], key).subject == "dev-funder"
    assert tokens["FUNDER_TOKEN"] in output
    for service in ("applications", "scoring", "impact"):
        assert (tmp_path / "data" / f"{service}.db").exists()

    with sqlite3.connect(tmp_path / "data" / "applications.db") as db:
        seeded = db.execute("SELECT count(*) FROM applications").fetchone()
        # The check's own competition is not left among the calls applicants can enter.
        checked = db.execute(
            "SELECT state FROM competitions WHERE title = 'Event path check'"
        ).fetchall()
        assert checked == [("closed",)], checked

    # A second run reuses the same data: the check's competition and the demo round are found
    # again, not made twice.
    code, output, _ = run_once(tmp_path / "data", ports)
    assert code == 0, output
    assert "The demo round was seeded before; nothing was added." in output, output
    with sqlite3.connect(tmp_path / "data" / "applications.db") as db:
        assert db.execute("SELECT count(*) FROM competitions").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM applications").fetchone() == seeded
    with sqlite3.connect(tmp_path / "data" / "scoring.db") as db:
        assert db.execute("SELECT count(*) FROM panels").fetchone() == (2,)
