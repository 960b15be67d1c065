"""Bearer tokens: verify the ones callers present, and mint development tokens.

A token is a JWT signed with HS256 by the configured key. Verification pins the algorithm (so
`alg: none` and key-confusion tricks fail), and requires issuer, audience, expiry, issue time and
subject. Claims beyond the registered ones: `role` (applicant, expert, funder, admin), `org` (the
organisation an applicant acts for) and `expert` (the expert id an expert acts as).
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from grantflow_runtime.config import Config
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.errors import Unauthenticated

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
DEV_KEY_FILE = "dev-signing.key"
# Roles a token may carry; `system` belongs to services inside the trust boundary only.
TOKEN_ROLES = (Role.APPLICANT, Role.EXPERT, Role.FUNDER, Role.ADMIN)
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class TokenKey:
    secret: bytes
    issuer: str
    audience: str
    leeway_s: float = 30.0


def key_from_config(config: Config) -> TokenKey:
    """The configured signing key, or the development key kept in the data folder."""
    secret = config.auth.secret.encode() if config.auth.secret else _dev_secret(config.data_dir)
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"GRANTFLOW_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
    return TokenKey(
        secret=secret,
        issuer=config.auth.issuer,
        audience=config.auth.audience,
        leeway_s=config.auth.leeway_s,
    )


def _dev_secret(data_dir: Path) -> bytes:
    path = data_dir / DEV_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together agree on one key; the loser reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def verify(token: str, key: TokenKey) -> Identity:
    """The identity a valid token names; Unauthenticated, saying why, for anything else."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated("the bearer token is missing or too long", reason="INVALID_TOKEN")
    try:
        claims = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=key.audience,
            issuer=key.issuer,
            leeway=key.leeway_s,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the bearer token has expired", reason="TOKEN_EXPIRED") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(
            f"the bearer token is invalid: {exc}", reason="INVALID_TOKEN"
        ) from exc
    return _identity(claims)


def _identity(claims: dict[str, object]) -> Identity:
    subject, role, organisation, expert = (
        claims.get("sub"),
        claims.get("role"),
        claims.get("org", ""),
        claims.get("expert", ""),
    )
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise Unauthenticated("the token's subject is not a usable name", reason="INVALID_TOKEN")
    if role not in {r.value for r in TOKEN_ROLES}:
        raise Unauthenticated(
            f"the token's role {role!r} is not one of {', '.join(r.value for r in TOKEN_ROLES)}",
            reason="INVALID_TOKEN",
        )
    if not isinstance(organisation, str) or not isinstance(expert, str):
        raise Unauthenticated(
            "the token's org and expert claims must be strings", reason="INVALID_TOKEN"
        )
    parsed = Role(role)
    return Identity(
        subject=subject,
        role=parsed,
        organisation_id=organisation if parsed is Role.APPLICANT else "",
        expert_id=expert if parsed is Role.EXPERT else "",
    )


def mint(
    key: TokenKey,
    *,
    subject: str,
    role: Role,
    organisation_id: str = "",
    expert_id: str = "",
    ttl_s: float = 12 * 3600,
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {
        "iss": key.issuer,
        "aud": key.audience,
        "sub": subject,
        "role": role.value,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl_s),
    }
    if organisation_id:
        claims["org"] = organisation_id
    if expert_id:
        claims["expert"] = expert_id
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM)


# Who `make run` hands tokens to: one identity per role, so a person can try every route.
DEV_IDENTITIES = (
    Identity(subject="dev-applicant", role=Role.APPLICANT),
    Identity(subject="dev-expert", role=Role.EXPERT),
    Identity(subject="dev-funder", role=Role.FUNDER),
    Identity(subject="dev-admin", role=Role.ADMIN),
)


def dev_tokens(key: TokenKey, *, ttl_s: float = 7 * 24 * 3600) -> dict[Role, str]:
    return {
        who.role: mint(key, subject=who.subject, role=who.role, ttl_s=ttl_s)
        for who in DEV_IDENTITIES
    }


def main(argv: list[str] | None = None) -> None:
    """`grantflow-token`: mint a bearer token with the configured key (development and tests)."""
    parser = argparse.ArgumentParser(
        prog="grantflow-token",
        description="Mint a bearer token signed with GRANTFLOW_AUTH_SECRET (or the development "
        "key in the data folder) for the gateway.",
    )
    parser.add_argument("--role", required=True, choices=[r.value for r in TOKEN_ROLES])
    parser.add_argument("--subject", required=True, help="who the caller is (the token's sub)")
    parser.add_argument("--org", default="", help="organisation an applicant acts for")
    parser.add_argument("--expert", default="", help="expert id an expert acts as")
    parser.add_argument("--ttl-hours", type=float, default=12.0, help="lifetime (default 12)")
    args = parser.parse_args(argv)
    if args.ttl_hours <= 0:
        parser.error("--ttl-hours must be positive")
    key = key_from_config(Config.from_env())
    print(
        mint(
            key,
            subject=args.subject,
            role=Role(args.role),
            organisation_id=args.org,
            expert_id=args.expert,
            ttl_s=args.ttl_hours * 3600,
        )
    )


if __name__ == "__main__":
    main()
