"""Aligned plain-text tables for the operator console (``manage.py tix``)."""

from collections.abc import Sequence
from decimal import Decimal

NUMERIC = (int, float, Decimal)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, numbers right-aligned, a rule under the headers.

    ``None`` prints as "-". Plain text, so it reads the same in a terminal,
    a log and a test.
    """
    cells = [[_text(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    right = [bool(rows) and all(isinstance(row[i], NUMERIC) for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = (
            value.rjust(width) if is_right else value.ljust(width)
            for value, width, is_right in zip(values, widths, right, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def _text(value: object) -> str:
    return "-" if value is None else str(value)
