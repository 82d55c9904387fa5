"""Read queries about rotas: who is on call, the final schedule, a person's shifts, and what
the pages show (stretches of duty: :mod:`oncall.stretches`; gaps: :mod:`oncall.coverage`).

Every function here loads what it needs in a fixed number of SQL queries whatever the number
of schedules, layers, participants or overrides (see :func:`_load`), turns the rows into
engine values and lets the pure engine (:mod:`oncall.engine`) work out the answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from oncall import engine
from oncall.models import (
    Layer,
    LayerParticipant,
    Override,
    RotaPreferences,
    Schedule,
    feed_token_hash,
)
from portal.people.models import Team
from portal.people.names import person_name

User = get_user_model()

# How far back the data for "who is on call at t" is loaded, so the interval returned around t
# is whole; and how far ahead "next" and reminders look.
LOOKBEHIND = timedelta(days=35)
NEXT_HORIZON = timedelta(days=60)


@dataclass(frozen=True)
class Shift:
    """One piece of a final schedule (or of one layer): ``user`` is on call in ``[start, end)``.

    ``source`` is the engine's: ``("layer", layer_version_id, shift_index)`` or
    ``("override", override_id)``. ``user`` and ``schedule`` are attached for display.
    """

    schedule_id: int
    start: datetime
    end: datetime
    user_id: int
    source: tuple
    user: User | None = field(default=None, compare=False, repr=False)
    schedule: Schedule | None = field(default=None, compare=False, repr=False)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def hours(self) -> float:
        return self.duration.total_seconds() / 3600

    @property
    def is_override(self) -> bool:
        return self.source[0] == "override"

    @property
    def user_name(self) -> str:
        return f"user {self.user_id}" if self.user is None else person_name(self.user)


# --------------------------------------------------------------------------------------------
# Rows to engine values
# --------------------------------------------------------------------------------------------


def _local_midnight(day, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def engine_layer(layer: Layer, participants: Iterable[int] | None = None) -> engine.Layer:
    """The engine's view of one layer version. ``participants`` defaults to the prefetched
    (or queried) participants in order."""
    if participants is None:
        participants = [p.user_id for p in layer.participants.all()]
    zone = ZoneInfo(layer.time_zone)
    starts_at, ends_at = layer.valid_from, layer.valid_until
    if layer.start_date is not None:
        starts_at = max(starts_at, _local_midnight(layer.start_date, zone))
    if layer.end_date is not None:
        last = _local_midnight(layer.end_date + timedelta(days=1), zone)
        ends_at = last if ends_at is None else min(ends_at, last)
    return engine.Layer(
        id=layer.pk,
        participants=tuple(participants),
        zone=zone,
        rotation_start=layer.rotation_start,
        handoff_time=layer.handoff_time,
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        offset=layer.offset,
        active_days=frozenset(layer.active_days) if layer.active_days else None,
        active_start=layer.active_start,
        active_end=layer.active_end,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def engine_override(override: Override) -> engine.Override:
    return engine.Override(
        id=override.pk, user=override.user_id, start=override.start, end=override.end
    )


def _layer_sort_key(layer: Layer):
    return (layer.position, layer.valid_from, layer.pk)


def _override_sort_key(override: Override):
    return (override.created_at, override.pk)


# --------------------------------------------------------------------------------------------
# Loading: a fixed number of queries for any number of schedules
# --------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """Layers (bottom to top) and overrides (earliest first) per schedule, and their users."""

    layers: dict[int, list[Layer]]
    overrides: dict[int, list[Override]]
    users: dict[int, User]

    def engine_layers(self, schedule_id: int) -> list[engine.Layer]:
        return [engine_layer(layer) for layer in self.layers.get(schedule_id, [])]

    def engine_overrides(self, schedule_id: int) -> list[engine.Override]:
        return [engine_override(o) for o in self.overrides.get(schedule_id, [])]

    def shift(self, schedule_id: int, interval: engine.Interval, schedule=None) -> Shift:
        return Shift(
            schedule_id=schedule_id,
            start=interval.start,
            end=interval.end,
            user_id=interval.user,
            source=interval.source,
            user=self.users.get(interval.user),
            schedule=schedule,
        )


def _participants_prefetch(with_users: bool = True) -> Prefetch:
    queryset = LayerParticipant.objects.order_by("position")
    if with_users:
        queryset = queryset.select_related("user__profile")
    return Prefetch("participants", queryset=queryset)


def _load(
    schedule_ids: Iterable[int], start: datetime, end: datetime | None, with_users: bool = True
) -> Loaded:
    """Layer versions and overrides of the schedules that meet ``[start, end)`` (``end`` None:
    open-ended), with participants and (unless ``with_users`` is false) their users and
    profiles: three queries whatever the numbers."""
    ids = list(schedule_ids)
    layers: dict[int, list[Layer]] = defaultdict(list)
    overrides: dict[int, list[Override]] = defaultdict(list)
    users: dict[int, User] = {}
    if not ids:
        return Loaded(layers, overrides, users)
    layer_qs = Layer.objects.filter(schedule_id__in=ids).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=start)
    )
    override_qs = Override.objects.filter(schedule_id__in=ids, end__gt=start)
    if end is not None:
        layer_qs = layer_qs.filter(valid_from__lt=end)
        override_qs = override_qs.filter(start__lt=end)
    for layer in layer_qs.prefetch_related(_participants_prefetch(with_users)):
        layers[layer.schedule_id].append(layer)
        if with_users:
            for p in layer.participants.all():
                users[p.user_id] = p.user
    if with_users:
        override_qs = override_qs.select_related("user__profile")
    for override in override_qs:
        overrides[override.schedule_id].append(override)
        if with_users:
            users[override.user_id] = override.user
    for items in layers.values():
        items.sort(key=_layer_sort_key)
    for items in overrides.values():
        items.sort(key=_override_sort_key)
    return Loaded(layers, overrides, users)


def load_schedules(
    *,
    schedules: Iterable[Schedule],
    start: datetime,
    end: datetime | None,
    with_users: bool = True,
) -> Loaded:
    """Public form of the loader, for other areas that stack many schedules at once."""
    return _load([s.pk for s in schedules], start, end, with_users)


def _now(at: datetime | None) -> datetime:
    return timezone.now() if at is None else at


# --------------------------------------------------------------------------------------------
# Engine values for one schedule
# --------------------------------------------------------------------------------------------


def layers_for_engine(
    *, schedule: Schedule, start: datetime | None = None, end: datetime | None = None
) -> list[engine.Layer]:
    """Every layer version of the schedule (meeting ``[start, end)`` when given), bottom to
    top, as engine values. Two queries."""
    qs = schedule.layers.all()
    if start is not None:
        qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=start))
    if end is not None:
        qs = qs.filter(valid_from__lt=end)
    rows = sorted(qs.prefetch_related(_participants_prefetch()), key=_layer_sort_key)
    return [engine_layer(layer) for layer in rows]


# --------------------------------------------------------------------------------------------
# Who is on call
# --------------------------------------------------------------------------------------------


def _final(loaded: Loaded, schedule, start: datetime, end: datetime) -> list[Shift]:
    intervals = engine.final_schedule(
        loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), start, end
    )
    return [loaded.shift(schedule.pk, i, schedule) for i in intervals]


def schedule_final(*, schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final schedule over ``[start, end)``: ordered, non-overlapping, gaps absent."""
    return _final(_load([schedule.pk], start, end), schedule, start, end)


def _now_and_next(
    loaded: Loaded, schedule: Schedule, at: datetime
) -> tuple[Shift | None, Shift | None]:
    layers = loaded.engine_layers(schedule.pk)
    overrides = loaded.engine_overrides(schedule.pk)
    current = engine.on_call_at(layers, overrides, at)
    now_shift = loaded.shift(schedule.pk, current, schedule) if current else None
    # "Next" is the next handover to somebody else within the horizon.
    upcoming = engine.final_schedule(layers, overrides, at, at + NEXT_HORIZON)
    if now_shift is not None:
        # "Until" is the end of the continuous run: touching pieces of the same person (two
        # shifts in a row, an override handing back to them) are one stretch of duty.
        now_shift = replace(now_shift, end=_run_end(current, upcoming))
    next_shift = None
    for interval in upcoming:
        if interval.start <= at:
            continue
        if current is not None and interval.user == current.user:
            continue
        next_shift = loaded.shift(schedule.pk, interval, schedule)
        break
    return now_shift, next_shift


def _run_end(current: engine.Interval, upcoming: list[engine.Interval]) -> datetime:
    """Where ``current``'s person stops being on call: the end of the run of touching
    intervals of theirs that starts with ``current`` (as far as ``upcoming`` reaches)."""
    end = current.end
    for interval in upcoming:
        if interval.end <= end:
            continue
        if interval.start > end or interval.user != current.user:
            break
        end = interval.end
    return end


def oncall_at(*, schedule: Schedule, at: datetime | None = None) -> Shift | None:
    """The final-schedule piece covering ``at`` (default now), whole, or None in a gap."""
    at = _now(at)
    loaded = _load([schedule.pk], at - LOOKBEHIND, None)
    current = engine.on_call_at(
        loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), at
    )
    return loaded.shift(schedule.pk, current, schedule) if current else None


def schedule_now_next(
    *, schedule: Schedule, at: datetime | None = None
) -> tuple[Shift | None, Shift | None]:
    """Who is on call at ``at`` (default now) and who takes over next."""
    at = _now(at)
    return _now_and_next(_load([schedule.pk], at - LOOKBEHIND, at + NEXT_HORIZON), schedule, at)


def oncall_users_at(*, schedule: Schedule, at: datetime | None = None) -> list[User]:
    """The people on call for the schedule at ``at`` (default now); [] in a gap."""
    shift = oncall_at(schedule=schedule, at=at)
    return [shift.user] if shift is not None and shift.user is not None else []


def schedules_oncall_at(*, schedules: Iterable[Schedule], at: datetime) -> dict[int, list[User]]:
    """``{schedule id: the people on call at at}`` (``[]`` in a gap) for many schedules: three
    queries whatever their number (:func:`oncall_users_at` for each, at once)."""
    schedules = list(schedules)
    loaded = _load([s.pk for s in schedules], at - LOOKBEHIND, None)
    result: dict[int, list[User]] = {}
    for schedule in schedules:
        current = engine.on_call_at(
            loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), at
        )
        user = loaded.users.get(current.user) if current is not None else None
        result[schedule.pk] = [user] if user is not None else []
    return result


def teams_oncall(
    *, teams: Iterable[Team], at: datetime | None = None
) -> dict[int, list[tuple[Schedule, Shift | None, Shift | None]]]:
    """``{team id: [(schedule, now, next), ...]}`` for every schedule of the teams: four
    queries whatever the number of teams, schedules, layers and overrides."""
    at = _now(at)
    team_ids = [t.pk for t in teams]
    schedules = list(Schedule.objects.filter(team_id__in=team_ids).select_related("team"))
    loaded = _load([s.pk for s in schedules], at - LOOKBEHIND, at + NEXT_HORIZON)
    result: dict[int, list] = {tid: [] for tid in team_ids}
    for schedule in schedules:
        now_shift, next_shift = _now_and_next(loaded, schedule, at)
        result[schedule.team_id].append((schedule, now_shift, next_shift))
    return result


def team_oncall(
    *, team: Team, at: datetime | None = None
) -> list[tuple[Schedule, Shift | None, Shift | None]]:
    """``(schedule, now, next)`` for every schedule of the team, by schedule name."""
    return teams_oncall(teams=[team], at=at)[team.pk]


def user_shifts(*, user, start: datetime, end: datetime) -> list[Shift]:
    """The user's pieces of every final schedule over ``[start, end)``, by start time."""
    layer_schedules = (
        LayerParticipant.objects.filter(user=user, layer__valid_from__lt=end)
        .filter(Q(layer__valid_until__isnull=True) | Q(layer__valid_until__gt=start))
        .values("layer__schedule_id")
    )
    schedules = list(
        Schedule.objects.filter(
            Q(pk__in=layer_schedules)
            | Q(
                pk__in=Override.objects.filter(user=user, start__lt=end, end__gt=start).values(
                    "schedule_id"
                )
            )
        ).select_related("team")
    )
    loaded = _load([s.pk for s in schedules], start, end)
    shifts = [
        shift
        for schedule in schedules
        for shift in _final(loaded, schedule, start, end)
        if shift.user_id == user.pk
    ]
    shifts.sort(key=lambda s: (s.start, s.schedule_id))
    return shifts


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def schedule_detail(*, pk: int) -> Schedule:
    try:
        return Schedule.objects.select_related("team").get(pk=pk)
    except Schedule.DoesNotExist as exc:
        raise Http404("No such schedule.") from exc


def team_schedules(*, team: Team) -> QuerySet[Schedule]:
    return Schedule.objects.filter(team=team).select_related("team").order_by("name")


def current_layers(*, schedule: Schedule) -> list[Layer]:
    """The layers as they are now (open versions), bottom to top, participants prefetched."""
    return list(
        schedule.layers.filter(valid_until__isnull=True)
        .prefetch_related(_participants_prefetch())
        .order_by("position", "pk")
    )


def current_version(*, schedule: Schedule, pk: int) -> Layer:
    """The open version of the layer that version ``pk`` belongs to (URLs may name an older
    version after somebody else's edit); 404 when the layer was removed."""
    lineage = schedule.layers.filter(pk=pk).values("lineage")
    layer = (
        schedule.layers.filter(lineage__in=lineage, valid_until__isnull=True)
        .select_related("schedule__team")
        .first()
    )
    if layer is None:
        raise Http404("No such layer (it may have been removed).")
    return layer


def upcoming_overrides(*, schedule: Schedule, at: datetime | None = None) -> QuerySet[Override]:
    return (
        schedule.overrides.filter(end__gt=_now(at))
        .select_related("user__profile", "created_by")
        .order_by("start", "pk")
    )


def schedule_for_token(*, token: str) -> Schedule | None:
    """The schedule whose feed token is ``token`` (looked up by its hash)."""
    digest = feed_token_hash(token)
    return Schedule.objects.select_related("team").filter(ical_token_hash=digest).first()


def user_for_token(*, token: str):
    """The active person whose personal feed token is ``token`` (looked up by its hash)."""
    digest = feed_token_hash(token)
    prefs = RotaPreferences.objects.select_related("user__profile").filter(ical_token_hash=digest)
    prefs = prefs.first()
    return prefs.user if prefs is not None and prefs.user.is_active else None


@dataclass
class LayerRow:
    """One layer (all its versions meeting a window) and its own shifts in the window."""

    name: str
    position: int
    shifts: list[Shift]


def schedule_calendar(
    *, schedule: Schedule, start: datetime, end: datetime
) -> tuple[list[LayerRow], list[Shift], list[tuple[datetime, datetime]]]:
    """Everything a calendar of ``[start, end)`` shows: each layer's own shifts (highest layer
    first), the final schedule and its gaps. Three queries."""
    loaded = _load([schedule.pk], start, end)
    versions: dict = defaultdict(list)
    for layer in loaded.layers.get(schedule.pk, []):
        versions[layer.lineage].append(layer)
    rows = []
    for group in versions.values():
        group.sort(key=lambda v: v.valid_from)
        shifts = [
            loaded.shift(schedule.pk, interval, schedule)
            for version in group
            for interval in engine.layer_shifts(engine_layer(version), start, end)
        ]
        shifts.sort(key=lambda s: s.start)
        latest = group[-1]
        rows.append(LayerRow(name=latest.name, position=latest.position, shifts=shifts))
    rows.sort(key=lambda r: -r.position)
    final = _final(loaded, schedule, start, end)
    holes = engine.gaps(
        [engine.Interval(s.start, s.end, s.user_id, s.source) for s in final], start, end
    )
    return rows, final, holes
