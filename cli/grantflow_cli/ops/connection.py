"""Who a command acts as and how its calls travel: the options every operator command takes, the
client they select, and the one place API and input errors become a message and exit code 1.

Callers, strongest first: `--token` or `--as` on the command line (not both), then
GRANTFLOW_TOKEN, then GRANTFLOW_AS, then the command's own development identity (a funder, or an
admin for organisations), signed with the local key. `--grpc` calls the services directly
(GRANTFLOW_<SERVICE>_ADDR) with the identity in metadata instead of going through the gateway.
The same options on a group above (`connection_options` + `resolve` into `ctx.obj`) reach every
command below it, unless the command is given its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import jwt
from click.core import ParameterSource
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.tokens import TOKEN_ROLES

from grantflow_cli.client import ApiError, dev_token, gateway_from_env
from grantflow_cli.ops.errors import InputError, InvalidFile
from grantflow_cli.transport import Client

# The identities `make run` hands out, so a command run without options acts like the dev stack.
DEV_FUNDER = Identity(subject="dev-funder", role=Role.FUNDER)
DEV_ADMIN = Identity(subject="dev-admin", role=Role.ADMIN)
ROLES = ", ".join(r.value for r in TOKEN_ROLES)


class Failure(click.ClickException):
    """A command that could not do its work: the message on stderr, exit code 1."""

    exit_code = 1


def parse_acting_as(text: str) -> Identity:
    """`ROLE:SUBJECT`, or `applicant:SUBJECT:ORGANISATION_ID` / `expert:SUBJECT:EXPERT_ID`."""
    role_text, _, rest = text.strip().partition(":")
    subject, _, extra = rest.partition(":")
    try:
        role = Role(role_text.strip().lower())
    except ValueError:
        role = Role.SYSTEM  # refused just below, with the same message
    if role not in TOKEN_ROLES:
        raise click.BadParameter(f"the role must be one of {ROLES}, got {role_text!r}")
    if not subject.strip():
        raise click.BadParameter("name the subject after the role, as in funder:alice")
    if extra and role not in (Role.APPLICANT, Role.EXPERT):
        raise click.BadParameter(
            "only applicant and expert take a third part (organisation or expert id)"
        )
    return Identity(
        subject=subject.strip(),
        role=role,
        organisation_id=extra.strip() if role is Role.APPLICANT else "",
        expert_id=extra.strip() if role is Role.EXPERT else "",
    )


def identity_in_token(token: str) -> Identity:
    """Who a bearer token names. Not verified: over --grpc the services trust the metadata
    anyway, so the token is only a way of saying whom to act as."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        role = Role(str(claims.get("role", "")))
        if role not in TOKEN_ROLES:
            raise ValueError(role)
        return Identity(
            subject=str(claims["sub"]),
            role=role,
            organisation_id=str(claims.get("org", "")) if role is Role.APPLICANT else "",
            expert_id=str(claims.get("expert", "")) if role is Role.EXPERT else "",
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        raise Failure("the token is not a Grantflow bearer token (role and sub claims)") from None


@dataclass(frozen=True)
class Connection:
    gateway: str | None
    token: str | None
    acting_as: Identity | None
    grpc: bool

    def open(self, default: Identity) -> Client:
        try:
            if self.grpc:
                from grantflow_cli.direct import DirectClient  # gRPC stacks load only when asked

                who = identity_in_token(self.token) if self.token else self.acting_as or default
                return DirectClient.from_env(who)
            if self.token:
                return gateway_from_env(
                    self.gateway, self.token, as_role=default.role, subject=default.subject
                )
            if self.acting_as is not None:
                who = self.acting_as
                bearer = dev_token(
                    who.role,
                    who.subject,
                    organisation_id=who.organisation_id,
                    expert_id=who.expert_id,
                )
                return gateway_from_env(self.gateway, bearer, as_role=who.role, subject=who.subject)
            return gateway_from_env(
                self.gateway, None, as_role=default.role, subject=default.subject
            )
        except ValueError as exc:  # a signing key too short, a malformed address setting
            raise Failure(str(exc)) from None


def resolve(
    ctx: click.Context, gateway: str | None, token: str | None, acting_as: str | None, grpc: bool
) -> Connection:
    """The connection the options of `ctx`'s command name (see `connection_options`)."""
    token_typed = ctx.get_parameter_source("token") is ParameterSource.COMMANDLINE
    as_typed = ctx.get_parameter_source("acting_as") is ParameterSource.COMMANDLINE
    if token_typed and as_typed:
        raise click.UsageError("--token and --as each name the caller; give one of them")
    if acting_as and (as_typed or not token):
        return Connection(gateway, None, parse_acting_as(acting_as), grpc)
    return Connection(gateway, token or None, None, grpc)


def _typed_here(ctx: click.Context) -> bool:
    names = ("gateway", "token", "acting_as", "use_grpc")
    return any(ctx.get_parameter_source(n) is ParameterSource.COMMANDLINE for n in names)


_OPTIONS = (
    click.option(
        "--gateway",
        metavar="URL",
        envvar="GRANTFLOW_GATEWAY_URL",
        help="Gateway to call (env GRANTFLOW_GATEWAY_URL; default http://127.0.0.1:8080).",
    ),
    click.option(
        "--token",
        metavar="JWT",
        envvar="GRANTFLOW_TOKEN",
        help="Bearer token to call with (env GRANTFLOW_TOKEN).",
    ),
    click.option(
        "--as",
        "acting_as",
        metavar="ROLE:SUBJECT",
        envvar="GRANTFLOW_AS",
        help="Act as this caller with a development token signed by the local key "
        "(GRANTFLOW_AUTH_SECRET or the data folder's dev key), e.g. funder:alice; "
        "applicant:SUBJECT:ORG_ID and expert:SUBJECT:EXPERT_ID name the organisation or expert "
        "(env GRANTFLOW_AS).",
    ),
    click.option(
        "--grpc",
        "use_grpc",
        is_flag=True,
        help="Call the services over gRPC directly (trusted network; addresses from "
        "GRANTFLOW_<SERVICE>_ADDR) instead of the gateway.",
    ),
)


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --gateway, --token, --as and --grpc to a command or group; `resolve` reads them."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def operation(default: Identity) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the connection options and a client as its first argument; turn API and
    input errors into a message on stderr and exit code 1."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def run(
            *args: Any,
            gateway: str | None,
            token: str | None,
            acting_as: str | None,
            use_grpc: bool,
            **kwargs: Any,
        ) -> None:
            ctx = click.get_current_context()
            connection = resolve(ctx, gateway, token, acting_as, use_grpc)
            # A group above may have taken the same options (`grantflow --as admin:x ...`) and
            # put its Connection in the context; options typed on the command itself win.
            above = ctx.find_object(Connection)
            if above is not None and not _typed_here(ctx):
                connection = above
            client = connection.open(default)
            try:
                func(client, *args, **kwargs)
            except ApiError as exc:
                raise Failure(str(exc)) from None
            except (InputError, InvalidFile) as exc:
                raise Failure(str(exc)) from None
            finally:
                client.close()

        return connection_options(run)

    return decorate


def json_option(func: Callable[..., None]) -> Callable[..., None]:
    """`--json`: print the API's answer as JSON instead of a table, for scripts."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the answer as JSON instead of tables."
    )(func)
