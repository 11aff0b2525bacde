"""CSV that a spreadsheet opens as data, never as formulas.

Every CSV Gardien writes goes through :func:`csv_writer` (or :func:`csv_bytes`, for a file
a person downloads). A spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage return) as a
formula, which can read other cells or fetch a URL: such a cell is written with a leading
``'``, which spreadsheets show as text (the OWASP rule for CSV injection). Numbers are left
as they are, whether numbers or text that is only a number ("-5", "+33 6 12 34 56 78" is not
one): a negative count is not a formula, and a person's own export keeps their values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text that is only a number (a sign, digits, one decimal mark, an exponent): never a formula.
PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """The value, or the text with a leading ``'`` when a spreadsheet would run it."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer on ``out`` (``csv.writer``'s options) that neutralises formula cells."""
    return SafeWriter(out, **options)


#: The separators a person may choose: a French spreadsheet (Excel, LibreOffice in French)
#: splits columns on ";", since "," is its decimal mark; others on ",".
SEPARATORS = {"semicolon": ";", "comma": ","}


def csv_bytes(rows: Iterable[Iterable[Any]], *, separator: str = "semicolon") -> bytes:
    """A CSV file as a spreadsheet opens it: UTF-8 with a byte-order mark (without it Excel
    reads UTF-8 as Windows-1252 and garbles every accent), cells split on ``separator``
    (a key of :data:`SEPARATORS`), formula cells neutralised."""
    text = io.StringIO()
    csv_writer(text, delimiter=SEPARATORS[separator]).writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")
