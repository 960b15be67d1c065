"""Errors in an operator's input file, said the way an editor finds them: file, line, column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """1-based, as editors count."""

    line: int
    column: int


class InputError(Exception):
    """The file cannot be used at all (unreadable, malformed, missing columns)."""

    def __init__(self, source: str, message: str, position: Position | None = None) -> None:
        self.source = source
        self.message = message
        self.position = position
        super().__init__(located(source, message, position))


def located(source: str, message: str, position: Position | None) -> str:
    """`file:line:column: message`, the form compilers use and editors jump to."""
    if position is None:
        return f"{source}: {message}"
    return f"{source}:{position.line}:{position.column}: {message}"


class InvalidFile(Exception):
    """Every problem found in a file, reported at once so one edit fixes them all."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
