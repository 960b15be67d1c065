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


class RequestHelpers:
    """get, post and pages on top of a client's `request`; both clients share them."""

    # Small enough for any deployment's GRANTFLOW_GATEWAY_MAX_PAGE_SIZE.
    page_size: int = 100

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        raise NotImplementedError

    def get(self, path: str, **params: Any) -> Any:
        return self.request(
            "GET", path, params={k: v for k, v in params.items() if v not in (None, "")}
        )

    def post(self, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=body, idempotency_key=idempotency_key)

    def pages(self, path: str, field: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paged list, following nextPageToken."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            page = self.get(path, pageSize=self.page_size, pageToken=token, **params)
            items.extend(page.get(field, []))
            token = page.get("nextPageToken", "")
            if not token:
                return items
