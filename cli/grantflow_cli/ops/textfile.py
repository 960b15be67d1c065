"""Operator files as text: the encoding spreadsheets and editors use, and a clear word (with the
line and column of the first bad byte) when the file is in another."""

from __future__ import annotations

import codecs
from pathlib import Path

from grantflow_cli.ops.errors import InputError, Position


def read_text(path: Path, encoding: str = "utf-8") -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror}") from None
    return decode(data, str(path), encoding)


def decode(data: bytes, source: str, encoding: str = "utf-8") -> str:
    """The text of a file; InputError pointing at the first byte that is not in `encoding`."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"  # drops the byte-order mark Excel puts first
        return data.decode(encoding)
    except LookupError:
        raise InputError(source, f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # Characters, not bytes, before the bad byte: what an editor's column counts.
        before = data[line_start : exc.start].decode(encoding, errors="replace")
        raise InputError(
            source,
            f"is not {encoding.removesuffix('-sig').upper()} (byte 0x{data[exc.start]:02X}); "
            "save it as UTF-8, or name its encoding with --encoding (for example cp1251)",
            Position(data.count(b"\n", 0, exc.start) + 1, len(before.lstrip("\ufeff")) + 1),
        ) from None
