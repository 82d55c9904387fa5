"""The team load review: who carried the team's on-call time and pages over a period, and
what a manager should act on.

Scope: on-call hours come from the team's own schedules (a person's time on call for several
of them at once counts once); interruptions are pages about the team's incidents;
acknowledgements and times to acknowledge and resolve are about incidents of the team
triggered in the period. The rows are read through the selectors of the apps that own them
(people, on-call history, swaps, incidents, notifications), in a fixed number of queries
whatever the size of the team or its history; every number is worked out in
:mod:`portal.reports.measures`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import history as incident_history
from oncall import history as oncall_history
from oncall.models import Schedule
from oncall.swaps.covers import covered_people
from portal.notifications.selectors import page_notifications, unreachable_user_ids
from portal.people import selectors as people
from portal.people.models import Team
from portal.people.names import person_name
from portal.reports import measures
from portal.reports.measures import HourSplit, InterruptionCounts, Span
from portal.reports.models import Holiday
from portal.reports.selectors import team_holidays

User = get_user_model()

SHARE_LIMIT = 1.5  # more than 1.5× an even share of the hours is flagged
SLEEP_NIGHTS, SLEEP_NIGHTS_DAYS = 2, 7  # woken on 2+ nights within 7 days is flagged


@dataclass(frozen=True)
class Flag:
    """Something a manager should act on about one person."""

    user_id: int
    kind: str  # "sleep", "run", "share", "unreachable"
    text: str


@dataclass
class PersonLoad:
    user: User
    role: str | None  # "manager", "member" or None (not a member: on a rota or paged)
    on_rota: bool = False
    hours: HourSplit = field(default_factory=HourSplit)
    covered_for_others: timedelta = timedelta(0)
    covered_by_others: timedelta = timedelta(0)
    interruptions: InterruptionCounts = field(default_factory=InterruptionCounts)
    acknowledged: int = 0
    tta_median: float | None = None  # seconds
    tta_p90: float | None = None
    longest_run_days: int = 0
    longest_run: tuple[datetime, datetime] | None = None
    share: float | None = None  # hours against an even share; None when not on the rota
    unreachable: bool = False
    flags: list[Flag] = field(default_factory=list)

    @property
    def name(self) -> str:
        return person_name(self.user)


@dataclass
class Handover:
    schedule: Schedule
    at: datetime
    from_user: User | None  # None: the schedule had a gap before
    to_user: User


@dataclass
class TeamLoad:
    team: Team
    start: datetime
    end: datetime
    people: list[PersonLoad]
    hours: HourSplit
    balance: float | None
    incidents: int
    acknowledged: int
    tta_median: float | None
    tta_p90: float | None
    ttr_median: float | None
    ttr_p90: float | None
    interruptions: int
    off_hours_interruptions: int
    sleep_interruptions: int
    interrupted_hours: int
    covered_for_others: timedelta
    daily: list[tuple[date, int]]  # interruptions per day (the given zone)
    heatmap: list[list[int]]  # [weekday][hour] pages in each recipient's own time
    flags: list[Flag]
    handovers: list[Handover]
    holidays: list[Holiday]

    @property
    def rota_size(self) -> int:
        return sum(1 for p in self.people if p.on_rota)

    def person(self, user_id: int) -> PersonLoad | None:
        return next((p for p in self.people if p.user.pk == user_id), None)


# --------------------------------------------------------------------------------------------
# The steps: on-call time, pages, incidents, people
# --------------------------------------------------------------------------------------------


@dataclass
class _Duty:
    """On-call time per person over all the team's schedules, and who was on the rota."""

    spans: dict[int, list[Span]]
    on_rota: set[int]  # in a layer version in force during the period
    covered_for: dict[int, list[Span]]  # time a person stood in for someone else
    covered_by: dict[int, list[Span]]  # time someone else stood in for the person


def _duty(schedules, loaded, finals, start: datetime, end: datetime) -> _Duty:
    """From the final schedules, and which overrides stand in for whom (one query)."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for schedule in schedules:
        for piece in finals[schedule.pk]:
            spans[piece.user].append((piece.start, piece.end))
    override_pieces = [
        piece for final in finals.values() for piece in final if piece.source[0] == "override"
    ]
    links = covered_people(override_ids={piece.source[1] for piece in override_pieces})
    covered_for: dict[int, list[Span]] = defaultdict(list)
    covered_by: dict[int, list[Span]] = defaultdict(list)
    for piece in override_pieces:
        whom = links.get(piece.source[1])
        if whom is not None:
            covered_for[piece.user].append((piece.start, piece.end))
            covered_by[whom].append((piece.start, piece.end))
    on_rota = oncall_history.rota_user_ids(loaded=loaded, schedules=schedules, start=start, end=end)
    return _Duty(spans=spans, on_rota=on_rota, covered_for=covered_for, covered_by=covered_by)


def _page_times(team: Team, start: datetime, end: datetime) -> dict[int, list[datetime]]:
    """``{user id: send times}`` of pages about the team's incidents: one query."""
    pages = page_notifications(
        start=start, end=end, incident_ids=incident_history.team_incident_ids(team=team)
    ).values_list("user_id", "sent_at")
    times: dict[int, list[datetime]] = defaultdict(list)
    for user_id, sent_at in pages:
        times[user_id].append(sent_at)
    return times


def _load_missing_users(users: dict[int, User], user_ids: set[int]) -> None:
    """Add the people of ``user_ids`` not met yet to ``users``: one query, if any."""
    missing = user_ids - set(users)
    if missing:
        for user in people.users_with_profiles(user_ids=missing):
            users[user.pk] = user


def _person_load(
    *,
    user: User,
    role: str | None,
    on_rota: bool,
    duty: _Duty,
    counted: list[datetime],
    ttas: list[float],
    pattern: measures.WorkPattern,
    start: datetime,
    end: datetime,
    unreachable: bool,
) -> PersonLoad:
    own = measures.merge(duty.spans.get(user.pk, []))
    # Runs that reach into the period count.
    run_span, run_days = measures.longest_run(s for s in own if s[1] > start)
    tta_median, tta_p90 = measures.median_and_p90(ttas)
    return PersonLoad(
        user=user,
        role=role,
        on_rota=on_rota,
        hours=measures.split_hours(measures.clip(own, start, end), pattern),
        covered_for_others=measures.total_within(duty.covered_for.get(user.pk, []), start, end),
        covered_by_others=measures.total_within(duty.covered_by.get(user.pk, []), start, end),
        interruptions=measures.classify_interruptions(counted, pattern),
        acknowledged=len(ttas),
        tta_median=tta_median,
        tta_p90=tta_p90,
        longest_run_days=run_days,
        longest_run=run_span,
        unreachable=unreachable,
    )


def _flags(person: PersonLoad, team: Team) -> list[Flag]:
    uid = person.user.pk
    flags = []
    nights = measures.nights_within(person.interruptions.nights, SLEEP_NIGHTS, SLEEP_NIGHTS_DAYS)
    if nights is not None:
        flags.append(
            Flag(
                uid,
                "sleep",
                f"Woken by pages on {len(nights)} nights within a week "
                f"({', '.join(f'{n:%a} {n.day} {n:%b}' for n in nights)}).",
            )
        )
    if person.longest_run_days > team.max_consecutive_days:
        flags.append(
            Flag(
                uid,
                "run",
                f"On call {person.longest_run_days} days in a row "
                f"(the team's maximum is {team.max_consecutive_days}).",
            )
        )
    if person.share is not None and person.on_rota and person.share > SHARE_LIMIT:
        flags.append(
            Flag(uid, "share", f"Carries {person.share:.1f}× an even share of on-call hours.")
        )
    if person.unreachable:
        flags.append(
            Flag(uid, "unreachable", "Cannot be reached: no working contact method for pages.")
        )
    return flags


def _handovers(schedules, finals, users, start: datetime, end: datetime) -> list[Handover]:
    result = []
    for schedule in schedules:
        previous = None
        for piece in finals[schedule.pk]:
            if previous is not None and previous.user == piece.user and previous.end == piece.start:
                previous = piece
                continue
            if start <= piece.start < end:
                touching = previous is not None and previous.end == piece.start
                result.append(
                    Handover(
                        schedule=schedule,
                        at=piece.start,
                        from_user=users.get(previous.user) if touching else None,
                        to_user=users.get(piece.user),
                    )
                )
            previous = piece
    result.sort(key=lambda h: (h.at, h.schedule.name))
    return result


# --------------------------------------------------------------------------------------------
# The review
# --------------------------------------------------------------------------------------------


def team_load(
    *, team: Team, start: datetime, end: datetime, zone: tzinfo | None = None
) -> TeamLoad:
    """Everything the load review shows for ``[start, end)``. ``zone`` names the days of the
    interruptions-per-day chart (default: the active time zone). About a dozen queries,
    whatever the size of the team or its history."""
    zone = zone or timezone.get_current_timezone()
    # Runs of days on call that reach into the period start before it.
    lo = start - timedelta(days=team.max_consecutive_days + 1)

    memberships = people.team_memberships(team=team)
    holidays = list(team_holidays(team=team))
    holiday_dates = frozenset(h.date for h in holidays)
    schedules = oncall_history.schedules_of_team(team=team)
    loaded, finals = oncall_history.final_schedules(schedules=schedules, start=lo, end=end)
    users: dict[int, User] = {m.user_id: m.user for m in memberships}
    roles = {m.user_id: m.role for m in memberships}
    for user_id, user in loaded.users.items():
        users.setdefault(user_id, user)
    duty = _duty(schedules, loaded, finals, start, end)

    page_times = _page_times(team, start, end)
    incidents = incident_history.team_incident_times(team=team, start=start, end=end)
    acknowledgers = {by for _t, _a, by, _r in incidents if by is not None}
    _load_missing_users(users, set(page_times) | acknowledgers)

    rota_people = duty.on_rota | {
        u for u, spans in duty.spans.items() if measures.clip(spans, start, end)
    }
    shown = set(roles) | rota_people | set(page_times) | acknowledgers
    unreachable = unreachable_user_ids(user_ids=shown)
    tta_by_user: dict[int, list[float]] = defaultdict(list)
    for triggered, acked, by, _resolved in incidents:
        if acked is not None and by is not None:
            tta_by_user[by].append(measures.seconds(acked - triggered))

    people_loads: list[PersonLoad] = []
    counted_pages = []  # (interruptions, work pattern) per person
    for user_id in shown:
        user = users[user_id]
        pattern = measures.work_pattern(getattr(user, "profile", None), holiday_dates)
        counted = measures.count_once(page_times.get(user_id, []))
        counted_pages.append((counted, pattern))
        people_loads.append(
            _person_load(
                user=user,
                role=roles.get(user_id),
                on_rota=user_id in rota_people,
                duty=duty,
                counted=counted,
                ttas=tta_by_user.get(user_id, []),
                pattern=pattern,
                start=start,
                end=end,
                unreachable=user_id in unreachable,
            )
        )

    rota_hours = {p.user.pk: measures.seconds(p.hours.total) for p in people_loads if p.on_rota}
    ratios = measures.share_ratios(rota_hours)
    flags = []
    for person in people_loads:
        person.share = ratios.get(person.user.pk)
        person.flags = _flags(person, team)
        flags.extend(person.flags)
    people_loads.sort(
        key=lambda p: (not p.on_rota, -measures.seconds(p.hours.total), p.name.lower())
    )

    tta_median, tta_p90 = measures.median_and_p90(
        [measures.seconds(a - t) for t, a, _by, _r in incidents if a is not None]
    )
    ttr_median, ttr_p90 = measures.median_and_p90(
        [measures.seconds(r - t) for t, _a, _by, r in incidents if r is not None]
    )
    return TeamLoad(
        team=team,
        start=start,
        end=end,
        people=people_loads,
        hours=sum((p.hours for p in people_loads), HourSplit()),
        balance=measures.balance(list(rota_hours.values())),
        incidents=len(incidents),
        acknowledged=sum(1 for i in incidents if i[1] is not None),
        tta_median=tta_median,
        tta_p90=tta_p90,
        ttr_median=ttr_median,
        ttr_p90=ttr_p90,
        interruptions=sum(p.interruptions.total for p in people_loads),
        off_hours_interruptions=sum(p.interruptions.off_hours for p in people_loads),
        sleep_interruptions=sum(p.interruptions.sleep for p in people_loads),
        interrupted_hours=sum(p.interruptions.hours for p in people_loads),
        covered_for_others=sum((p.covered_for_others for p in people_loads), timedelta(0)),
        daily=measures.per_day(
            (moment for counted, _pattern in counted_pages for moment in counted), zone, start, end
        ),
        heatmap=measures.week_heatmap(counted_pages),
        flags=flags,
        handovers=_handovers(schedules, finals, users, start, end),
        holidays=holidays,
    )
