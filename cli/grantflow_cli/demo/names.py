"""Russian names for seeded people and organisations, built from the word lists."""

from __future__ import annotations

import random

from grantflow_cli.demo import words


def person_name(rng: random.Random) -> str:
    """Surname, given name and patronymic, agreeing in gender."""
    female = rng.random() < 0.6  # most NGO staff and experts in the sector are women
    surname = rng.choice(words.SURNAMES)[1 if female else 0]
    given = rng.choice(words.FEMALE_NAMES if female else words.MALE_NAMES)
    patronymic = rng.choice(words.PATRONYMICS)[1 if female else 0]
    return f"{surname} {given} {patronymic}"


def short_name(rng: random.Random) -> str:
    """The quoted part of an organisation's name: an adjective and a noun, or a single word."""
    if rng.random() < 0.2:
        return rng.choice(words.SINGLE_NAMES)
    noun, gender = rng.choice(words.NOUNS)
    adjective = rng.choice(words.ADJECTIVES)[gender]
    return f"{adjective} {noun}"


def organisation_name(rng: random.Random) -> tuple[str, str]:
    """A full organisation name and its legal form as the API spells it."""
    forms = words.ORGANISATION_FORMS
    pattern, legal_form, _ = rng.choices(forms, weights=[w for _, _, w in forms])[0]
    return pattern.format(short_name(rng)), legal_form


def partner_name(rng: random.Random) -> str:
    trade = f"{rng.choice(words.PARTNER_PREFIXES)} {rng.choice(words.PARTNER_TRADES)}"
    return rng.choice(words.PARTNER_FORMS).format(trade)


def adopter_name(rng: random.Random) -> str:
    return rng.choice(words.ADOPTER_FORMS).format(short_name(rng))
