"""Geometry for the dashboard's SVG charts, drawn by templates without any JavaScript.

Python works out the numbers (bar positions, lengths, shares); the templates
in ``templates/admin/analytics/`` write the ``<svg>`` and escape every label.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars in a ``width`` x ``height`` viewBox, the tallest reaching the top."""

    width: int
    height: int
    columns: list[Column]
    peak: int
    first_label: str
    last_label: str


def column_chart(points: Sequence[tuple[date, int]], *, width: int = 600, height: int = 120) -> ColumnChart:
    """One column per ``(day, value)``, scaled to the largest value."""
    peak = max((value for _, value in points), default=0)
    slot = width / len(points) if points else width
    columns = []
    for index, (day, value) in enumerate(points):
        bar_height = height * value / peak if peak else 0
        columns.append(
            Column(
                x=round(index * slot + slot * 0.1, 2),
                y=round(height - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
                label=day.isoformat(),
                value=value,
            )
        )
    first, last = (points[0][0].isoformat(), points[-1][0].isoformat()) if points else ("", "")
    return ColumnChart(width, height, columns, peak, first, last)


@dataclass(frozen=True)
class Segment:
    share: float  # of the bar's whole length, 0..100 (percent of the viewBox)
    offset: float
    kind: str  # CSS class
    value: int | str


@dataclass(frozen=True)
class Bar:
    label: str
    caption: str
    href: str
    segments: list[Segment]


def bar(label: str, caption: str, href: str, parts: Sequence[tuple[str, float]], whole: float) -> Bar:
    """A horizontal bar split into ``parts`` (kind, amount) out of ``whole``; empty when whole is 0."""
    segments, offset = [], 0.0
    for kind, amount in parts:
        share = round(min(100.0, 100.0 * float(amount) / float(whole)), 2) if whole else 0.0
        segments.append(Segment(share=share, offset=round(offset, 2), kind=kind, value=amount))
        offset += share
    return Bar(label=label, caption=caption, href=href, segments=segments)
