"""How values read in each language."""

from __future__ import annotations

from grantflow_gateway.console import formats


def test_money_reads_in_each_language() -> None:
    value = {"minorUnits": "123456789", "currencyCode": "RUB"}
    assert formats.money(value, "ru") == "1\u202f234\u202f567,89\u00a0₽"
    assert formats.money(value, "en") == "₽1,234,567.89"
    assert formats.money({"minorUnits": "-5", "currencyCode": "EUR"}, "en") == "€-0.05"
    assert formats.money({"minorUnits": "100", "currencyCode": "KZT"}, "en") == "KZT1.00"


def test_missing_values_read_as_a_dash() -> None:
    assert formats.money(None, "ru") == formats.DASH
    assert formats.money({}, "en") == formats.DASH
    assert formats.date({}, "en") == formats.DASH
    assert formats.timestamp("", "en") == formats.DASH
    assert formats.timestamp("1970-01-01T00:00:00Z", "en") == formats.DASH
    assert formats.decimal("", "ru") == formats.DASH
    assert formats.percent(None, "ru") == formats.DASH


def test_dates_and_instants() -> None:
    day = {"year": 2027, "month": 3, "day": 9}
    assert formats.date(day, "ru") == "09.03.2027"
    assert formats.date(day, "en") == "9 Mar 2027"
    assert formats.date_input(day) == "2027-03-09"
    assert formats.timestamp("2026-11-25T10:05:00Z", "ru") == "25.11.2026 10:05 UTC"
    assert formats.timestamp("2026-11-25T13:05:00+03:00", "en") == "25 Nov 2026 10:05 UTC"


def test_decimals_and_shares() -> None:
    assert formats.decimal("1234.50", "ru") == "1\u202f234,5"
    assert formats.decimal("1234.5", "en", 2) == "1,234.50"
    assert formats.percent("1/4", "en") == "25.0\u00a0%"
    assert formats.percent("0.125", "ru", 2) == "12,50\u00a0%"
    # What cannot be read as a number is shown as it came rather than failing the page.
    assert formats.decimal("n/a", "en") == "n/a"


def test_amounts_for_inputs_are_plain() -> None:
    assert formats.money_input({"minorUnits": "15000050", "currencyCode": "RUB"}) == "150000.50"
    assert formats.money_input(None) == ""
