"""Roubles as operators write them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from grantflow_cli.ops.money import (
    MoneyError,
    format_roubles,
    money_json,
    parse_roubles,
)
from grantflow_runtime.money import minor_units_of


@pytest.mark.parametrize(
    ("written", "kopecks"),
    [
        (1_500_000, 150_000_000),
        (0, 0),
        (1500000.5, 150_000_050),
        (0.1, 10),
        (Decimal("12.34"), 1234),
        ("1500000", 150_000_000),
        ("1 500 000", 150_000_000),
        ("1\u00a0500\u00a0000", 150_000_000),  # no-break spaces, as spreadsheets copy them
        ("1\u202f500\u202f000,50", 150_000_050),
        ("1 500 000.5", 150_000_050),
        ("  250 000 ₽ ", 25_000_000),
        ("250000 руб.", 25_000_000),
        ("250 000 RUB", 25_000_000),
        ("999", 99_900),
    ],
)
def test_amounts_in_the_forms_people_write(written: Any, kopecks: int) -> None:
    assert parse_roubles(written) == kopecks


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        (-5, "negative"),
        ("-5", "negative"),
        ("1,500,000", "must be an amount in roubles"),
        ("1.500.000", "must be an amount in roubles"),
        ("15 00 000", "must be an amount in roubles"),
        ("1 500 000,505", "must be an amount in roubles"),
        (0.001, "more than two decimal places"),
        ("a million", "must be an amount in roubles"),
        ("", "must be an amount in roubles"),
        (True, "not true or false"),
        (None, "must be an amount"),
        ([1], "must be an amount"),
        (float("inf"), "finite"),
        (10**15, "at most 15 digits"),
        ("1 000 000 000 000 000", "at most 15 digits"),
    ],
)
def test_what_is_not_an_amount_is_refused_with_a_reason(written: Any, complaint: str) -> None:
    with pytest.raises(MoneyError, match=complaint):
        parse_roubles(written)


def test_money_travels_as_kopecks_in_a_string_and_comes_back_exact() -> None:
    assert money_json(150_000_050) == {"minorUnits": "150000050", "currencyCode": "RUB"}
    assert minor_units_of({"minorUnits": "150000050", "currencyCode": "RUB"}) == 150_000_050
    assert minor_units_of(None) == 0 and minor_units_of({}) == 0
    assert format_roubles(150_000_050) == "1 500 000.50"
    assert format_roubles(5) == "0.05"
    assert format_roubles(-100_000) == "-1 000.00"
