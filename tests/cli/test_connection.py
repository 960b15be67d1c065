"""Who a command acts as, and which way its calls go, from its options and the environment."""

from __future__ import annotations

from pathlib import Path

import click
import jwt
import pytest
from click.testing import CliRunner
from grantflow_cli.client import ApiError, Gateway, dev_token
from grantflow_cli.direct import DirectClient
from grantflow_cli.ops.connection import DEV_FUNDER, connection_options, parse_acting_as, resolve
from grantflow_cli.ops.connection import operation as with_client
from grantflow_cli.transport import Client
from grantflow_runtime.context import Identity, Role

SECRET = "connection-tests-signing-key-0123456789"


@click.command()
@click.option("--fail", is_flag=True)
@with_client(DEV_FUNDER)
def whoami(client: Client, fail: bool) -> None:
    """Prints the transport and the caller it would act as."""
    if fail:
        raise ApiError(
            422,
            {
                "title": "Invalid argument",
                "detail": "no",
                "violations": [{"field": "competition.title", "description": "is required"}],
            },
        )
    if isinstance(client, DirectClient):
        who = client.identity
        click.echo(f"grpc {who.role.value} {who.subject} {who.organisation_id}{who.expert_id}")
    else:
        assert isinstance(client, Gateway)
        claims = jwt.decode(client.token, options={"verify_signature": False})
        click.echo(
            f"http {claims['role']} {claims['sub']} {claims.get('org', '')}{claims.get('expert', '')}"
        )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return {
        "GRANTFLOW_AUTH_SECRET": SECRET,
        "GRANTFLOW_DATA_DIR": str(tmp_path),
        "GRANTFLOW_TOKEN": None,
        "GRANTFLOW_AS": None,
    }


def token_for(who: Identity, env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in env.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return dev_token(who.role, who.subject, organisation_id=who.organisation_id)


@pytest.mark.parametrize(
    ("args", "extra_env", "expected"),
    [
        ([], {}, "http funder dev-funder"),
        (["--as", "admin:root"], {}, "http admin root"),
        (["--as", "applicant:ann:org-7"], {}, "http applicant ann org-7"),
        ([], {"GRANTFLOW_AS": "admin:from-env"}, "http admin from-env"),
        (["--grpc"], {}, "grpc funder dev-funder"),
        (["--grpc", "--as", "expert:eve:ex-1"], {}, "grpc expert eve ex-1"),
    ],
)
def test_who_a_command_acts_as(
    args: list[str], extra_env: dict[str, str], expected: str, env: dict[str, str | None]
) -> None:
    result = CliRunner().invoke(whoami, args, env={**env, **extra_env})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


def test_a_token_names_the_caller_and_the_command_line_beats_the_environment(
    env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = token_for(Identity(subject="alice", role=Role.FUNDER), env, monkeypatch)
    runner = CliRunner()
    from_env = runner.invoke(whoami, [], env={**env, "GRANTFLOW_TOKEN": alice})
    assert from_env.stdout.strip() == "http funder alice"
    over_grpc = runner.invoke(whoami, ["--grpc"], env={**env, "GRANTFLOW_TOKEN": alice})
    assert over_grpc.stdout.strip() == "grpc funder alice"
    typed_as = runner.invoke(whoami, ["--as", "admin:bob"], env={**env, "GRANTFLOW_TOKEN": alice})
    assert typed_as.stdout.strip() == "http admin bob"
    typed_token = runner.invoke(whoami, ["--token", alice], env={**env, "GRANTFLOW_AS": "admin:x"})
    assert typed_token.stdout.strip() == "http funder alice"
    both = runner.invoke(whoami, ["--token", alice, "--as", "admin:bob"], env=env)
    assert both.exit_code == 2 and "give one of them" in both.stderr


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("wizard:merlin", "the role must be one of applicant, expert, funder, admin"),
        ("system:relay", "the role must be one of"),
        ("funder", "name the subject after the role"),
        ("funder:", "name the subject after the role"),
        ("funder:alice:x", "only applicant and expert take a third part"),
    ],
)
def test_a_caller_that_cannot_be_is_a_usage_error(
    text: str, complaint: str, env: dict[str, str | None]
) -> None:
    result = CliRunner().invoke(whoami, ["--as", text], env=env)
    assert result.exit_code == 2 and complaint in result.stderr
    with pytest.raises(click.BadParameter, match=complaint):
        parse_acting_as(text)


def test_a_token_no_caller_may_hold_is_refused_over_grpc(
    env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    garbage = CliRunner().invoke(whoami, ["--grpc", "--token", "not-a-jwt"], env=env)
    assert garbage.exit_code == 1 and "is not a Grantflow bearer token" in garbage.stderr
    # `system` belongs to services inside the trust boundary; no token may carry it.
    insider = token_for(Identity(subject="relay", role=Role.SYSTEM), env, monkeypatch)
    refused = CliRunner().invoke(whoami, ["--grpc", "--token", insider], env=env)
    assert refused.exit_code == 1 and "is not a Grantflow bearer token" in refused.stderr


def test_api_errors_become_a_message_and_exit_code_1(env: dict[str, str | None]) -> None:
    result = CliRunner().invoke(whoami, ["--fail"], env=env)
    assert result.exit_code == 1
    assert result.stderr == "Error: 422 Invalid argument: no\n  competition.title: is required\n"


def test_a_signing_key_that_is_too_short_is_reported(env: dict[str, str | None]) -> None:
    result = CliRunner().invoke(whoami, [], env={**env, "GRANTFLOW_AUTH_SECRET": "short"})
    assert result.exit_code == 1 and "at least 32 bytes" in result.stderr


@click.group()
@connection_options
@click.pass_context
def outer(
    ctx: click.Context,
    gateway: str | None,
    token: str | None,
    acting_as: str | None,
    use_grpc: bool,
) -> None:
    """A `grantflow` whose group takes the connection options, as main.py may come to."""
    ctx.obj = resolve(ctx, gateway, token, acting_as, use_grpc)


outer.add_command(whoami)


def test_options_given_to_a_group_above_reach_the_command(env: dict[str, str | None]) -> None:
    runner = CliRunner()
    above = runner.invoke(outer, ["--as", "admin:root", "whoami"], env=env)
    assert above.stdout.strip() == "http admin root", above.output
    grpc_above = runner.invoke(outer, ["--grpc", "--as", "funder:fay", "whoami"], env=env)
    assert grpc_above.stdout.strip() == "grpc funder fay"
    here_wins = runner.invoke(outer, ["--as", "admin:root", "whoami", "--as", "funder:x"], env=env)
    assert here_wins.stdout.strip() == "http funder x"
    nothing = runner.invoke(outer, ["whoami"], env=env)
    assert nothing.stdout.strip() == "http funder dev-funder"
