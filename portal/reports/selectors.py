"""Read queries behind the load review, the weekly review and the service feedback.

Each report loads its rows in a fixed number of SQL queries whatever the number of people,
schedules, incidents or pages (counts and groupings are done by the database; rows that need
time-zone arithmetic, such as page times, are fetched once as plain tuples) and hands plain
values to :mod:`portal.reports.measures`, where every number is worked out.

Scope of the team load review: on-call hours come from the team's own schedules (a person's
time on call for several of them at once counts once); interruptions are pages about the
team's incidents; acknowledgements and times to acknowledge and resolve are about incidents
of the team triggered in the period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from incidents.models import Alert, Incident
from oncall import engine
from oncall import selectors as rota
from oncall.models import Schedule
from oncall.swaps.models import SwapOverride
from portal.catalog.models import Service
from portal.notifications.models import Kind, Message, Notification
from portal.notifications.selectors import unreachable_user_ids
from portal.people.models import Membership, Profile, Team
from portal.reports import measures
from portal.reports.measures import HourSplit, InterruptionCounts, WorkPattern
from portal.reports.models import Holiday

User = get_user_model()

SHARE_LIMIT = 1.5  # more than 1.5× an even share of the hours is flagged
SLEEP_NIGHTS, SLEEP_NIGHTS_DAYS = 2, 7  # woken on 2+ nights within 7 days is flagged
NOISIEST = 5


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


def work_pattern(profile: Profile | None, holidays=frozenset()) -> WorkPattern:
    """A person's :class:`WorkPattern` from their profile (the defaults, in UTC, without one)."""
    if profile is None:
        return WorkPattern(zone=ZoneInfo("UTC"), holidays=holidays)
    return WorkPattern(
        zone=profile.zone,
        work_start=profile.work_start,
        work_end=profile.work_end,
        work_days=frozenset(profile.work_days or []),
        sleep_start=profile.sleep_start,
        sleep_end=profile.sleep_end,
        holidays=holidays,
    )


def _profile(user) -> Profile | None:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def person_name(user) -> str:
    profile = _profile(user)
    return profile.name if profile is not None else user.get_username()


def team_holidays(*, team: Team):
    return Holiday.objects.filter(team=team).order_by("date")


def holiday_for_manager_or_404(*, team: Team, pk: int) -> Holiday:
    return get_object_or_404(Holiday, team=team, pk=pk)


# --------------------------------------------------------------------------------------------
# The team load review
# --------------------------------------------------------------------------------------------


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


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def _final_schedules(schedules: list[Schedule], lo: datetime, hi: datetime):
    """Each schedule's final schedule over ``[lo, hi)``, the rota participants of layer
    versions in force then, and the users met: three queries for all the schedules."""
    loaded = rota.load_schedules(schedules=schedules, start=lo, end=hi)
    finals = {
        s.pk: engine.final_schedule(
            loaded.engine_layers(s.pk), loaded.engine_overrides(s.pk), lo, hi
        )
        for s in schedules
    }
    return loaded, finals


def _in_force(layer, start: datetime, end: datetime) -> bool:
    """Whether a layer version (with its own start and end dates) meets ``[start, end)``."""
    bounds = rota.engine_layer(layer, participants=())
    return (bounds.starts_at is None or bounds.starts_at < end) and (
        bounds.ends_at is None or bounds.ends_at > start
    )


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


def team_load(
    *, team: Team, start: datetime, end: datetime, zone: tzinfo | None = None
) -> TeamLoad:
    """Everything the load review shows for ``[start, end)``. ``zone`` names the days of the
    interruptions-per-day chart (default: the active time zone). About a dozen queries,
    whatever the size of the team or its history."""
    zone = zone or timezone.get_current_timezone()
    margin = timedelta(days=team.max_consecutive_days + 1)
    lo = start - margin

    memberships = list(
        Membership.objects.filter(team=team).select_related("user__profile").order_by("pk")
    )
    holidays = list(team_holidays(team=team))
    holiday_dates = frozenset(h.date for h in holidays)
    schedules = list(Schedule.objects.filter(team=team).order_by("name", "pk"))
    loaded, finals = _final_schedules(schedules, lo, end)

    users: dict[int, User] = {m.user_id: m.user for m in memberships}
    roles = {m.user_id: m.role for m in memberships}
    for user_id, user in loaded.users.items():
        users.setdefault(user_id, user)

    # On-call spans per person (all the team's schedules), and the rota: everybody in a layer
    # version in force during the period.
    spans: dict[int, list] = defaultdict(list)
    on_rota: set[int] = set()
    for schedule in schedules:
        for layer in loaded.layers.get(schedule.pk, []):
            if _in_force(layer, start, end):
                on_rota.update(p.user_id for p in layer.participants.all())
        for piece in finals[schedule.pk]:
            spans[piece.user].append((piece.start, piece.end))
    override_pieces = [
        piece for final in finals.values() for piece in final if piece.source[0] == "override"
    ]
    links = dict(
        SwapOverride.objects.filter(
            override_id__in={piece.source[1] for piece in override_pieces}
        ).values_list("override_id", "covers_for_id")
    )
    covered_for: dict[int, list] = defaultdict(list)
    covered_by: dict[int, list] = defaultdict(list)
    for piece in override_pieces:
        whom = links.get(piece.source[1])
        if whom is not None:
            covered_for[piece.user].append((piece.start, piece.end))
            covered_by[whom].append((piece.start, piece.end))

    # Pages about the team's incidents, and the team's incidents of the period.
    team_incidents = Incident.objects.filter(team=team).values("pk")
    pages = list(
        Notification.objects.filter(
            kind=Kind.PAGE,
            status=Notification.Status.SENT,
            sent_at__gte=start,
            sent_at__lt=end,
            message__incident_id__in=team_incidents,
        )
        .order_by("user_id", "sent_at")
        .values_list("user_id", "sent_at")
    )
    incidents = list(
        Incident.objects.filter(team=team, triggered_at__gte=start, triggered_at__lt=end)
        .order_by("triggered_at", "pk")
        .values_list("triggered_at", "acknowledged_at", "acknowledged_by_id", "resolved_at")
    )
    extra = {u for u, _ in pages} | {i[2] for i in incidents if i[2] is not None}
    extra -= set(users)
    if extra:
        for user in User.objects.filter(pk__in=extra).select_related("profile"):
            users[user.pk] = user

    page_times: dict[int, list] = defaultdict(list)
    for user_id, sent_at in pages:
        page_times[user_id].append(sent_at)

    rota_people = on_rota | {u for u, s in spans.items() if measures.clip(s, start, end)}
    shown = (
        set(roles) | rota_people | set(page_times) | {i[2] for i in incidents if i[2] is not None}
    )
    unreachable = unreachable_user_ids(user_ids=shown)

    tta_by_user: dict[int, list[float]] = defaultdict(list)
    for triggered, acked, by, _resolved in incidents:
        if acked is not None and by is not None:
            tta_by_user[by].append(_seconds(acked - triggered))

    daily: Counter = Counter()
    heatmap = [[0] * 24 for _ in range(7)]
    people: list[PersonLoad] = []
    for user_id in shown:
        user = users[user_id]
        pattern = work_pattern(_profile(user), holiday_dates)
        own = measures.merge(spans.get(user_id, []))
        in_period = measures.clip(own, start, end)
        counted = measures.count_once(page_times.get(user_id, []))
        for moment in counted:
            daily[moment.astimezone(zone).date()] += 1
            local = pattern.local(moment)
            heatmap[local.weekday()][local.hour] += 1
        run_span, run_days = measures.longest_run(
            s
            for s in own
            if s[1] > start  # runs that reach into the period
        )
        ttas = tta_by_user.get(user_id, [])
        people.append(
            PersonLoad(
                user=user,
                role=roles.get(user_id),
                on_rota=user_id in rota_people,
                hours=measures.split_hours(in_period, pattern),
                covered_for_others=measures.total(
                    measures.clip(measures.merge(covered_for.get(user_id, [])), start, end)
                ),
                covered_by_others=measures.total(
                    measures.clip(measures.merge(covered_by.get(user_id, [])), start, end)
                ),
                interruptions=measures.classify_interruptions(counted, pattern),
                acknowledged=len(ttas),
                tta_median=measures.median(ttas),
                tta_p90=measures.percentile(ttas, 0.9),
                longest_run_days=run_days,
                longest_run=run_span,
                unreachable=user_id in unreachable,
            )
        )

    rota_hours = {p.user.pk: _seconds(p.hours.total) for p in people if p.on_rota}
    ratios = measures.share_ratios(rota_hours)
    for person in people:
        person.share = ratios.get(person.user.pk)
    flags = []
    for person in people:
        person.flags = _flags(person, team)
        flags.extend(person.flags)
    people.sort(key=lambda p: (not p.on_rota, -_seconds(p.hours.total), p.name.lower()))

    ttas = [_seconds(a - t) for t, a, _by, _r in incidents if a is not None]
    ttrs = [_seconds(r - t) for t, _a, _by, r in incidents if r is not None]
    days = []
    day = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        days.append((day, daily.get(day, 0)))
        day += timedelta(days=1)
    return TeamLoad(
        team=team,
        start=start,
        end=end,
        people=people,
        hours=sum((p.hours for p in people), HourSplit()),
        balance=measures.balance(list(rota_hours.values())),
        incidents=len(incidents),
        acknowledged=sum(1 for i in incidents if i[1] is not None),
        tta_median=measures.median(ttas),
        tta_p90=measures.percentile(ttas, 0.9),
        ttr_median=measures.median(ttrs),
        ttr_p90=measures.percentile(ttrs, 0.9),
        interruptions=sum(p.interruptions.total for p in people),
        off_hours_interruptions=sum(p.interruptions.off_hours for p in people),
        sleep_interruptions=sum(p.interruptions.sleep for p in people),
        interrupted_hours=sum(p.interruptions.hours for p in people),
        covered_for_others=sum((p.covered_for_others for p in people), timedelta(0)),
        daily=days,
        heatmap=heatmap,
        flags=flags,
        handovers=_handovers(schedules, finals, users, start, end),
        holidays=holidays,
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


# --------------------------------------------------------------------------------------------
# The weekly on-call review
# --------------------------------------------------------------------------------------------


def week_bounds(year: int, week: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """Monday 00:00 of ISO week ``year``-W``week`` and the next Monday 00:00, in ``zone``."""
    monday = date.fromisocalendar(year, week, 1)
    return (
        datetime.combine(monday, datetime.min.time(), zone),
        datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone),
    )


def previous_week(moment: datetime, zone: tzinfo) -> tuple[int, int]:
    """The ISO (year, week) of the last complete week before ``moment`` in ``zone``."""
    iso = (moment.astimezone(zone).date() - timedelta(days=7)).isocalendar()
    return iso.year, iso.week


@dataclass
class WeeklyReview:
    team: Team
    year: int
    week: int
    load: TeamLoad
    incidents: list[Incident]
    noisiest: list[tuple[str, int]]
    postmortems_due: list[Incident]
    postmortems_open: list
    overdue_items: list

    @property
    def start(self) -> datetime:
        return self.load.start

    @property
    def end(self) -> datetime:
        return self.load.end


def noisiest_alerts(*, qs, limit: int = NOISIEST) -> list[tuple[str, int]]:
    """Alert names (Alertmanager's ``alertname`` label, else the summary) by how many alerts
    of ``qs`` carry them, most first: one grouped query."""
    rows = (
        qs.annotate(
            alert_name=Coalesce(KT("labels__alertname"), "summary", output_field=CharField())
        )
        .values("alert_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "alert_name")[:limit]
    )
    return [(r["alert_name"], r["n"]) for r in rows]


def weekly_review(*, team: Team, year: int, week: int, zone: tzinfo) -> WeeklyReview:
    from incidents.postmortems import selectors as pm
    from incidents.postmortems.models import Postmortem

    start, end = week_bounds(year, week, zone)
    load = team_load(team=team, start=start, end=end, zone=zone)
    incidents = list(
        Incident.objects.filter(team=team, triggered_at__gte=start, triggered_at__lt=end)
        .select_related("acknowledged_by__profile")
        .order_by("triggered_at", "pk")
    )
    today = timezone.now().astimezone(zone).date()
    return WeeklyReview(
        team=team,
        year=year,
        week=week,
        load=load,
        incidents=incidents,
        noisiest=noisiest_alerts(
            qs=Alert.objects.filter(
                incident__team=team, received_at__gte=start, received_at__lt=end
            )
        ),
        postmortems_due=list(pm.incidents_needing_postmortem(teams=[team])[:20]),
        postmortems_open=list(
            Postmortem.objects.filter(team=team, status__in=Postmortem.EDITABLE_STATUSES)
            .select_related("incident")
            .order_by("started_at")[:20]
        ),
        overdue_items=list(pm.team_action_items(team=team).filter(due_date__lt=today)[:30]),
    )


# --------------------------------------------------------------------------------------------
# Service feedback
# --------------------------------------------------------------------------------------------


@dataclass
class ServiceNoise:
    service: Service
    alerts: int = 0
    incidents: int = 0
    pages: int = 0  # interruptions it caused (pages to one person within 60 s count once)
    off_hours_pages: int = 0
    sleep_pages: int = 0
    resolved: int = 0
    not_actionable: int = 0
    tta_median: float | None = None
    ttr_median: float | None = None
    tta_p90: float | None = None
    ttr_p90: float | None = None
    noisiest: list[tuple[str, int]] = field(default_factory=list)
    open_items: list = field(default_factory=list)
    open_items_count: int = 0

    @property
    def not_actionable_share(self) -> float | None:
        return self.not_actionable / self.resolved if self.resolved else None


def _service_pages(pages, incident_services, profiles, holidays) -> dict[int, tuple[int, int, int]]:
    """``{service id: (pages, off-hours pages, sleep pages)}`` from page rows ``(user id, sent
    at, incident id)``: each person's pages about one service within 60 s count once; off-hours
    in the person's own time, with the owning team's holidays (``{service id: dates}``)."""
    times: dict[tuple[int, int], list] = defaultdict(list)
    for user_id, sent_at, incident_id in pages:
        for service_id in incident_services.get(incident_id, ()):
            times[(service_id, user_id)].append(sent_at)
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (service_id, user_id), moments in times.items():
        counts = measures.classify_interruptions(
            measures.count_once(moments),
            work_pattern(profiles.get(user_id), holidays.get(service_id, frozenset())),
        )
        row = result[service_id]
        row[0] += counts.total
        row[1] += counts.off_hours
        row[2] += counts.sleep
    return {k: tuple(v) for k, v in result.items()}


def _services_noise(services: list[Service], start: datetime, end: datetime, *, detail: bool):
    """Noise of these services over ``[start, end)``: a fixed number of queries for any
    number of services."""
    by_id = {s.pk: ServiceNoise(service=s) for s in services}
    if not by_id:
        return by_id
    ids = list(by_id)
    through = Incident.services.through
    incident_rows = list(
        Incident.objects.filter(services__in=ids, triggered_at__gte=start, triggered_at__lt=end)
        .values_list("services", "triggered_at", "acknowledged_at", "resolved_at", "actionable")
        .order_by()
    )
    ttas, ttrs = defaultdict(list), defaultdict(list)
    for service_id, triggered, acked, resolved, actionable in incident_rows:
        noise = by_id[service_id]
        noise.incidents += 1
        if acked is not None:
            ttas[service_id].append(_seconds(acked - triggered))
        if resolved is not None:
            ttrs[service_id].append(_seconds(resolved - triggered))
            noise.resolved += 1
            noise.not_actionable += actionable is False
    for service_id, noise in by_id.items():
        noise.tta_median = measures.median(ttas[service_id])
        noise.tta_p90 = measures.percentile(ttas[service_id], 0.9)
        noise.ttr_median = measures.median(ttrs[service_id])
        noise.ttr_p90 = measures.percentile(ttrs[service_id], 0.9)

    alerts = Alert.objects.filter(
        incident__services__in=ids, received_at__gte=start, received_at__lt=end
    )
    for row in alerts.values("incident__services").annotate(n=Count("pk")).order_by():
        by_id[row["incident__services"]].alerts = row["n"]
    if detail:
        for noise in by_id.values():
            noise.noisiest = noisiest_alerts(qs=alerts.filter(incident__services=noise.service))
    else:
        named = (
            alerts.annotate(
                alert_name=Coalesce(KT("labels__alertname"), "summary", output_field=CharField())
            )
            .values("incident__services", "alert_name")
            .annotate(n=Count("pk"))
            .order_by("-n", "alert_name")
        )
        for row in named:
            top = by_id[row["incident__services"]].noisiest
            if len(top) < 3:
                top.append((row["alert_name"], row["n"]))

    page_qs = Notification.objects.filter(
        kind=Kind.PAGE,
        status=Notification.Status.SENT,
        sent_at__gte=start,
        sent_at__lt=end,
        message__incident_id__in=through.objects.filter(service_id__in=ids).values("incident_id"),
    )
    pages = list(page_qs.values_list("user_id", "sent_at", "message__incident_id").order_by())
    incident_services: dict[int, list[int]] = defaultdict(list)
    for incident_id, service_id in through.objects.filter(
        service_id__in=ids, incident_id__in=page_qs.values("message__incident_id")
    ).values_list("incident_id", "service_id"):
        incident_services[incident_id].append(service_id)
    profiles = {p.user_id: p for p in Profile.objects.filter(user_id__in={u for u, _, _ in pages})}
    team_holidays: dict[int, set] = defaultdict(set)
    for team_id, day in Holiday.objects.filter(
        team_id__in={s.team_id for s in services}
    ).values_list("team_id", "date"):
        team_holidays[team_id].add(day)
    holidays = {s.pk: frozenset(team_holidays[s.team_id]) for s in services}
    counts = _service_pages(pages, incident_services, profiles, holidays)
    for service_id, (n, off, sleep) in counts.items():
        noise = by_id[service_id]
        noise.pages, noise.off_hours_pages, noise.sleep_pages = n, off, sleep
    return by_id


def service_feedback(*, service: Service, start: datetime, end: datetime) -> ServiceNoise:
    """What one service caused over ``[start, end)`` and its open action items: the same
    number of queries whatever the period or the service's history."""
    from incidents.postmortems import selectors as pm

    noise = _services_noise([service], start, end, detail=True)[service.pk]
    items = pm.service_action_items(service=service)
    noise.open_items = list(items[:10])
    noise.open_items_count = items.count()
    return noise


def team_service_ranking(*, team: Team, start: datetime, end: datetime) -> list[ServiceNoise]:
    """The team's services, noisiest first (pages, then off-hours pages, then alerts)."""
    services = list(Service.objects.filter(team=team, archived_at__isnull=True).order_by("name"))
    ranked = list(_services_noise(services, start, end, detail=False).values())
    ranked.sort(key=lambda n: (-n.pages, -n.off_hours_pages, -n.alerts, n.service.name))
    return ranked


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def visible_people(*, load: TeamLoad, user, can_manage: bool) -> list[PersonLoad]:
    """Managers and staff see everybody's row; anyone else only their own."""
    if can_manage:
        return load.people
    return [p for p in load.people if p.user.pk == user.pk]


def team_for_member_or_403(*, user, slug: str) -> Team:
    """The team if the user belongs to it (or is staff); 404 unknown, 403 otherwise."""
    from django.core.exceptions import PermissionDenied

    from portal.people.access import is_member

    team = get_object_or_404(Team, slug=slug)
    if not (user.is_staff or is_member(user=user, team=team)):
        raise PermissionDenied("Only the team's members can see its reports.")
    return team


def service_for_member_or_403(*, user, slug: str) -> Service:
    """The service if the user belongs to its owning team (or is staff); 404 unknown, 403
    otherwise."""
    from django.core.exceptions import PermissionDenied

    from portal.people.access import is_member

    service = get_object_or_404(Service.objects.select_related("team"), slug=slug)
    if not (user.is_staff or is_member(user=user, team=service.team)):
        raise PermissionDenied("Only the owning team's members can see its feedback.")
    return service


BRIEF_HOUR = 8  # the weekly review goes out from Monday 08:00, each manager's own time


def managers_to_brief(*, now: datetime) -> list[tuple[Membership, ZoneInfo]]:
    """Manager memberships whose local time at ``now`` is Monday, 08:00 or later: the hour the
    weekly review is due and the rest of that Monday, when a late tick catches up. One
    query."""
    due = []
    rows = (
        Membership.objects.filter(role=Membership.Role.MANAGER, user__is_active=True)
        .select_related("user__profile", "team")
        .order_by("team_id", "user_id")
    )
    for membership in rows:
        profile = _profile(membership.user)
        zone = profile.zone if profile is not None else ZoneInfo("UTC")
        local = now.astimezone(zone)
        if local.weekday() == 0 and local.hour >= BRIEF_HOUR:
            due.append((membership, zone))
    return due


def sent_dedup_keys(*, keys) -> set[str]:
    """Which of these message dedup keys were already sent: one query."""
    return set(Message.objects.filter(dedup_key__in=list(keys)).values_list("dedup_key", flat=True))
