"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without colour
(every bar and cell carries a ``<title>`` with its numbers, and the tables beside the charts
hold the same data)."""

from __future__ import annotations

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WORKING, OFF, SLEEP = "#0f766e", "#f59e0b", "#4338ca"
BAR, GRID, TEXT, EMPTY = "#0f766e", "#d9e2ec", "#52606d", "#f0f4f8"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


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
        x += 24 + 7 * len(name)
    return out


def hours_chart(rows: list[tuple[str, float, float, float]]) -> SafeString:
    """Horizontal bars, one per person, stacked working / off-hours / sleep hours.
    ``rows``: ``(name, working, off, sleep)`` in hours."""
    label_w, bar_w, row_h, top = 150, 430, 24, 28
    width = label_w + bar_w + 60
    height = top + row_h * max(len(rows), 1) + 8
    biggest = max([w + o + s for _, w, o, s in rows] + [1])
    body = _legend([("Working", WORKING), ("Off-hours", OFF), ("Sleep", SLEEP)], label_w, 14)
    if not rows:
        body.append(f'<text x="{label_w}" y="{top + 14}" {FONT} fill="{TEXT}">Nobody</text>')
    for i, (name, *parts) in enumerate(rows):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" {FONT} fill="{TEXT}">'
            f"{escape(name[:24])}</text>"
        )
        x = float(label_w)
        for value, colour, what in zip(
            parts, (WORKING, OFF, SLEEP), ("working", "off-hours", "sleep"), strict=True
        ):
            w = bar_w * value / biggest
            if w > 0:
                body.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" '
                    f'height="{row_h - 8}" fill="{colour}">'
                    f"<title>{escape(name)}: {_num(value)} h {what}</title></rect>"
                )
            x += w
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + 15}" {FONT} fill="{TEXT}">{_num(sum(parts))} h</text>'
        )
    return _svg(width, height, "On-call hours per person", body, "hours-chart")


def daily_chart(points: list[tuple[date, int]]) -> SafeString:
    """Vertical bars: interruptions per day."""
    left, top, plot_h, plot_w = 34, 10, 140, 600
    width, height = left + plot_w + 10, top + plot_h + 34
    biggest = max([n for _, n in points] + [1])
    step = plot_w / max(len(points), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 4}" y="{top + 9}" text-anchor="end" {FONT} fill="{TEXT}">'
        f"{biggest}</text>",
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" {FONT} fill="{TEXT}">0</text>',
    ]
    every = max(1, round(len(points) / 8))
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
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'{FONT} fill="{TEXT}">{day:%d %b}</text>'
            )
    return _svg(width, height, "Interruptions per day", body, "daily-chart")


def heatmap(grid: list[list[int]]) -> SafeString:
    """Pages by day of the week (rows, Monday first) and hour of the day (columns)."""
    left, top, cell_w, cell_h = 36, 18, 24, 20
    width, height = left + 24 * cell_w + 4, top + 7 * cell_h + 4
    biggest = max([n for row in grid for n in row] + [1])
    body = []
    for hour in range(0, 24, 3):
        body.append(
            f'<text x="{left + hour * cell_w + cell_w / 2}" y="{top - 5}" text-anchor="middle" '
            f'{FONT} fill="{TEXT}">{hour:02d}</text>'
        )
    for d, row in enumerate(grid):
        y = top + d * cell_h
        body.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" {FONT} fill="{TEXT}">'
            f"{DAYS[d]}</text>"
        )
        for hour, count in enumerate(row):
            opacity = 0.15 + 0.85 * count / biggest if count else 1
            fill = BAR if count else EMPTY
            body.append(
                f'<rect class="cell" x="{left + hour * cell_w}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="{fill}" fill-opacity="{opacity:.2f}">'
                f"<title>{DAYS[d]} {hour:02d}:00–{hour:02d}:59: {count} page"
                f"{'s' if count != 1 else ''}</title></rect>"
            )
    return _svg(width, height, "Pages by hour of day and day of week", body, "heatmap")
