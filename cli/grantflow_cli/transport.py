"""What the commands need of a client, whichever way calls travel: the gateway's HTTP API
(`client.Gateway`) or the services' gRPC directly (`direct.DirectClient`)."""

from __future__ import annotations

from typing import Any, Protocol


class Client(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any: ...

    def get(self, path: str, **params: Any) -> Any: ...

    def post(self, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any: ...

    def pages(self, path: str, field: str, **params: Any) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
