"""Region names in the console's languages, from the applications service's catalogue of
federal subjects (its regions.csv), so a page never shows a bare ISO code where a person reads."""

from __future__ import annotations

from grantflow_applications.domain.regions import REGIONS, REGIONS_RU

_NAMES = {"en": REGIONS, "ru": REGIONS_RU}


def region_name(code: str, language: str) -> str:
    """The region's name, or the code as given when the catalogue does not know it."""
    return _NAMES[language].get(code, code)


def region_options(language: str, only: list[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs in alphabetical order of the names: every region, or `only` these."""
    codes = only or list(REGIONS)
    return sorted(((c, region_name(c, language)) for c in codes), key=lambda pair: pair[1])
