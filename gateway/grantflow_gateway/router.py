"""Finds the route for a method and path: 404 when no path matches, 405 (with Allow) when the
path exists under other methods."""

from __future__ import annotations

from collections.abc import Sequence

from grantflow_gateway.problems import Problem
from grantflow_gateway.routes import Route


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)
        seen: set[tuple[str, str]] = set()
        for route in self.routes:
            key = (route.method, route.path)
            if key in seen:
                raise ValueError(f"route {route.method} {route.path} is declared twice")
            seen.add(key)

    def match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groups()
            allowed.append(route.method)
        if allowed:
            raise Problem(
                405,
                f"{method} is not allowed here; use {', '.join(sorted(set(allowed)))}",
                reason="METHOD_NOT_ALLOWED",
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
        raise Problem(404, f"no resource at {path}", reason="NO_SUCH_PATH", code="NOT_FOUND")
