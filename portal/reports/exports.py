"""CSV exports of the load review: the per-person table, and on-call hours for compensation
(weekday, weekend and public-holiday hours per person).

Figures are numbers (``Decimal`` rounded for display, ``int``), names and labels text; the
file is written by :mod:`portal.csvwriter`, which neutralises text a spreadsheet would run as
a formula."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.http import HttpResponse
from django.utils.text import slugify

from portal import csvwriter
from portal.reports.load import PersonLoad

TABLE_HEADER = [
    "person",
    "username",
    "role",
    "on rota",
    "on-call hours",
    "working hours",
    "off-hours (awake)",
    "sleep hours",
    "hours covered for others",
    "hours covered by others",
    "interruptions",
    "off-hours interruptions",
    "sleep-hour interruptions",
    "hours with an interruption",
    "incidents acknowledged",
    "time to acknowledge median (min)",
    "time to acknowledge p90 (min)",
    "longest run (days)",
    "share of an even share",
    "unreachable",
    "flags",
]
COMPENSATION_HEADER = [
    "person",
    "username",
    "time zone",
    "weekday hours",
    "weekend hours",
    "public holiday hours",
    "total hours",
]


def _h(value: timedelta) -> Decimal:
    return Decimal(f"{value.total_seconds() / 3600:.2f}")


def _min(seconds: float | None) -> Decimal | str:
    return "" if seconds is None else Decimal(f"{seconds / 60:.1f}")


def _zone(person: PersonLoad) -> str:
    profile = getattr(person.user, "profile", None)
    return profile.time_zone if profile is not None else "UTC"


def table_rows(people: Iterable[PersonLoad]) -> list[list]:
    rows = []
    for p in people:
        rows.append(
            [
                p.name,
                p.user.get_username(),
                p.role or "",
                "yes" if p.on_rota else "no",
                _h(p.hours.total),
                _h(p.hours.working),
                _h(p.hours.off),
                _h(p.hours.sleep),
                _h(p.covered_for_others),
                _h(p.covered_by_others),
                p.interruptions.total,
                p.interruptions.off_hours,
                p.interruptions.sleep,
                p.interruptions.hours,
                p.acknowledged,
                _min(p.tta_median),
                _min(p.tta_p90),
                p.longest_run_days,
                "" if p.share is None else Decimal(f"{p.share:.2f}"),
                "yes" if p.unreachable else "no",
                " ".join(f.text for f in p.flags),
            ]
        )
    return rows


def compensation_rows(people: Iterable[PersonLoad]) -> list[list]:
    return [
        [
            p.name,
            p.user.get_username(),
            _zone(p),
            _h(p.hours.weekday),
            _h(p.hours.weekend),
            _h(p.hours.holiday),
            _h(p.hours.total),
        ]
        for p in people
        if p.on_rota or p.hours.total
    ]


def csv_response(
    *, name: str, team_slug: str, start: datetime, end: datetime, header, rows
) -> HttpResponse:
    filename = slugify(f"{team_slug}-{name}-{start:%Y%m%d}-{end:%Y%m%d}") + ".csv"
    return csvwriter.csv_response(filename=filename, header=header, rows=rows)
