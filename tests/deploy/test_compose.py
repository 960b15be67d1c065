"""The single-host compose file, checked without a Docker engine.

No installed package carries the compose-spec JSON schema (and `docker compose config` needs the
docker CLI), so the structure is checked here directly: the keys we use are compose-spec keys,
every service has an image or build and a health check (or is the one-shot rollout step), the
start order waits on health, and Grantflow containers set only settings the code reads."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from grantflow_runtime.natsserver import binary as nats_binary

from tests.deploy.manifests import DEPLOY, SERVICES, SETTING_NAMES, health_names

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"

# Top-level and per-service keys of the compose specification that this file may use; a typo or
# a key from another tool fails here instead of being ignored by `docker compose`.
TOP_LEVEL = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
SERVICE_KEYS = {
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "volumes",
    "configs",
    "secrets",
    "depends_on",
    "healthcheck",
    "restart",
    "read_only",
    "tmpfs",
    "cap_drop",
    "security_opt",
    "stop_grace_period",
    "user",
    "deploy",
}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# Environment of the containers that are not Grantflow's, by image.
THIRD_PARTY_ENV = {
    "postgres": {
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "APPLICATIONS_DB_PASSWORD",
        "SCORING_DB_PASSWORD",
        "IMPACT_DB_PASSWORD",
    },
    "nats": set(),
}
ONE_SHOT = "migrate"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def grantflow_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if "grantflow" in svc.get("image", "")
    }


def test_uses_only_compose_spec_keys(compose: dict[str, Any]) -> None:
    unknown = {k for k in compose if not k.startswith("x-")} - TOP_LEVEL
    assert not unknown, unknown
    for name, svc in compose["services"].items():
        assert set(svc) <= SERVICE_KEYS, (name, set(svc) - SERVICE_KEYS)
        assert "image" in svc or "build" in svc, name
        if "healthcheck" in svc:
            check = svc["healthcheck"]
            assert set(check) <= HEALTHCHECK_KEYS, (name, check)
            assert check["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_images_are_pinned_and_one_for_grantflow(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        tag = svc["image"].rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest", (name, svc["image"])
    grantflow = grantflow_services(compose)
    assert set(grantflow) == {*SERVICES, "gateway", ONE_SHOT}
    assert len({svc["image"] for svc in grantflow.values()}) == 1
    for svc in grantflow.values():
        assert svc["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert (COMPOSE.parent / svc["build"]["context"] / svc["build"]["dockerfile"]).exists()


def test_start_order_waits_on_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        if name != ONE_SHOT:
            assert "healthcheck" in svc, f"{name} has no health check"
        for dependency, how in svc.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            assert how["condition"] in CONDITIONS, (name, how)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (name, dependency)
    assert services[ONE_SHOT]["restart"] == "no"
    for name in SERVICES:
        assert services[name]["depends_on"] == {
            ONE_SHOT: {"condition": "service_completed_successfully"}
        }
    assert set(services["gateway"]["depends_on"]) == set(SERVICES)
    assert set(services[ONE_SHOT]["depends_on"]) == {"postgres", "nats"}


def test_health_checks_ask_each_service_by_its_registered_name(compose: dict[str, Any]) -> None:
    from grantflow_runtime.config import DEFAULT_GRPC_PORTS

    names = health_names()
    for name in SERVICES:
        test = compose["services"][name]["healthcheck"]["test"]
        assert test == [
            "CMD",
            "python",
            "/opt/grantflow/deploy/healthcheck.py",
            "grpc",
            f"127.0.0.1:{DEFAULT_GRPC_PORTS[name]}",
            names[name],
        ]
        assert compose["services"][name]["command"] == [f"grantflow-{name}"]
    gateway = compose["services"]["gateway"]["healthcheck"]["test"]
    assert gateway[-2:] == ["http", "http://127.0.0.1:8080/readyz"]


def test_grantflow_containers_set_only_known_settings(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        env = set(svc.get("environment", {}))
        if name in grantflow_services(compose):
            assert env <= SETTING_NAMES, (name, env - SETTING_NAMES)
        else:
            assert env <= THIRD_PARTY_ENV[name], (name, env)
    services = compose["services"]
    # Each service gets its own database URL and nothing else secret; the gateway only the key.
    for name in SERVICES:
        secret = {k for k in services[name]["environment"] if k.endswith("_DATABASE_URL")}
        assert secret == {f"GRANTFLOW_{name.upper()}_DATABASE_URL"}, name
    assert "GRANTFLOW_AUTH_SECRET" in services["gateway"]["environment"]
    assert not {k for k in services["gateway"]["environment"] if k.endswith("_DATABASE_URL")}


def test_every_variable_it_needs_is_in_the_example_env_file() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    example = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used == example, used ^ example
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()


def test_mounted_files_exist_and_nats_accepts_its_configuration(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).is_file(), (name, source)
    conf = tmp_path / "nats.conf"
    conf.write_text(compose["configs"]["nats"]["content"])
    done = subprocess.run(
        [nats_binary(), "-t", "-c", str(conf)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    settings = compose["x-settings"]
    assert settings["GRANTFLOW_STREAM_REPLICAS"] == "1", "one NATS node holds one copy"
