"""Every text the console shows exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from grantflow_gateway.console import i18n
from grantflow_gateway.console.i18n import CATALOGUE, Translator, negotiate

CONSOLE = Path(i18n.__file__).parent
# A literal key passed to t(...) in a template or a module: t("key") or p.t("key").
_LITERAL = re.compile(r"""\bt\(\s*["']([a-z0-9_.\-]+)["']\s*[,)]""")
# A state macro call names its kind; the values come from the services.
_DYNAMIC = re.compile(r"""\bt\(\s*["']([a-z0-9_.\-]+\.)["']\s*~""")


def _sources() -> list[Path]:
    return [*CONSOLE.rglob("*.html"), *CONSOLE.rglob("*.py")]


def test_every_literal_key_is_in_the_catalogue() -> None:
    missing = {
        (path.relative_to(CONSOLE).as_posix(), key)
        for path in _sources()
        for key in _LITERAL.findall(path.read_text(encoding="utf-8"))
        if key not in CATALOGUE
    }
    assert not missing, sorted(missing)


def test_every_dynamic_prefix_has_texts() -> None:
    prefixes = {key for path in _sources() for key in _DYNAMIC.findall(path.read_text("utf-8"))}
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in CATALOGUE), prefix


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_are_written_and_take_the_same_parameters(key: str) -> None:
    english, russian = CATALOGUE[key]
    assert english.strip() and russian.strip()
    assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", russian))


def test_russian_texts_are_russian() -> None:
    # A text left untranslated shows up as Latin letters only, where Cyrillic was expected.
    def words(text: str) -> str:
        return re.sub(r"\{\w+\}", "", text)

    same = {
        k for k, (en, ru) in CATALOGUE.items() if en == ru and re.search("[A-Za-z]{4}", words(en))
    }
    assert same == {"language.en"}


def test_the_browser_language_is_honoured_by_its_weights() -> None:
    assert negotiate("en-GB,en;q=0.9,ru;q=0.8") == "en"
    assert negotiate("de-DE, ru;q=0.5, en;q=0.4") == "ru"
    assert negotiate("fr, de") == "ru"
    assert negotiate("") == "ru"
    assert negotiate("en;q=bad, ru;q=0.1") == "ru"


def test_parameters_are_filled_in() -> None:
    assert Translator("en")("form.errors_title", count=3) == "Problems to fix: 3"
    assert Translator("ru").maybe("state.application.NEW_STATE", "NEW_STATE") == "NEW_STATE"


def test_service_rules_lead_in_russian_and_keep_their_figures() -> None:
    from grantflow_gateway.console.web import Errors, localized
    from grantflow_gateway.problems import Violation

    errors = Errors(
        [
            Violation("title", "is required", "REQUIRED"),
            Violation("budgetLines", "the sums are 5 and 7; they must be equal", "sum"),
            Violation("x", "something new", "brand_new_rule"),
            Violation("y", "уже по-русски", "required"),
        ]
    )
    russian = [v.description for v in localized(errors, Translator("ru")).items]
    assert russian == [
        "обязательное поле",
        "суммы не сходятся (the sums are 5 and 7; they must be equal)",
        "something new",
        "уже по-русски",
    ]
    assert localized(errors, Translator("en")) is errors
