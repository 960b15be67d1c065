"""How the `grantflow` command reaches a deployment: the gateway's HTTP API with a bearer token.

Problem documents become `ApiError`s that name the status, the detail and every field violation,
so each command can print a clear message instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx
from grantflow_runtime.config import Config
from grantflow_runtime.context import Role
from grantflow_runtime.tokens import key_from_config, mint

from grantflow_cli.transport import RequestHelpers

DEFAULT_GATEWAY = "http://127.0.0.1:8080"


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        violations = problem.get("violations") or []
        lines = [f"{status} {problem.get('title', 'error')}: {problem.get('detail', '')}"]
        lines += [f"  {v.get('field')}: {v.get('description')}" for v in violations]
        super().__init__("\n".join(lines))


@dataclass
class Gateway(RequestHelpers):
    """A thin JSON client; one instance per command run."""

    base_url: str
    token: str
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            timeout=self.timeout_s,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(
                503, {"title": "Gateway unreachable", "detail": f"{self.base_url}: {exc}"}
            ) from exc
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            raise ApiError(response.status_code, problem)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content


def dev_token(role: Role, subject: str, *, organisation_id: str = "", expert_id: str = "") -> str:
    """A token signed with the local key (GRANTFLOW_AUTH_SECRET or the development key)."""
    key = key_from_config(Config.from_env())
    return mint(
        key, subject=subject, role=role, organisation_id=organisation_id, expert_id=expert_id
    )


def gateway_from_env(
    gateway: str | None, token: str | None, *, as_role: Role, subject: str
) -> Gateway:
    """The gateway at `gateway` (or GRANTFLOW_GATEWAY_URL), called with `token` (or GRANTFLOW_TOKEN);
    without either, a development token for `subject` in `as_role` signed with the local key."""
    url = gateway or os.environ.get("GRANTFLOW_GATEWAY_URL") or DEFAULT_GATEWAY
    bearer = token or os.environ.get("GRANTFLOW_TOKEN") or dev_token(as_role, subject)
    return Gateway(url, bearer)
