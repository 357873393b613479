"""CSV for spreadsheets: every export (transactions, reports) goes through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula to Excel and LibreOffice; values that come from outside
(e-mail addresses, event titles, references) are prefixed with a quote.
"""

import csv
from collections.abc import Iterable, Iterator

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as written to a CSV cell, defused if a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(rows: Iterable[Iterable], file) -> None:
    """Write ``rows`` (header first) to ``file`` (anything with ``write``), every cell defused."""
    csv.writer(file).writerows([safe_cell(value) for value in row] for row in rows)


class _Echo:
    """A file whose ``write`` returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


def stream_csv(rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield the CSV line by line, every cell defused, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])
