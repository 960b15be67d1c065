"""Russian registration numbers with their real check digits (shared DOMAIN.md, "Organisations and
identity"), generated from a seeded random generator so every run issues the same ones."""

from __future__ import annotations

import random
from datetime import date

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn10_check_digit(body: str) -> str:
    """The 10th digit of a legal entity's INN from its first nine."""
    if len(body) != 9 or not body.isascii() or not body.isdigit():
        raise ValueError("an INN body has nine ASCII digits")
    return str(sum(int(d) * w for d, w in zip(body, _INN10_WEIGHTS, strict=True)) % 11 % 10)


def ogrn_check_digit(body: str) -> str:
    """The 13th digit of an OGRN from its first twelve."""
    if len(body) != 12 or not body.isascii() or not body.isdigit():
        raise ValueError("an OGRN body has twelve ASCII digits")
    return str(int(body) % 11 % 10)


def inn10(rng: random.Random, region_number: str) -> str:
    """A legal entity's INN: region number, tax office, record number, check digit."""
    body = region_number + f"{rng.randrange(1, 100):02d}" + f"{rng.randrange(0, 100_000):05d}"
    return body + inn10_check_digit(body)


def ogrn13(rng: random.Random, region_number: str, registered_on: date) -> str:
    """A legal entity's OGRN: sign 1, the year registered, region, office, record, check digit."""
    body = (
        "1"
        + f"{registered_on.year % 100:02d}"
        + region_number
        + f"{rng.randrange(1, 100):02d}"
        + f"{rng.randrange(0, 100_000):05d}"
    )
    return body + ogrn_check_digit(body)
