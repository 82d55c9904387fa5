"""The schedule calendar as the template draws it: days as columns, one row per layer and the
final row, each shift a bar placed by percentages of the window (so DST days line up)."""

from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall import selectors
from oncall.models import Schedule
from oncall.swaps import notes as swap_notes
from portal.timefmt import on_page

VIEWS = {"week": "Week", "2weeks": "Two weeks", "month": "Month"}
DEFAULT_VIEW = "week"


@dataclass
class Bar:
    """One shift (or gap) on a row. The template shows ``label`` on wide bars, ``first`` on
    middling ones and ``initials`` on narrow ones; ``title`` carries everything, on hover and
    for screen readers, and ``start`` / ``end`` feed the list under the calendar."""

    left: str
    width: str
    label: str
    title: str
    classes: str = ""
    style: str = ""
    url: str = ""
    first: str = ""
    initials: str = ""
    start: datetime | None = None
    end: datetime | None = None
    # For the list: the real start / end of a shift cut at the window's edges (the bar itself
    # stops at the edge), and whether it begins before / runs past the window.
    real_start: datetime | None = None
    real_end: datetime | None = None
    cut_start: bool = False
    cut_end: bool = False

    @property
    def list_start(self) -> datetime | None:
        return self.real_start or self.start

    @property
    def list_end(self) -> datetime | None:
        return self.real_end or self.end

    @property
    def flags(self) -> list[str]:
        """What the bar's outline and pattern say, in words (for the list)."""
        names = {
            "override": "override",
            "swap-covered": "covered by a swap",
            "timeoff-clash": "during time off",
        }
        classes = self.classes.split()
        return [text for cls, text in names.items() if cls in classes]


@dataclass
class Row:
    name: str
    bars: list[Bar] = field(default_factory=list)
    final: bool = False


@dataclass
class Day:
    day: date
    left: str
    width: str
    today: bool
    weekend: bool


@dataclass
class Calendar:
    view: str
    start_day: date
    end_day: date  # inclusive, for the heading
    prev_day: date
    next_day: date
    today_day: date
    days: list[Day]
    rows: list[Row]
    now_left: str | None
    zone_name: str
    schedule_zone: str
    gap_count: int


def _window_days(view: str, start_day: date) -> tuple[date, int]:
    """Normalise the first day of the view and say how many days it shows."""
    if view == "month":
        first = start_day.replace(day=1)
        return first, pycal.monthrange(first.year, first.month)[1]
    monday = start_day - timedelta(days=start_day.weekday())
    return monday, 14 if view == "2weeks" else 7


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _hue(user_id: int) -> int:
    return (user_id * 137) % 360


def short_names(name: str) -> tuple[str, str]:
    """``("Alice", "AM")`` for "Alice Martin": the first name and up to two initials."""
    words = name.split()
    if not words:
        return "", ""
    initials = "".join(w[0] for w in (words[:1] + words[1:][-1:])).upper()
    return words[0], initials


def build(
    *, schedule: Schedule, view: str, start_day: date, zone: ZoneInfo, viewer_id: int, now
) -> Calendar:
    """The calendar of ``schedule`` for the view starting on (the week or month of)
    ``start_day``, with days and times in the viewer's ``zone``."""
    view = view if view in VIEWS else DEFAULT_VIEW
    first, count = _window_days(view, start_day)
    ws = datetime.combine(first, time(0), zone)
    we = datetime.combine(first + timedelta(days=count), time(0), zone)
    span = (we - ws).total_seconds()
    schedule_zone = schedule.zone

    def pct(moment: datetime) -> float:
        return max(0.0, min(100.0, (moment - ws).total_seconds() / span * 100))

    def place(start: datetime, end: datetime) -> tuple[str, str]:
        left = pct(start)
        return f"{left:.4f}", f"{max(pct(end) - left, 0):.4f}"

    def when(start: datetime, end: datetime) -> str:
        return (
            f"{on_page(start, schedule_zone)} – {on_page(end, schedule_zone)} "
            f"({schedule.time_zone}); your time {on_page(start, zone)} – {on_page(end, zone)}"
        )

    def shift_bar(shift, extra=None) -> Bar:
        left, width = place(shift.start, shift.end)
        mine = shift.user_id == viewer_id
        classes = "bar" + (" mine" if mine else "") + (" override" if shift.is_override else "")
        note = " (override)" if shift.is_override else ""
        extra = extra or swap_notes.Note()  # swaps: "covered by X for Y", time off, ask
        first, initials = short_names(shift.user_name)
        flag = " ⚠" if extra.label.endswith("⚠") else ""
        return Bar(
            left=left,
            width=width,
            label=shift.user_name + extra.label,
            title=f"{shift.user_name}{note}: {when(shift.start, shift.end)}{extra.title}",
            classes=f"{classes} {extra.classes}".strip(),
            style=f"--hue: {_hue(shift.user_id)}",
            url=extra.url,
            first=first + flag,
            initials=initials + flag,
            start=shift.start,
            end=shift.end,
        )

    layer_rows, final, holes = selectors.schedule_calendar(schedule=schedule, start=ws, end=we)
    final_row = Row(name="Final schedule", final=True)
    notes = swap_notes.calendar_notes(shifts=final, viewer_id=viewer_id, now=now, window=(ws, we))
    # A shift cut by the window's edges is listed with its real start and end.
    whole = swap_notes.whole_stretches(
        pieces=[s for s in final if s.start <= ws or s.end >= we], window=(ws, we)
    )
    for shift in final:
        bar = shift_bar(shift, notes.get(shift))
        bar.cut_start, bar.cut_end = shift.start <= ws, shift.end >= we
        if shift in whole:
            if bar.cut_start:
                bar.real_start = whole[shift].start
            if bar.cut_end:
                bar.real_end = whole[shift].end
        final_row.bars.append(bar)
    for start, end in holes:
        left, width = place(start, end)
        final_row.bars.append(
            Bar(
                left=left,
                width=width,
                label="Nobody",
                title=f"Nobody on call: {when(start, end)}",
                classes="bar gap",
                first="Nobody",
                initials="!",
                start=start,
                end=end,
                cut_start=start <= ws,
                cut_end=end >= we,
            )
        )
    final_row.bars.sort(key=lambda b: float(b.left))
    rows = [final_row]
    for layer_row in layer_rows:
        rows.append(Row(name=layer_row.name, bars=[shift_bar(s) for s in layer_row.shifts]))

    today = now.astimezone(zone).date()
    days = []
    for i in range(count):
        day = first + timedelta(days=i)
        left, width = place(
            datetime.combine(day, time(0), zone),
            datetime.combine(day + timedelta(days=1), time(0), zone),
        )
        days.append(
            Day(day=day, left=left, width=width, today=day == today, weekend=day.weekday() >= 5)
        )
    if view == "month":
        prev_day, next_day = _shift_month(first, -1), _shift_month(first, 1)
    else:
        prev_day, next_day = first - timedelta(days=count), first + timedelta(days=count)
    return Calendar(
        view=view,
        start_day=first,
        end_day=first + timedelta(days=count - 1),
        prev_day=prev_day,
        next_day=next_day,
        today_day=today,
        days=days,
        rows=rows,
        now_left=f"{pct(now):.4f}" if ws <= now < we else None,
        zone_name=getattr(zone, "key", str(zone)),
        schedule_zone=schedule.time_zone,
        gap_count=len(holes),
    )
