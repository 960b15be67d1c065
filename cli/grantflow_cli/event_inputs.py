"""What operators type at `grantflow events`: subject filters and points in time, checked up front
so a typo is an error that says what was meant, not an empty result."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, timedelta

from grantflow_runtime import catalogue
from grantflow_runtime.bus import EVENTS_SUBJECTS

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TOKEN = re.compile(r"^[^\s.*>]+$")
TIME_HELP = (
    "ISO 8601 (2026-04-01, 2026-04-01T10:00:00Z; no zone means UTC) or an age (90s, 15m, 2h, 7d)"
)


class InputError(ValueError):
    """Input that cannot be used; the message says why and what would work."""


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a final `>` one or more."""
    pattern_tokens = pattern.split(".")
    subject_tokens = subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens) or token not in ("*", subject_tokens[index]):
            return False
    return len(pattern_tokens) == len(subject_tokens)


def check_subject_filter(pattern: str, *, within: str = EVENTS_SUBJECTS) -> str:
    """A well-formed subject filter inside `within`; events' filters must also match some event
    of the catalogue, so `grantflow.award.decided` fails with a suggestion."""
    tokens = pattern.split(".")
    for index, token in enumerate(tokens):
        wildcard = token == "*" or (token == ">" and index == len(tokens) - 1)
        if not (wildcard or _TOKEN.match(token)):
            raise InputError(
                f"{pattern!r} is not a subject filter: tokens are separated by single dots, "
                "`*` stands for one whole token and `>` for the rest at the end"
            )
    if not (matches(within, pattern.replace(">", "x").replace("*", "x")) or pattern == within):
        raise InputError(f"{pattern!r} is outside {within!r}, where these events are")
    if within == EVENTS_SUBJECTS and not any(matches(pattern, s.subject) for s in catalogue.ALL):
        known = [s.subject for s in catalogue.ALL]
        literal = "*" not in pattern and ">" not in pattern
        # Only a literal subject is likely a typo of one; a wildcard's near misses mislead.
        close = difflib.get_close_matches(pattern, known, n=2, cutoff=0.8) if literal else []
        hint = f"; did you mean {' or '.join(close)}?" if close else "; see docs/asyncapi.yaml"
        raise InputError(f"{pattern!r} matches no event subject{hint}")
    return pattern


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """An absolute UTC time from ISO 8601 or from an age such as `15m` (that long ago)."""
    value = text.strip()
    duration = _DURATION.match(value)
    if duration:
        amount, unit = int(duration[1]), duration[2]
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a time: use {TIME_HELP}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
