"""Check digits of Russian state registration numbers (shared DOMAIN.md, "Organisations and identity").

INN: the taxpayer number, 10 digits for a legal entity and 12 for a person (an individual
entrepreneur files under their personal INN). OGRN: the 13-digit state registration number of a
legal entity; OGRNIP: the 15-digit one of an individual entrepreneur.

Problems are described without echoing the value: a 12-digit INN identifies a person.
"""

from __future__ import annotations

from typing import NamedTuple

_DIGITS = frozenset("0123456789")

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

INN_LEGAL_LENGTH = 10
INN_PERSON_LENGTH = 12
OGRN_LENGTH = 13
OGRNIP_LENGTH = 15


class Problem(NamedTuple):
    """What is wrong with an identifier: a stable rule ("format" or "checksum") and a sentence."""

    rule: str
    description: str


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() accepts full-width and other Unicode digits, which no registry issues.
    return bool(value) and all(ch in _DIGITS for ch in value)


def _weighted_check(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def inn_check_digits(prefix: str) -> str:
    """The check digits that complete a 9-digit (legal entity) or 10-digit (person) prefix."""
    if not _is_ascii_digits(prefix) or len(prefix) not in (9, 10):
        raise ValueError("an INN prefix has 9 (legal entity) or 10 (person) ASCII digits")
    if len(prefix) == 9:
        return str(_weighted_check(prefix, _INN10_WEIGHTS))
    d11 = str(_weighted_check(prefix, _INN12_WEIGHTS_11))
    return d11 + str(_weighted_check(prefix + d11, _INN12_WEIGHTS_12))


def ogrn_check_digit(prefix: str) -> str:
    """The check digit that completes a 12-digit OGRN or a 14-digit OGRNIP prefix."""
    if not _is_ascii_digits(prefix) or len(prefix) not in (12, 14):
        raise ValueError("an OGRN prefix has 12 ASCII digits, an OGRNIP prefix 14")
    modulus = 11 if len(prefix) == 12 else 13
    return str(int(prefix) % modulus % 10)


def inn_issue(value: str, *, person: bool | None = None) -> Problem | None:
    """None for a valid INN; `person` True demands 12 digits, False 10, None takes either."""
    lengths = {
        None: (INN_LEGAL_LENGTH, INN_PERSON_LENGTH),
        False: (INN_LEGAL_LENGTH,),
        True: (INN_PERSON_LENGTH,),
    }[person]
    if not value:
        return Problem("format", "is empty")
    if not _is_ascii_digits(value):
        return Problem("format", "must consist of ASCII digits only")
    if len(value) not in lengths:
        if person is True:
            wanted = "12 digits (the INN of a person or individual entrepreneur)"
        elif person is False:
            wanted = "10 digits (the INN of a legal entity)"
        else:
            wanted = "10 digits (legal entity) or 12 digits (person or individual entrepreneur)"
        return Problem("format", f"must have {wanted}, not {len(value)}")
    body = 9 if len(value) == INN_LEGAL_LENGTH else 10
    if value[body:] != inn_check_digits(value[:body]):
        return Problem("checksum", "has a wrong check digit; it is not a valid INN")
    return None


def _ogrn_issue(value: str, length: int, name: str) -> Problem | None:
    if not value:
        return Problem("format", "is empty")
    if not _is_ascii_digits(value):
        return Problem("format", "must consist of ASCII digits only")
    if len(value) != length:
        return Problem("format", f"must have {length} digits ({name}), not {len(value)}")
    if value[-1] != ogrn_check_digit(value[:-1]):
        return Problem("checksum", f"has a wrong check digit; it is not a valid {name}")
    return None


def ogrn_issue(value: str) -> Problem | None:
    """None for a valid 13-digit OGRN of a legal entity."""
    return _ogrn_issue(value, OGRN_LENGTH, "OGRN")


def ogrnip_issue(value: str) -> Problem | None:
    """None for a valid 15-digit OGRNIP of an individual entrepreneur."""
    return _ogrn_issue(value, OGRNIP_LENGTH, "OGRNIP")


def inn_problem(value: str, *, person: bool | None = None) -> str | None:
    issue = inn_issue(value, person=person)
    return None if issue is None else issue.description


def ogrn_problem(value: str) -> str | None:
    issue = ogrn_issue(value)
    return None if issue is None else issue.description


def ogrnip_problem(value: str) -> str | None:
    issue = ogrnip_issue(value)
    return None if issue is None else issue.description


def is_valid_inn(value: str, *, person: bool | None = None) -> bool:
    return inn_issue(value, person=person) is None


def is_valid_ogrn(value: str) -> bool:
    return ogrn_issue(value) is None


def is_valid_ogrnip(value: str) -> bool:
    return ogrnip_issue(value) is None
