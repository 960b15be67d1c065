"""CSV files as spreadsheets save them, and clear words when they cannot be used."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from grantflow_cli.ops.csvfile import Column, read_rows
from grantflow_cli.ops.errors import InputError, Position
from grantflow_cli.ops.textfile import decode, read_text

COLUMNS = (
    Column("name", True, ""),
    Column("inn", True, ""),
    Column("website", False, ""),
)


def rows_of(text: str) -> list[tuple[int, dict[str, str], str]]:
    return [(r.line, r.cells, r.shape_error) for r in read_rows(text, "f.csv", COLUMNS)]


def test_headers_in_any_spelling_and_any_usual_separator() -> None:
    for text in (
        "Name,INN\nФонд,7707083893\n",
        "name;inn\nФонд;7707083893\n",
        "NAME\tInn\nФонд\t7707083893\n",
        "\n\n  name , inn \n\nФонд, 7707083893\n\n",
    ):
        (row,) = read_rows(text, "f.csv", COLUMNS)
        assert row.cells == {"name": "Фонд", "inn": "7707083893"}, text


def test_a_record_starts_on_its_own_line_even_after_a_quoted_line_break() -> None:
    text = 'name,inn,website\n"Two\nlines",1,\n\nplain,2,x\n'
    assert rows_of(text) == [
        (2, {"name": "Two\nlines", "inn": "1", "website": ""}, ""),
        (5, {"name": "plain", "inn": "2", "website": "x"}, ""),
    ]
    (_, second) = read_rows(text, "f.csv", COLUMNS)
    assert second.position("website") == Position(5, 3)


def test_rows_of_the_wrong_length_are_marked_not_guessed_at() -> None:
    found = rows_of("name,inn\na,1,extra\nb\n")
    assert found[0][2] == "has 3 cells but the header names 2 columns"
    assert found[1] == (3, {"name": "b", "inn": ""}, "has 1 cell but the header names 2 columns")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "f.csv: is empty: it needs a header row naming the columns"),
        ("name\nx\n", "f.csv:1:1: the header lacks the required column(s): inn"),
        ("website\nx\n", "f.csv:1:1: the header lacks the required column(s): name, inn"),
        (
            "name,inn,regon\n",
            "f.csv:1:3: unknown column 'regon'; the columns are: name, inn, website",
        ),
        ("name,inn,Name\n", "f.csv:1:3: column 'name' is given twice (columns 1 and 3)"),
        ("name,,inn\n", "f.csv:1:2: column 2 has no name in the header"),
        ('name,inn\n"open,1\n', "f.csv:2:1: is not valid CSV: unexpected end of data"),
    ],
)
def test_a_file_that_cannot_be_used_says_where(text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        read_rows(text, "f.csv", COLUMNS)
    assert str(caught.value) == expected


def test_byte_order_marks_are_dropped_and_utf16_is_read() -> None:
    assert decode(codecs.BOM_UTF8 + b"name,inn\n", "f.csv") == "name,inn\n"
    assert decode("name,inn\nФонд,1\n".encode("utf-16"), "f.csv") == "name,inn\nФонд,1\n"


def test_a_file_in_another_encoding_names_the_first_bad_byte() -> None:
    data = "name,inn\nФонд,1\n".encode("cp1251")
    with pytest.raises(InputError) as caught:
        decode(data, "f.csv")
    assert str(caught.value) == (
        "f.csv:2:1: is not UTF-8 (byte 0xD4); save it as UTF-8, or name its encoding with "
        "--encoding (for example cp1251)"
    )
    assert decode(data, "f.csv", "cp1251") == "name,inn\nФонд,1\n"
    mixed = "name,inn\nОК,Фо".encode() + "нд".encode("cp1251") + b"\n"
    with pytest.raises(InputError) as caught:
        decode(mixed, "f.csv")
    assert caught.value.position == Position(2, 6)  # characters, not bytes, before it


def test_unknown_encodings_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        decode(b"x", "f.csv", "klingon")
    with pytest.raises(InputError, match="cannot be read"):
        read_text(tmp_path / "missing.csv")
