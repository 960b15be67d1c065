"""Region names for people, in both languages."""

from __future__ import annotations

from grantflow_applications.domain.regions import REGIONS
from grantflow_gateway.console.places import region_name, region_options


def test_every_region_has_a_name_in_each_language() -> None:
    assert region_name("RU-PRI", "en") == "Primorsky Krai"
    assert region_name("RU-PRI", "ru") == "Приморский край"
    assert all(region_name(code, "ru") != code for code in REGIONS)
    # A code the catalogue does not know is shown as it came.
    assert region_name("RU-XXX", "ru") == "RU-XXX"


def test_options_are_in_alphabetical_order_of_the_names() -> None:
    russian = region_options("ru")
    assert len(russian) == len(REGIONS)
    assert [name for _, name in russian] == sorted(name for _, name in russian)
    assert region_options("en", ["RU-PRI", "RU-AD"]) == [
        ("RU-PRI", "Primorsky Krai"),
        ("RU-AD", "Republic of Adygea"),
    ]
