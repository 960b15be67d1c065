"""Russian federal subjects by ISO 3166-2:RU code, read from regions.csv, with their English
and Russian names.

The catalogue is data, not code, so a subject can be added by editing the CSV (shared DOMAIN.md).
"""

from __future__ import annotations

import csv
from importlib.resources import files


def _load() -> tuple[dict[str, str], dict[str, str]]:
    # importlib.resources finds the file inside a wheel or zip as well as in a source checkout.
    text = (
        files(__package__ or __name__.rpartition(".")[0])
        .joinpath("regions.csv")
        .read_text(encoding="utf-8")
    )
    english: dict[str, str] = {}
    russian: dict[str, str] = {}
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        name_ru = (row.get("name_ru") or "").strip()
        # A broken catalogue must stop the service at start-up, not reject applicants later.
        if not code.startswith("RU-") or not name or not name_ru:
            raise ValueError(f"regions.csv line {line}: needs an ISO 3166-2:RU code and both names")
        if code in english:
            raise ValueError(f"regions.csv line {line}: {code} is listed twice")
        english[code] = name
        russian[code] = name_ru
    return english, russian


# Loaded once at import; callers treat them as read-only.
REGIONS, REGIONS_RU = _load()


def is_region(code: str) -> bool:
    return code in REGIONS
