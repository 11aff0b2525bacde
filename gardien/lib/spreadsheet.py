"""CSV that a spreadsheet opens as data, never as formulas.

Every CSV Gardien writes goes through :func:`csv_writer`. A spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage return) as a
formula, which can read other cells or fetch a URL: such a cell is written with a leading
``'``, which spreadsheets show as text (the OWASP rule for CSV injection). Numbers are left
as they are: a negative count is not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """The value, or the text with a leading ``'`` when a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
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
