"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without colour
(every bar and cell carries a ``<title>`` with its numbers, and the tables beside the charts
hold the same data).

Every chart is drawn ``WIDTH`` units wide and shown at that many pixels, shrinking with its
column on a narrow screen. Labels are ``FONT_SIZE`` units, so they stay about 11 px tall on
a 390 px phone instead of shrinking with a wide drawing."""

from __future__ import annotations

import math
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WORKING, OFF, SLEEP = "#0f766e", "#f59e0b", "#4338ca"
BAR, GRID, TEXT, EMPTY = "#0f766e", "#d9e2ec", "#52606d", "#f0f4f8"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WIDTH, FONT_SIZE = 400, 14
CHAR_W = 8  # a generous average advance of one character at FONT_SIZE
FONT = f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}"'


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _svg(width: int, height: int, label: str, body: list[str], css_class: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="{width}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _legend(items: list[tuple[str, str]], x: int, y: int) -> list[str]:
    out = []
    for name, colour in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" {FONT} fill="{TEXT}">{escape(name)}</text>')
        x += 24 + CHAR_W * len(name)
    return out


def hours_chart(rows: list[tuple[str, float, float, float]]) -> SafeString:
    """Horizontal bars, one per person, stacked working / off-hours / sleep hours.
    ``rows``: ``(name, working, off, sleep)`` in hours. Each name sits above its bar, so
    the bars get the whole width and long names need no truncating."""
    bar_w, row_h, top = WIDTH - 70, 42, 26
    width = WIDTH
    height = top + row_h * max(len(rows), 1) + 4
    biggest = max([w + o + s for _, w, o, s in rows] + [1])
    body = _legend([("Working", WORKING), ("Off-hours", OFF), ("Sleep", SLEEP)], 0, 14)
    if not rows:
        body.append(f'<text x="0" y="{top + 16}" {FONT} fill="{TEXT}">Nobody</text>')
    for i, (name, *parts) in enumerate(rows):
        y = top + i * row_h
        body.append(f'<text x="0" y="{y + 14}" {FONT} fill="{TEXT}">{escape(name[:44])}</text>')
        x = 0.0
        for value, colour, what in zip(
            parts, (WORKING, OFF, SLEEP), ("working", "off-hours", "sleep"), strict=True
        ):
            w = bar_w * value / biggest
            if w > 0:
                body.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y + 19}" width="{w:.1f}" '
                    f'height="16" fill="{colour}">'
                    f"<title>{escape(name)}: {_num(value)} h {what}</title></rect>"
                )
            x += w
        body.append(
            f'<text x="{x + 5:.1f}" y="{y + 32}" {FONT} fill="{TEXT}">{_num(sum(parts))} h</text>'
        )
    return _svg(width, height, "On-call hours per person", body, "hours-chart")


def daily_chart(points: list[tuple[date, int]]) -> SafeString:
    """Vertical bars: interruptions per day."""
    left, top, plot_h = 36, 12, 140
    plot_w = WIDTH - left - 8
    width, height = WIDTH, top + plot_h + 26
    biggest = max([n for _, n in points] + [1])
    step = plot_w / max(len(points), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 5}" y="{top + 10}" text-anchor="end" {FONT} fill="{TEXT}">'
        f"{biggest}</text>",
        f'<text x="{left - 5}" y="{top + plot_h}" text-anchor="end" {FONT} fill="{TEXT}">0</text>',
    ]
    label_w = CHAR_W * 6 + 8  # "01 Apr" and a gap
    every = max(1, math.ceil(len(points) * label_w / plot_w))
    for i, (day, count) in enumerate(points):
        x = left + i * step
        h = plot_h * count / biggest
        if count:
            body.append(
                f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{max(step * 0.8, 1):.1f}" height="{h:.1f}" fill="{BAR}">'
                f"<title>{day:%a %d %b}: {count} interruption{'s' if count != 1 else ''}</title>"
                "</rect>"
            )
        centre = x + step / 2
        if i % every == 0 and centre + label_w / 2 <= width + 4:  # a last label never spills
            body.append(
                f'<text x="{centre:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'{FONT} fill="{TEXT}">{day:%d %b}</text>'
            )
    return _svg(width, height, "Interruptions per day", body, "daily-chart")


def heatmap(grid: list[list[int]]) -> SafeString:
    """Pages by day of the week (rows, Monday first) and hour of the day (columns)."""
    left, top, cell_h = 40, 20, 22
    cell_w = (WIDTH - left) / 24
    width, height = WIDTH, top + 7 * cell_h + 2 + 30
    biggest = max([n for row in grid for n in row] + [1])
    body = []
    for hour in range(0, 24, 3):
        body.append(
            f'<text x="{left + hour * cell_w + cell_w / 2:.1f}" y="{top - 6}" '
            f'text-anchor="middle" {FONT} fill="{TEXT}">{hour:02d}</text>'
        )
    for d, row in enumerate(grid):
        y = top + d * cell_h
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" {FONT} fill="{TEXT}">'
            f"{DAYS[d]}</text>"
        )
        for hour, count in enumerate(row):
            fill, opacity = _heat(count, biggest)
            body.append(
                f'<rect class="cell" x="{left + hour * cell_w:.1f}" y="{y}" '
                f'width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{fill}" '
                f'fill-opacity="{opacity:.2f}">'
                f"<title>{DAYS[d]} {hour:02d}:00–{hour:02d}:59: {count} page"
                f"{'s' if count != 1 else ''}</title></rect>"
            )
    body += _heat_legend(biggest, y=top + 7 * cell_h + 24)
    label = (
        "Pages by hour of day and day of week: the darker the cell, the more pages "
        f"(from 1 to {biggest}; a pale grey cell had none)"
    )
    return _svg(width, height, label, body, "heatmap")


def _heat(count: int, biggest: int) -> tuple[str, float]:
    """A cell's colour and opacity: pale grey for none, then darker with more pages."""
    return (BAR, 0.15 + 0.85 * count / biggest) if count else (EMPTY, 1)


def heat_legend_values(biggest: int) -> list[int]:
    """The page counts the heatmap's legend shows: none, one, and steps up to the most."""
    return sorted({0, 1, max(1, round(biggest / 3)), max(1, round(2 * biggest / 3)), biggest})


def _heat_legend(biggest: int, *, y: int) -> list[str]:
    """A row under the grid: "Pages per hour" then a swatch and its number for each step."""
    out = [f'<text x="0" y="{y}" {FONT} fill="{TEXT}">Pages:</text>']
    x = 56
    for n in heat_legend_values(biggest):
        fill, opacity = _heat(n, biggest)
        out.append(
            f'<rect class="legend-swatch" x="{x}" y="{y - 12}" width="18" height="14" '
            f'fill="{fill}" fill-opacity="{opacity:.2f}" stroke="{GRID}"/>'
        )
        out.append(f'<text x="{x + 22}" y="{y}" {FONT} fill="{TEXT}">{n}</text>')
        x += 22 + CHAR_W * len(str(n)) + 14
    return out
