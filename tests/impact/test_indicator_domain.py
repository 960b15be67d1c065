"""The indicator catalogue's rules, without gRPC or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from grantflow_impact.domain.indicators import (
    Aggregation,
    Direction,
    IndicatorDefinition,
    IndicatorTerms,
    ResultLevel,
)
from grantflow_runtime.errors import InvalidArgument

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
# Unicode digits that a bare \d would accept: PI2718 and 1.2.1 written with Arabic-Indic digits.
ARABIC_INDIC_IRIS = "PI\u0662\u0667\u0661\u0668"
ARABIC_INDIC_SDG = "\u0661.2.1"

GOOD = IndicatorTerms(
    code="beneficiaries-reached",
    title="Beneficiaries reached",
    unit="people",
    result_level=ResultLevel.OUTPUT,
    aggregation=Aggregation.SUM,
    direction=Direction.INCREASE,
    iris_metric_id="PI2718",
    sdg_indicator="1.2.1",
)


def violations(terms: IndicatorTerms) -> list[tuple[str, str]]:
    """(field, rule) of every violation, in the order reported."""
    with pytest.raises(InvalidArgument) as caught:
        IndicatorDefinition.create(terms=terms, now=NOW)
    return [(v.field, v.rule) for v in caught.value.violations]


def test_valid_terms_make_a_definition() -> None:
    d = IndicatorDefinition.create(terms=GOOD, now=NOW)
    assert d == IndicatorDefinition(
        code="beneficiaries-reached",
        title="Beneficiaries reached",
        unit="people",
        result_level=ResultLevel.OUTPUT,
        aggregation=Aggregation.SUM,
        direction=Direction.INCREASE,
        iris_metric_id="PI2718",
        sdg_indicator="1.2.1",
        created_at=NOW,
    )


def test_reference_codes_are_optional_and_missing_means_none() -> None:
    d = IndicatorDefinition.create(
        terms=replace(GOOD, iris_metric_id="", sdg_indicator=""), now=NOW
    )
    assert d.iris_metric_id is None
    assert d.sdg_indicator is None


def test_title_and_unit_are_trimmed_but_code_is_taken_as_given() -> None:
    d = IndicatorDefinition.create(
        terms=replace(GOOD, title="  Beneficiaries reached \n", unit=" % "), now=NOW
    )
    assert d.title == "Beneficiaries reached"
    assert d.unit == "%"
    assert violations(replace(GOOD, code=" beneficiaries-reached")) == [
        ("indicator_definition.code", "format")
    ]


@pytest.mark.parametrize(
    "code", ["a", "0", "people-reached", "sdg-1-2-1", "x" * 64, "a-b-c-d", "co2-tonnes"]
)
def test_codes_that_fit_the_pattern(code: str) -> None:
    assert IndicatorDefinition.create(terms=replace(GOOD, code=code), now=NOW).code == code


@pytest.mark.parametrize(
    "code",
    [
        "Beneficiaries",
        "people_reached",
        "people reached",
        "-people",
        "people-",
        "people--reached",
        "people.reached",
        "люди",
        "a\n",
    ],
)
def test_codes_that_break_the_pattern(code: str) -> None:
    assert violations(replace(GOOD, code=code)) == [("indicator_definition.code", "format")]


def test_code_is_required() -> None:
    assert violations(replace(GOOD, code="")) == [("indicator_definition.code", "required")]


def test_code_at_most_64_characters() -> None:
    assert violations(replace(GOOD, code="x" * 65)) == [("indicator_definition.code", "max_len")]


def test_code_too_long_and_malformed_reports_both() -> None:
    assert violations(replace(GOOD, code="X" * 65)) == [
        ("indicator_definition.code", "max_len"),
        ("indicator_definition.code", "format"),
    ]


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_title_is_required(title: str) -> None:
    assert violations(replace(GOOD, title=title)) == [("indicator_definition.title", "required")]


def test_title_at_most_300_characters() -> None:
    assert IndicatorDefinition.create(terms=replace(GOOD, title="t" * 300), now=NOW)
    assert violations(replace(GOOD, title="t" * 301)) == [("indicator_definition.title", "max_len")]


@pytest.mark.parametrize("unit", ["", "  "])
def test_unit_is_required(unit: str) -> None:
    assert violations(replace(GOOD, unit=unit)) == [("indicator_definition.unit", "required")]


def test_unit_at_most_32_characters() -> None:
    assert IndicatorDefinition.create(terms=replace(GOOD, unit="u" * 32), now=NOW)
    assert violations(replace(GOOD, unit="u" * 33)) == [("indicator_definition.unit", "max_len")]


@pytest.mark.parametrize("name", ["result_level", "aggregation", "direction"])
def test_enums_must_be_specified(name: str) -> None:
    unspecified: dict[str, Any] = {name: None}
    terms = replace(GOOD, **unspecified)
    assert violations(terms) == [(f"indicator_definition.{name}", "required")]


def test_unspecified_enum_names_the_choices() -> None:
    with pytest.raises(InvalidArgument) as caught:
        IndicatorDefinition.create(terms=replace(GOOD, direction=None), now=NOW)
    assert "increase, decrease, maintain" in caught.value.violations[0].description


@pytest.mark.parametrize("iris", ["PI0000", "PI2718", "PI9999"])
def test_iris_metric_ids_that_fit(iris: str) -> None:
    d = IndicatorDefinition.create(terms=replace(GOOD, iris_metric_id=iris), now=NOW)
    assert d.iris_metric_id == iris


@pytest.mark.parametrize(
    "iris",
    ["pi2718", "PI271", "PI27180", "OI2718", "PI27a8", " PI2718", "PI2718\n", ARABIC_INDIC_IRIS],
)
def test_iris_metric_ids_that_do_not(iris: str) -> None:
    assert violations(replace(GOOD, iris_metric_id=iris)) == [
        ("indicator_definition.iris_metric_id", "format")
    ]


@pytest.mark.parametrize("sdg", ["1.2.1", "17.19.2", "6.a.1", "14.c.1", "3.3.10", "1.1a.1"])
def test_sdg_indicators_that_fit(sdg: str) -> None:
    d = IndicatorDefinition.create(terms=replace(GOOD, sdg_indicator=sdg), now=NOW)
    assert d.sdg_indicator == sdg


@pytest.mark.parametrize(
    "sdg",
    [
        "1.2",
        "1.2.1.1",
        "123.1.1",
        "1.abc.1",
        "1.A.1",
        "1.2.100",
        "1-2-1",
        ARABIC_INDIC_SDG,
        "1.2.1 ",
    ],
)
def test_sdg_indicators_that_do_not(sdg: str) -> None:
    assert violations(replace(GOOD, sdg_indicator=sdg)) == [
        ("indicator_definition.sdg_indicator", "format")
    ]


def test_every_broken_rule_is_reported_together() -> None:
    terms = IndicatorTerms(
        code="Bad Code",
        title="",
        unit="u" * 33,
        result_level=None,
        aggregation=None,
        direction=None,
        iris_metric_id="2718",
        sdg_indicator="one.two",
    )
    assert violations(terms) == [
        ("indicator_definition.code", "format"),
        ("indicator_definition.title", "required"),
        ("indicator_definition.unit", "max_len"),
        ("indicator_definition.result_level", "required"),
        ("indicator_definition.aggregation", "required"),
        ("indicator_definition.direction", "required"),
        ("indicator_definition.iris_metric_id", "format"),
        ("indicator_definition.sdg_indicator", "format"),
    ]


def test_field_paths_follow_the_given_prefix() -> None:
    with pytest.raises(InvalidArgument) as caught:
        IndicatorDefinition.create(terms=replace(GOOD, code=""), now=NOW, prefix="indicator")
    assert [v.field for v in caught.value.violations] == ["indicator.code"]
