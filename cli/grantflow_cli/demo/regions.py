"""Russian federal subjects as the demo uses them: ISO 3166-2:RU code, the two-digit region number
that opens its INNs and OGRNs, and how many NGOs a region contributes relative to others.

The weights follow population roughly (big regions register more NGOs), so a seeded round spreads
over many regions without being uniform. The codes are the applications service's catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    number: str  # the region number of tax and registration identifiers
    weight: int


# (code, number, weight); weight 3: over ~3 million people, 2: over ~1.5 million, else 1.
_ROWS: tuple[tuple[str, str, int], ...] = (
    ("RU-AD", "01", 1),
    ("RU-BA", "02", 3),
    ("RU-BU", "03", 1),
    ("RU-AL", "04", 1),
    ("RU-DA", "05", 3),
    ("RU-IN", "06", 1),
    ("RU-KB", "07", 1),
    ("RU-KL", "08", 1),
    ("RU-KC", "09", 1),
    ("RU-KR", "10", 1),
    ("RU-KO", "11", 1),
    ("RU-ME", "12", 1),
    ("RU-MO", "13", 1),
    ("RU-SA", "14", 1),
    ("RU-SE", "15", 1),
    ("RU-TA", "16", 3),
    ("RU-TY", "17", 1),
    ("RU-UD", "18", 2),
    ("RU-KK", "19", 1),
    ("RU-CE", "20", 1),
    ("RU-CU", "21", 1),
    ("RU-ALT", "22", 2),
    ("RU-KDA", "23", 3),
    ("RU-KYA", "24", 2),
    ("RU-PRI", "25", 2),
    ("RU-STA", "26", 2),
    ("RU-KHA", "27", 1),
    ("RU-AMU", "28", 1),
    ("RU-ARK", "29", 1),
    ("RU-AST", "30", 1),
    ("RU-BEL", "31", 2),
    ("RU-BRY", "32", 1),
    ("RU-VLA", "33", 1),
    ("RU-VGG", "34", 2),
    ("RU-VLG", "35", 1),
    ("RU-VOR", "36", 2),
    ("RU-IVA", "37", 1),
    ("RU-IRK", "38", 2),
    ("RU-KGD", "39", 1),
    ("RU-KLU", "40", 1),
    ("RU-KAM", "41", 1),
    ("RU-KEM", "42", 2),
    ("RU-KIR", "43", 1),
    ("RU-KOS", "44", 1),
    ("RU-KGN", "45", 1),
    ("RU-KRS", "46", 1),
    ("RU-LEN", "47", 2),
    ("RU-LIP", "48", 1),
    ("RU-MAG", "49", 1),
    ("RU-MOS", "50", 3),
    ("RU-MUR", "51", 1),
    ("RU-NIZ", "52", 3),
    ("RU-NGR", "53", 1),
    ("RU-NVS", "54", 2),
    ("RU-OMS", "55", 2),
    ("RU-ORE", "56", 2),
    ("RU-ORL", "57", 1),
    ("RU-PNZ", "58", 1),
    ("RU-PER", "59", 2),
    ("RU-PSK", "60", 1),
    ("RU-ROS", "61", 3),
    ("RU-RYA", "62", 1),
    ("RU-SAM", "63", 3),
    ("RU-SAR", "64", 2),
    ("RU-SAK", "65", 1),
    ("RU-SVE", "66", 3),
    ("RU-SMO", "67", 1),
    ("RU-TAM", "68", 1),
    ("RU-TVE", "69", 1),
    ("RU-TOM", "70", 1),
    ("RU-TUL", "71", 1),
    ("RU-TYU", "72", 2),
    ("RU-ULY", "73", 1),
    ("RU-CHE", "74", 3),
    ("RU-ZAB", "75", 1),
    ("RU-YAR", "76", 1),
    ("RU-MOW", "77", 3),
    ("RU-SPE", "78", 3),
    ("RU-YEV", "79", 1),
    ("RU-NEN", "83", 1),
    ("RU-KHM", "86", 2),
    ("RU-CHU", "87", 1),
    ("RU-YAN", "89", 1),
)

REGIONS: dict[str, Region] = {code: Region(code, number, weight) for code, number, weight in _ROWS}

# The demo competition supports regional NGOs: organisations registered in the two federal cities
# may not apply, which is what makes an "ineligible region" rejection possible.
CAPITALS: tuple[str, ...] = ("RU-MOW", "RU-SPE")
ELIGIBLE: tuple[str, ...] = tuple(code for code in REGIONS if code not in CAPITALS)
