"""Configuration: defaults, validation with the setting's name, and the README table kept true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from grantflow_runtime.config import SETTINGS, Config, ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_are_the_embedded_ones(tmp_path: Path) -> None:
    config = Config.from_env({"GRANTFLOW_DATA_DIR": str(tmp_path)})
    assert config.nats_url == "nats://127.0.0.1:4222"
    assert config.grpc_ports == {"applications": 50051, "scoring": 50052, "impact": 50053}
    assert config.gateway_port == 8080
    assert config.database_url("scoring") == f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRANTFLOW_GATEWAY_PORT", "eighty"),
        ("GRANTFLOW_MAX_CONCURRENT_RPCS", "0"),
        ("GRANTFLOW_LOG_FORMAT", "xml"),
        ("GRANTFLOW_RELAY_POLL_S", "-1"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.from_env({name: value})


def test_readme_documents_every_setting() -> None:
    documented = set(
        re.findall(r"^\| `(GRANTFLOW_[A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE)
    )
    assert documented == {s.name for s in SETTINGS}


def test_readme_lists_every_event() -> None:
    from grantflow_runtime.catalogue import ALL

    listed = set(
        re.findall(
            r"^\| `(grantflow\.[a-z_.]+)` \| `([A-Za-z0-9_.]+)` \|",
            README.read_text(),
            flags=re.MULTILINE,
        )
    )
    assert listed == {(spec.subject, spec.type) for spec in ALL}
