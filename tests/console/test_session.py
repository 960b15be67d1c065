"""The session cookie is Secure whenever the browser came over HTTPS."""

from __future__ import annotations

from grantflow_gateway.console.session import served_over_https
from starlette.requests import Request


def request(scheme: str, headers: dict[str, str]) -> Request:
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "method": "GET",
            "path": "/console/",
            "query_string": b"",
            "server": ("console.example", 443 if scheme == "https" else 80),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


def test_https_directly_or_behind_a_proxy() -> None:
    assert served_over_https(request("https", {}))
    assert served_over_https(request("http", {"X-Forwarded-Proto": "https"}))
    assert served_over_https(request("http", {"X-Forwarded-Proto": "HTTPS, http"}))
    assert not served_over_https(request("http", {}))
    assert not served_over_https(request("http", {"X-Forwarded-Proto": "http"}))
