"""Russian and English texts of the console: one catalogue, keyed by stable names.

Each area of the console keeps its texts in a module of `messages/` as `{key: (english,
russian)}`; the catalogue is their union, and a key defined twice is an error at import. Texts
take `str.format` parameters by name."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
_COLUMN = {"en": 0, "ru": 1}


def _load() -> dict[str, tuple[str, str]]:
    from grantflow_gateway.console import messages

    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        texts: Mapping[str, tuple[str, str]] = module.MESSAGES
        for key, pair in texts.items():
            if key in merged:
                raise ValueError(f"console text {key!r} is defined twice ({info.name})")
            merged[key] = pair
    return merged


CATALOGUE: Mapping[str, tuple[str, str]] = _load()


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, /, **params: object) -> str:
        text = CATALOGUE[key][_COLUMN[self.language]]
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in CATALOGUE

    def maybe(self, key: str, fallback: str) -> str:
        """The text for `key` when the catalogue has one, else `fallback` as it is: for values
        that come from the services (a state, a rule code) where a new value must still show."""
        return self(key) if key in CATALOGUE else fallback


def negotiate(accept_language: str) -> str:
    """The first of our languages the browser's Accept-Language names, by its q order."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(ranked):
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE
